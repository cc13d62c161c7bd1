#pragma once
// The first step of a transaction: every write entry turned into the
// request its partition prepares (actors/fhir/transaction.hpp), with its
// target resolved (ifNoneExist, conditional PUT/PATCH/DELETE), ids assigned,
// and every reference rewritten: fullUrls of the Bundle's own entries
// (urn:uuid:, urn:oid: or any other) and conditional references
// (`Patient?identifier=sys|val`) become `Type/id`. Criteria are evaluated
// against the state before the transaction.
#include <cstddef>
#include <vector>

#include "actors/messages.hpp"
#include "protocols/fhir/bundle_request.hpp"

namespace atrium::actors {

struct node_context;

struct tx_write {
  std::size_t entry = 0; // its place in the Bundle (entry_error names it)
  /// The tx_prepare for the owning partition; op read when the entry
  /// writes nothing (ifNoneExist matched, a conditional delete matched
  /// nothing) and `result` is already its answer.
  fhir_request prepare;
  bundle_entry_result result;
};

/// The failure `s` of entry `i`, named by the entry ("Bundle.entry[3] (POST
/// Patient): …") and, when it is about an element of the entry's resource
/// ("Observation.status"), by that element inside it
/// ("Bundle.entry[3].resource.status").
status entry_error(std::size_t i, const fhir::bundle_entry_request& e, const status& s);

/// One tx_write per write entry (reads are left to the edge), or the
/// status of the first entry that cannot be run, naming it
/// ("Bundle.entry[3]").
result<std::vector<tx_write>> plan_transaction(const node_context& ctx, std::uint32_t service,
                                               const fhir::bundle_request& bundle);

} // namespace atrium::actors
