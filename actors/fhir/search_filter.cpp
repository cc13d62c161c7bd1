// Deciding a range clause for a few known candidates from their manifests.
// A clause such as date=ge2020-01-01 matches a large part of the index, so
// scanning it to intersect with a dozen candidates (subject=Patient/1) costs
// far more than reading those candidates' own entries.
#include "actors/fhir/search_scan.hpp"
#include "protocols/fhir/instant.hpp"
#include "protocols/fhir/search/extract.hpp"
#include "protocols/fhir/resource_types.hpp"

namespace atrium::actors::search {

namespace {

namespace fs = fhir::search;
namespace ix = storage::index;

/// One alternative of the clause, parsed once.
struct wanted {
  const fs::raw_value* raw = nullptr;       // token, reference, string
  fs::prefix pre = fs::prefix::eq;
  std::optional<fhir::period> range;      // date
  std::optional<number_value> number;       // number, quantity
  std::string system, code;                 // quantity unit ("" = any)
  std::string target;                       // reference: as the index holds it
};

/// The unit of a 'q' entry against the clause's (either may be empty: any).
bool unit_matches(std::string_view key, const wanted& w) {
  auto unit = ix::entry_pair(key);
  return unit && (w.system.empty() || unit->first == w.system) &&
         (w.code.empty() || unit->second == w.code);
}

/// A 'c' entry's code and system against [system|]code, |code, system|.
bool token_matches(std::string_view key, const fs::raw_value& q) {
  auto code_system = ix::entry_pair(key);
  return code_system && token_in(code_system->first, code_system->second, q);
}

/// Whether one of the resource's entries of the parameter satisfies `w`.
bool entry_matches(std::string_view key, std::size_t prefix_size, fs::param_type type,
                   const wanted& w) {
  const auto k = static_cast<ix::kind>(key[prefix_size]);
  switch (type) {
    case fs::param_type::token:
      return k == ix::kind::token_code && token_matches(key, *w.raw);
    case fs::param_type::reference: {
      auto target = k == ix::kind::reference ? ix::entry_target(key) : std::nullopt;
      return target && *target == w.target;
    }
    case fs::param_type::string:
      return k == ix::kind::string &&
             key.substr(prefix_size + 1).starts_with(fs::normalize_text(w.raw->text));
    default: break;
  }
  if (type == fs::param_type::date) {
    auto d = k == ix::kind::date_start ? ix::entry_dates(key) : std::nullopt;
    return d && date_in(d->start, d->end, w.pre, w.range->start, w.range->end);
  }
  const bool with_unit = !w.system.empty() || !w.code.empty();
  const auto wanted_kind = type == fs::param_type::number ? ix::kind::number
                           : with_unit                    ? ix::kind::quantity
                                                          : ix::kind::quantity_value;
  if (k != wanted_kind)
    return false;
  auto x = ix::entry_number(key);
  if (!x || !number_in(*x, w.pre, *w.number))
    return false;
  return !with_unit || unit_matches(key, w);
}

} // namespace

clause_cost estimate_cost(const exec_context& ctx, std::string_view type, const fs::clause& c) {
  if (!c.chain.empty() || !c.has.empty() || c.code == "_id")
    return clause_cost::scan_only;
  const auto* p = ctx.registry.find(type, c.code);
  // A union's values are in its halves' entries (param_registry::union_of),
  // which the scan reads; the filter reads one parameter's.
  if (!p || !ctx.registry.union_of(type, *p).empty())
    return clause_cost::scan_only;
  if (c.modifier == "missing")
    return clause_cost::broad;
  if (!c.modifier.empty())
    return clause_cost::scan_only;
  switch (p->type) {
    case fs::param_type::reference:
      // Type/id or an absolute URL is one target; a bare id needs the scan's rules.
      for (const auto& v : c.values)
        if (v.text.find('/') == std::string::npos)
          return clause_cost::scan_only;
      return clause_cost::exact;
    case fs::param_type::token: return clause_cost::exact;
    case fs::param_type::string: return clause_cost::prefix;
    case fs::param_type::date:
    case fs::param_type::number:
    case fs::param_type::quantity: return clause_cost::broad;
    default: return clause_cost::scan_only;
  }
}

result<id_set> filter_clause(const exec_context& ctx, std::string_view type, const fs::clause& c,
                             const id_set& candidates) {
  const auto* p = ctx.registry.find(type, c.code);
  auto tid = fhir::find_resource_type(type);
  if (!p || !tid)
    return status{errc::internal, "filter_clause on an unknown parameter " + c.code};
  // The parameter's entries: its own, and a narrowed reference's in its parent's.
  std::vector<std::pair<std::string, param_scope>> sources;
  for (auto& scope : p->type == fs::param_type::reference
                       ? reference_scopes(ctx, *tid, *p)
                       : std::vector<param_scope>{scope_of(ctx, *tid, *p)})
    sources.emplace_back(ix::param_prefix(ctx.service, *tid, scope.pid), scope);
  const bool missing = c.modifier == "missing";
  const bool want_missing = missing && !c.values.empty() && c.values.front().text == "true";

  std::vector<wanted> alternatives;
  for (const auto& v : c.values) {
    if (missing)
      break;
    wanted w;
    w.pre = v.pre;
    w.raw = &v;
    if (p->type == fs::param_type::token || p->type == fs::param_type::string) {
      // compared as written
    } else if (p->type == fs::param_type::reference) {
      w.target = fs::local_reference(unversioned(v.text), ctx.service_path);
    } else if (p->type == fs::param_type::date) {
      w.range = fhir::parse_fhir_period(v.text);
      if (!w.range)
        return invalid_value(c, v, "is not a FHIR date, dateTime or instant");
    } else {
      w.number = parse_number(v.parts.empty() ? v.text : v.parts[0]);
      if (!w.number)
        return invalid_value(c, v, "is not a number");
      if (p->type == fs::param_type::quantity && v.parts.size() == 3) {
        auto unit = comparable(v.parts[1], v.parts[2], *w.number);
        w.system = v.parts[1], w.code = std::move(unit.code), w.number = unit.amount;
      }
    }
    alternatives.push_back(std::move(w));
  }

  id_set out;
  for (const auto& id : candidates) {
    auto keys = manifest_keys(ctx, *tid, id);
    if (!keys)
      return keys.error();
    bool match = false, present = false;
    for (const auto& key : **keys)
      for (const auto& [prefix, scope] : sources) {
        if (!key.starts_with(prefix) || key.size() <= prefix.size() || !scope.accepts(key))
          continue;
        present = true;
        for (const auto& w : alternatives)
          match = match || entry_matches(key, prefix.size(), p->type, w);
        break;
      }
    if (missing ? present != want_missing : match)
      out.push_back(id);
  }
  return out;
}

} // namespace atrium::actors::search
