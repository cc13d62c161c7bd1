#pragma once
// The management plane: a node-level catalog of workspaces, and one actor per
// workspace owning its services. Management is rare and must be serial (no
// two PUTs racing on one name), so these actors wait for each durable write
// before taking the next request.
#include <map>
#include <string>

#include "actors/actors.hpp"

namespace atrium::actors {

struct node_context;

struct workspace_state {
  static inline const char* name = "workspace";
  struct service {
    service_kind kind = service_kind::fhir;
    std::uint32_t id = 0;
    std::string json;
  };
  node_context* ctx = nullptr;
  std::string workspace;
  std::map<std::string, service> services; // names are unique across kinds
};

mgmt_actor::behavior_type
workspace_actor(mgmt_actor::stateful_pointer<workspace_state> self,
                node_context* ctx, std::string workspace);

struct catalog_state {
  static inline const char* name = "catalog";
  struct entry {
    std::string json;
    mgmt_actor actor;
  };
  node_context* ctx = nullptr;
  std::map<std::string, entry> workspaces;
};

/// Loads every workspace (and through them every service) from the store
/// when it starts.
mgmt_actor::behavior_type
catalog_actor(mgmt_actor::stateful_pointer<catalog_state> self, node_context* ctx);

} // namespace atrium::actors
