#pragma once
#include "actors/actors.hpp"
#include "actors/fhir/criteria_locks.hpp"

namespace atrium::actors {

struct node_context;

/// A FHIR service's type- and system-level work: history across partitions
/// (page scans are bounded by _count ≤ 1000, so they run here) and its
/// $reindex jobs, each run by a reindexer actor linked to this one.
struct fhir_service_state {
  static inline const char* name = "fhir_service";
  node_context* ctx = nullptr;
  std::uint32_t service = 0;
  bool starting = false; // a $reindex job is being persisted
  /// Conditional interactions and transactions with conditional entries,
  /// each holding the criteria it resolves while it runs.
  criteria_locks criteria;
};

fhir_actor::behavior_type
fhir_service_actor(fhir_actor::stateful_pointer<fhir_service_state> self,
                   node_context* ctx, std::uint32_t service);

} // namespace atrium::actors
