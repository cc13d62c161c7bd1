#pragma once
// The actor that runs one $reindex job of a FHIR service: it walks the
// service's resources of the job's types in id order, a chunk at a time,
// and has each resource's owning partition index it again by the service's
// write registry (so re-indexing never races a client's write of the same
// resource). Progress is persisted after every chunk, so a job interrupted by
// a restart resumes where it was. When the last type is done, the job's
// parameters become the ones searches use.
#include <memory>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "protocols/fhir/reindex_job.hpp"
#include "protocols/fhir/search/params.hpp"

namespace atrium::actors {

struct node_context;

struct reindexer_state {
  static inline const char* name = "reindexer";
  node_context* ctx = nullptr;
  std::uint32_t service = 0;
  fhir::reindex_job job;
  std::vector<std::string> chunk; // ids sent to partitions, in order
  std::size_t outstanding = 0;    // partition batches not answered yet
  std::uint64_t chunk_reindexed = 0;
};

/// Runs `job` (already persisted as running; the catalog already writes by
/// its parameters) to completion or failure, then quits.
caf::behavior reindexer(caf::stateful_actor<reindexer_state>* self, node_context* ctx,
                        std::uint32_t service, fhir::reindex_job job);

/// The resource types whose entries change when the active custom
/// parameters `before` (in registry `old_registry`) become `after` (in
/// `new_registry`): the bases of every parameter added, changed or dropped.
std::vector<std::string> types_to_reindex(const std::vector<std::string>& before,
                                          const fhir::search::param_registry& old_registry,
                                          const std::vector<std::string>& after,
                                          const fhir::search::param_registry& new_registry);

} // namespace atrium::actors
