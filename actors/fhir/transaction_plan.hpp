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
  std::size_t entry = 0;
  std::string where; // "Bundle.entry[3]"
  std::string label; // "Bundle.entry[3] (POST Patient)", for messages
  /// The tx_prepare for the owning partition; op read when the entry
  /// writes nothing (ifNoneExist matched, a conditional delete matched
  /// nothing) and `result` is already its answer.
  fhir_request prepare;
  bundle_entry_result result;
};

/// One tx_write per write entry (reads are left to the edge), or the
/// status of the first entry that cannot be run, naming it
/// ("Bundle.entry[3]").
result<std::vector<tx_write>> plan_transaction(const node_context& ctx, std::uint32_t service,
                                               const fhir::bundle_request& bundle);

} // namespace atrium::actors
