#pragma once
// Transaction Bundles, all or nothing. The FHIR service spawns one
// coordinator per transaction, which
//   1. plans it (actors/fhir/transaction_plan.hpp): targets, ids, references;
//   2. asks each resource's partition to prepare its write (tx_prepare): the
//      partition checks it like any write, answers the write ops, and holds
//      the id so no other write of it runs in between;
//   3. writes every op in one batch through the node's writer (durable and
//      atomic: all of it or none of it is in the store), then
//   4. releases the ids (tx_commit), or aborts (tx_abort) if any entry
//      failed, leaving no trace.
// A partition refuses a prepare for an id another transaction holds rather
// than wait (two transactions could each hold what the other needs); the
// coordinator then releases what it holds and tries again a little later.
// Every step is a message to the partition's actor handle, so the protocol
// does not change when partitions live on other nodes (one batch per node).
#include <chrono>
#include <cstdint>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/actors.hpp"
#include "actors/fhir/transaction_plan.hpp"

namespace atrium::actors {

struct node_context;
struct fhir_service_state;

struct transaction_state {
  static inline const char* name = "fhir_transaction";
  node_context* ctx = nullptr;
  std::uint32_t service = 0;
  std::size_t entry_count = 0;
  fhir::bundle_request bundle;
  /// This attempt's plan. A prepare hands its request over to the partition:
  /// what stays here is the entry, the op, the target and the id.
  std::vector<tx_write> writes;
  std::vector<fhir_actor> partitions; // of each write
  std::vector<fhir_reply> prepared;   // each write's answer, this attempt
  std::size_t outstanding = 0;        // prepares not answered yet
  unsigned attempt = 0;
  std::chrono::steady_clock::time_point started;
  caf::typed_response_promise<fhir_reply> promise;
};

/// Runs the one transaction it is sent (fhir_request, bundle: the Bundle) and
/// quits. Its answer has an entry per Bundle entry (reads: status 0, left to
/// the edge), or the status of the entry that failed.
caf::behavior transaction_coordinator(caf::stateful_actor<transaction_state>* self,
                                      node_context* ctx, std::uint32_t service);

/// The FHIR service's part: a coordinator per transaction. The service runs
/// one with conditional entries holding their criteria (criteria_locks.hpp),
/// so they see no concurrent conditional write with the same criteria.
void run_transaction(fhir_actor::stateful_pointer<fhir_service_state> self, fhir_request& req,
                     fhir_callback reply);

} // namespace atrium::actors
