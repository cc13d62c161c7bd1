#pragma once
#include "actors/actors.hpp"

namespace atrium::actors {

struct node_context;

/// Runs searches: range scans over the index that can take a while, so they
/// run on a bounded pool of detached workers, never on a scheduler thread
/// that shards need.
struct search_worker_state {
  static inline const char* name = "search_worker";
};

fhir_actor::behavior_type
search_worker(fhir_actor::stateful_pointer<search_worker_state> self, node_context* ctx);

} // namespace atrium::actors
