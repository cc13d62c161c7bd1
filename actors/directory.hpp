#pragma once
// The directory maps shard keys to actor handles. Local for now: every shard
// lives on this node and is spawned on first use. Callers never learn where an
// actor lives, so a cluster directory can hand out remote handles later.
// Thread-safe: the edge's io threads look services and shards up directly.
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "actors/actors.hpp"

namespace caf { class actor_system; }

namespace atrium::actors {

struct node_context;

/// A data-plane service as the edge needs to know it.
struct service_info {
  std::uint32_t id = 0;
  service_kind kind = service_kind::fhir;
  std::string workspace;
  std::string name;
  /// The service's "properties" (JSON object); a DICOM service's
  /// "fhirService" names the FHIR service of its workspace it mirrors into.
  std::string properties = "{}";
};

/// Stable across nodes and releases (FNV-1a), unlike std::hash.
std::uint64_t shard_hash(std::string_view id) noexcept;

class directory {
public:
  directory(caf::actor_system& sys, node_context& ctx);

  // ---- services (published by workspace actors) ----
  std::optional<service_info> find_service(std::string_view workspace,
                                           std::string_view name) const;
  void publish_service(const service_info& info);
  /// Every published service (a snapshot).
  std::vector<service_info> services() const;
  /// Forgets a service and stops its shard actors.
  void retire_service(std::string_view workspace, std::string_view name);

  // ---- shards ----
  /// The partition owning resource `id` of `type` in FHIR service `svc`.
  fhir_actor fhir_partition(std::uint32_t svc, std::uint16_t type,
                            std::string_view id);
  /// The FHIR service actor (type and system level work).
  fhir_actor fhir_service(std::uint32_t svc);

  /// The study partition owning DICOM study `study` of service `svc`.
  dicom_actor dicom_partition(std::uint32_t svc, std::string_view study);

  /// A search worker (a node-level pool, used in turn).
  fhir_actor search_worker();

  /// Stops every shard actor (shutdown).
  void stop_all();

private:
  fhir_actor spawn_or_find(std::uint64_t key, bool service_level,
                           std::uint32_t svc, std::uint16_t type,
                           std::uint32_t partition);

  caf::actor_system& sys_;
  node_context& ctx_;
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, service_info> services_; // "ws/name"
  std::unordered_map<std::uint64_t, fhir_actor> shards_;
  std::unordered_map<std::uint64_t, dicom_actor> dicom_shards_; // svc << 32 | partition
  bool stopped_ = false;
};

} // namespace atrium::actors
