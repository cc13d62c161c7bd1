#pragma once
// Executing a bound FHIR search against the node's index (storage/index_keys.hpp).
// Each clause becomes a set of ids by range scans; clauses are intersected;
// chains and reverse chains run their inner clause on the other type and map
// the ids across references, with no cap on intermediate results. Sorting and
// paging are keyset-based, so a cursor stays correct while others write.
// Runs on a search worker (a long scan must not hold a scheduler thread).
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocols/common/status.hpp"
#include "protocols/fhir/search/params.hpp"
#include "protocols/fhir/search/query.hpp"

namespace atrium::storage { class read_view; }

namespace atrium::actors::search {

/// Ids in byte order, without duplicates.
using id_set = std::vector<std::string>;

struct exec_context {
  /// Every read of one search goes through one view, so its clauses, sort
  /// and page agree with each other while others write.
  const storage::read_view& db;
  std::uint32_t service = 0;
  const fhir::search::param_registry& registry;
  /// Up to this many candidates, a range clause is decided from each
  /// candidate's manifest (one point read each) instead of scanning its
  /// whole range, and a sort reads its values the same way instead of
  /// walking the parameter's entries. Tests set it to 0 to force the scans.
  std::size_t decide_limit = 2000;
  /// Manifests already read by this search, by type and id: several
  /// clauses and the sort of one search read the same candidates'.
  mutable std::unordered_map<std::string, std::vector<std::string>> manifests = {};
  /// "/ws/name/" of the service: a reference searched by its absolute URL
  /// there is the relative one the index holds (service_params::service_path).
  std::string_view service_path = {};
};

/// One resource of a result page.
struct hit {
  std::uint16_t type = 0;
  std::string id;
  std::string json; // stored resource
  bool included = false;
};

struct page {
  std::vector<hit> hits;   // matches first, then includes
  std::string next_cursor; // "" on the last page
  /// "" on the first page; a cursor that starts with 'p' asks for the page
  /// before the position it names.
  std::string previous_cursor;
  std::uint64_t total = 0; // number of matches (all pages)
};

/// The ids of `type` that match one clause.
result<id_set> match_clause(const exec_context& ctx, std::string_view type,
                            const fhir::search::clause& c);

/// How a clause is best evaluated, cheapest scans first. All but scan_only
/// can also be decided per resource (filter_clause).
enum class clause_cost : std::uint8_t {
  scan_only, // chains, _has, _id, modifiers, composites: scanned (usually narrow)
  exact,     // token code, reference target: one exact prefix
  prefix,    // string prefix
  broad,     // dates, numbers, quantities, :missing: ranges that may cover most entries
};
clause_cost estimate_cost(const exec_context& ctx, std::string_view type,
                          const fhir::search::clause& c);

/// The `candidates` (sorted ids) that match a clause not scan_only,
/// decided from each candidate's manifest: for a few candidates, a point read
/// each instead of scanning every value in the clause's range.
result<id_set> filter_clause(const exec_context& ctx, std::string_view type,
                             const fhir::search::clause& c, const id_set& candidates);

/// Runs a query already checked by bind_query for `type`: matches, sort,
/// the page after `q.cursor`, then _include and _revinclude of that page.
/// A `compartment` ("Patient/123") keeps only the resources in that
/// patient's compartment (GET /Patient/123/{type}).
result<page> run_search(const exec_context& ctx, std::string_view type,
                        const fhir::search::search_query& q,
                        std::string_view compartment = {});

/// A system-level search ([base]?…): the parsed, unbound query runs on each
/// type of _type (every type when absent) in that order, bound for each, and
/// one page is filled from consecutive types. The cursor names the type and
/// the position within it. _sort orders within each type.
result<page> run_system_search(const exec_context& ctx, const fhir::search::search_query& q);

} // namespace atrium::actors::search
