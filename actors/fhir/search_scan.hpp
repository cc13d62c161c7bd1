#pragma once
// The pieces every search matcher shares (search_exec.cpp, search_composite.cpp):
// index range scans to id sets, the scope of one parameter's entries, and
// numbers with the interval their precision implies. Internal to actors/fhir.
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "actors/fhir/search_exec.hpp"
#include "storage/index_keys.hpp"
#include "storage/keyspace.hpp"
#include "storage/store.hpp"

namespace atrium::actors::search {

/// Sorts and removes duplicates.
void normalize(id_set& ids);

/// The ids in either of two normalized sets.
id_set unite(const id_set& a, const id_set& b);

/// The ids of the index entries in [lower, upper) that `keep(key, value)` accepts.
template <class Keep>
result<id_set> scan_ids(const exec_context& ctx, const std::string& lower,
                        const std::string& upper, Keep keep) {
  id_set ids;
  auto cur = ctx.db.scan(storage::column::index, lower, upper);
  for (; cur.valid(); cur.next()) {
    if (!keep(cur.key(), cur.value()))
      continue;
    if (auto id = storage::index::entry_id(cur.key()))
      ids.emplace_back(*id);
  }
  if (auto s = cur.error(); !s)
    return s;
  normalize(ids);
  return ids;
}

/// The ids of every entry that starts with `prefix`.
result<id_set> scan_prefix(const exec_context& ctx, const std::string& prefix);

/// The id that p's entries on `type` are keyed by: its twin's when it has
/// one, its parent's for a string part (param_registry::source_of). Every
/// reader of the index goes through it (and scope_of for the part's tag).
storage::index::param_id index_id(const exec_context& ctx, std::uint16_t type,
                                  const fhir::search::search_param& p);

/// The entries of one parameter on one type: those of `pid`, and when
/// `part` is set only its string entries with that tag (a string part such
/// as `family` reads `name`'s entries: param_registry::part_of).
struct param_scope {
  const exec_context& ctx;
  std::uint16_t type;
  storage::index::param_id pid;
  std::uint8_t part = 0;
  /// Set when only the references starting with it are the parameter's
  /// ("Patient/" of `subject`'s for Observation `patient`: reference_scopes).
  std::string_view target_prefix = {};
  std::string prefix(storage::index::kind k) const {
    return storage::index::prefix(ctx.service, type, pid, k);
  }
  bool accepts(std::string_view key) const {
    if (part != 0 && storage::index::entry_part(key) != part) return false;
    if (target_prefix.empty()) return true;
    auto target = storage::index::entry_target(key);
    return target && target->starts_with(target_prefix);
  }
};

/// Where p's entries on `type` are (index_id and part).
param_scope scope_of(const exec_context& ctx, std::uint16_t type,
                     const fhir::search::search_param& p);

/// The ids of the entries in the scope that start with `prefix`.
result<id_set> scan_scoped(const param_scope& ps, const std::string& prefix);

/// scan_ids within a parameter's scope (its part's entries only).
template <class Keep>
result<id_set> scan_ids(const param_scope& ps, const std::string& lower, const std::string& upper,
                        Keep keep) {
  return scan_ids(ps.ctx, lower, upper, [&](std::string_view key, std::string_view value) {
    return ps.accepts(key) && keep(key, value);
  });
}

/// Where reference parameter p's entries on `type` are: its own scope and,
/// when p narrows another to one target type (param_registry::narrowed_of:
/// Observation `patient` is `subject` to a Patient), the parent's entries
/// whose targets start with that type. Every reader of references goes
/// through these; a search unites what they hold.
std::vector<param_scope> reference_scopes(const exec_context& ctx, std::uint16_t type,
                                          const fhir::search::search_param& p);

/// The ids whose references in `scopes` include `target` ("Patient/1", or
/// an absolute URL) exactly.
result<id_set> scan_target(const std::vector<param_scope>& scopes, const std::string& target);

/// The ids with a reference in `scopes` that `keep(key, value)` accepts.
template <class Keep>
result<id_set> scan_references(const std::vector<param_scope>& scopes, Keep keep) {
  id_set out;
  for (const auto& ps : scopes) {
    const auto lower = ps.prefix(storage::index::kind::reference) + std::string{ps.target_prefix};
    auto ids = scan_ids(ps, lower, storage::keys::prefix_end(lower), keep);
    if (!ids)
      return ids;
    out = out.empty() ? std::move(*ids) : unite(out, *ids);
  }
  return out;
}

/// What one resource refers to through the given reference scopes: the
/// targets of the 'r' entries its manifest lists. One point get per source
/// resource, so no source-first entry is written per reference (_include, _has).
/// Empty when the resource has no manifest (deleted or absent). A target
/// can come twice (a narrowed parameter's own entries in a store written
/// before it was narrowed repeat its parent's): callers keep each once.
result<std::vector<std::string>> targets_of(const exec_context& ctx, std::uint16_t type,
                                            std::string_view id,
                                            const std::vector<param_scope>& scopes);

/// An indexed code and system against a token value: "code" (any system),
/// "system|code", "|code" (no system) or "system|" (any code of it).
bool token_in(std::string_view code, std::string_view system, const fhir::search::raw_value& q);

/// A reference as a search compares it: without its version
/// ("Patient/1/_history/2" → "Patient/1"), as the index stores targets.
inline std::string_view unversioned(std::string_view reference) {
  return reference.substr(0, reference.find("/_history/"));
}

/// A 400 naming the parameter and the value.
status invalid_value(const fhir::search::clause& c, const fhir::search::raw_value& v,
                     std::string why);

/// A number as written and the interval its precision implies
/// ("100" is [99.5, 100.5), "1e2" likewise, "100.0" is [99.95, 100.05)).
struct number_value {
  double value = 0;
  double low = 0;
  double high = 0;
};
std::optional<number_value> parse_number(std::string_view text);

/// A quantity's unit code and amount as its entries are compared: in the
/// canonical UCUM unit when the table knows the unit (so 5.4 g finds
/// 5400 mg), else as written.
struct unit_amount {
  std::string code;
  number_value amount;
};
unit_amount comparable(std::string_view system, std::string_view code, const number_value& n);

/// What a prefix means for one indexed number or date range: the same as
/// the range scans of search_exec.cpp (R4 search §3.1.1.4), for deciding
/// from entries already in hand.
bool number_in(double x, fhir::search::prefix pre, const number_value& n);
bool date_in(std::int64_t start, std::int64_t end, fhir::search::prefix pre, std::int64_t low,
             std::int64_t high);

/// The ids with a token entry for any of these (system, code) pairs.
result<id_set> match_codings(const param_scope& ps,
                             const std::set<std::pair<std::string, std::string>>& codings);

/// The current JSON of a resource, or nullopt when absent or deleted.
result<std::optional<std::string>> read_current(const exec_context& ctx, std::uint16_t type,
                                                std::string_view id);

/// A stored terminology resource (ValueSet, CodeSystem) by "Type/id" or by
/// canonical url[|version]; errc::invalid naming it when the service has none.
result<std::string> find_canonical(const exec_context& ctx, std::string_view type_name,
                                   std::string_view name);

/// The index keys of a resource's current version (its manifest); empty
/// when it has none (deleted, or written before indexing). Read once per
/// search (exec_context::manifests).
result<const std::vector<std::string>*> manifest_keys(const exec_context& ctx,
                                                      std::uint16_t type, std::string_view id);

} // namespace atrium::actors::search

namespace atrium::actors::search {

/// A composite parameter's value (its components typed by bind_query): one
/// scan of the parameter's 'k' entries, narrowed by the first component when
/// it is a code, each entry kept when every component matches its part.
result<id_set> match_composite(const param_scope& ps, const fhir::search::clause& c,
                               const fhir::search::raw_value& v,
                               const fhir::search::search_param& p);

} // namespace atrium::actors::search

namespace atrium::actors::search {

/// token:in / token:not-in: the codes of a ValueSet stored in the service,
/// named by canonical URL ([|version]) or as "ValueSet/id".
result<id_set> match_value_set(const param_scope& ps, const fhir::search::raw_value& v);

} // namespace atrium::actors::search

namespace atrium::actors::search {

/// token:below / token:above on system|code: that code and those it
/// subsumes (below) or that subsume it (above), by the concept hierarchy of
/// the CodeSystem stored in the service whose url is the system.
result<id_set> match_subsumption(const param_scope& ps, const fhir::search::clause& c,
                                 const fhir::search::raw_value& v);

} // namespace atrium::actors::search
