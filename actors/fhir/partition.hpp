#pragma once
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor_addr.hpp>

#include "actors/actors.hpp"

namespace atrium::actors {

struct node_context;

struct partition_key {
  std::uint32_t service = 0;
  std::uint16_t type = 0;
  std::uint32_t partition = 0;
};

/// One resource-type partition of a FHIR service: owns the resources of one
/// type whose id hashes to it. It serialises their writes, so version checks
/// need no locks. Reads go straight to the store: a write is answered only
/// once durable, so committed state is the state clients have seen.
struct partition_state {
  static inline const char* name = "fhir_partition";

  /// Writes sent to the writer and not yet acknowledged, by id: the next
  /// write to the same id must build on them, not on the store.
  struct in_flight {
    std::uint64_t version = 0;
    bool deleted = false;
    /// That version's index manifest, encoded as stored
    /// (storage::index::encode_manifest); empty for a deletion.
    std::string manifest;
    std::uint32_t count = 0;
    std::int64_t last_updated_micros = 0;
    /// The version as encoded for the store (storage::encode_record): what
    /// a $reindex indexes again, and what the next version moves to history.
    std::string record;
    std::uint64_t registry = 0; // uid of the registry the manifest comes from
    /// Not 0: a transaction prepared this version and holds the id until it
    /// commits or aborts; other writes of the id wait for that.
    std::uint64_t transaction = 0;
    /// A hard delete on its way: other writes of the id wait for its
    /// verdict, since should it fail, the version it removes is still the
    /// newest and a write must move it to history.
    bool removing = false;
  };

  node_context* ctx = nullptr;
  partition_key key;
  std::unordered_map<std::string, in_flight> pending;
  /// Requests waiting for an id to be free (a transaction's lock released,
  /// or for a prepare, every write of it durable), by id, in arrival order.
  std::unordered_map<std::string, std::vector<std::function<void()>>> waiting;
  /// The coordinators whose prepares came here, monitored: if one stops
  /// without releasing, its transaction's holds go with it.
  std::unordered_map<caf::actor_addr, std::uint64_t> coordinators;
};

/// Where a tx_prepare refused because another transaction holds the id: the
/// coordinator releases what it holds and tries again.
inline constexpr std::string_view locked_by_transaction = "locked-by-transaction";

fhir_actor::behavior_type
fhir_partition_actor(fhir_actor::stateful_pointer<partition_state> self,
                     node_context* ctx, partition_key key);

} // namespace atrium::actors
