#include "actors/fhir/search_exec.hpp"

#include "actors/fhir/search_scan.hpp"

#include <algorithm>
#include <set>
#include <cmath>
#include <cstdlib>
#include <unordered_map>
#include <unordered_set>

#include "protocols/fhir/instant.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "protocols/fhir/search/extract.hpp"
#include "storage/index_entries.hpp"
#include "storage/index_keys.hpp"
#include "storage/keyspace.hpp"
#include "storage/resource_record.hpp"
#include "storage/store.hpp"

namespace atrium::actors::search {

namespace {

namespace fs = fhir::search;
namespace ix = storage::index;
namespace keys = storage::keys;
using storage::column;

constexpr std::int64_t micros_per_day = 86'400'000'000;

// ---- id sets ----------------------------------------------------------------

id_set intersect(const id_set& a, const id_set& b) {
  id_set out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

id_set subtract(const id_set& a, const id_set& b) {
  id_set out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  if (b > 0 && a > INT64_MAX - b)
    return INT64_MAX;
  if (b < 0 && a < INT64_MIN - b)
    return INT64_MIN;
  return a + b;
}

// ---- scans --------------------------------------------------------------------

std::string with_i64(std::string prefix, std::int64_t v) {
  keys::append_i64(prefix, v);
  return prefix;
}

std::string with_double(std::string prefix, double v) {
  ix::append_double(prefix, v);
  return prefix;
}

/// Every live (not deleted) id of a type.
result<id_set> all_ids(const exec_context& ctx, std::uint16_t type) {
  auto prefix = keys::resource(ctx.service, type, "");
  id_set ids;
  auto cur = ctx.db.scan(column::resources, prefix, keys::prefix_end(prefix));
  for (; cur.valid(); cur.next()) {
    auto h = storage::decode_record_header(cur.value());
    if (h && h->kind != storage::record_kind::erase)
      ids.emplace_back(cur.key().substr(prefix.size()));
  }
  if (auto s = cur.error(); !s)
    return s;
  return ids; // already in key order
}

status unsupported(const fs::clause& c, std::string what) {
  return {errc::not_implemented,
          "search parameter '" + c.code + "': " + what + " is not supported yet", c.code};
}

// ---- per type ----------------------------------------------------------------

result<id_set> match_string(const param_scope& ps, const fs::clause& c, const fs::raw_value& v) {
  auto norm = fs::normalize_text(v.text);
  auto base = ps.prefix(ix::kind::string);
  if (c.modifier.empty())
    return scan_scoped(ps, base + norm);
  if (c.modifier == "exact") {
    auto exact = base + norm + '\0';
    return scan_ids(ps, exact, keys::prefix_end(exact),
                    [&](std::string_view, std::string_view original) {
                      return original == v.text;
                    });
  }
  if (c.modifier == "contains")
    return scan_ids(ps, base, keys::prefix_end(base), [&](std::string_view key, std::string_view) {
      auto value = key.substr(base.size());
      value = value.substr(0, value.find('\0'));
      return value.find(norm) != std::string_view::npos;
    });
  return unsupported(c, "modifier :" + c.modifier);
}

result<id_set> match_token(const param_scope& ps, const fs::clause& c, const fs::raw_value& v) {
  if (c.modifier == "text")
    return scan_scoped(ps, ps.prefix(ix::kind::token_text) + fs::normalize_text(v.text));
  if (c.modifier == "of-type") { // type-system|type-code|value, checked by bind_query
    const auto& p = v.parts;
    return scan_scoped(ps, ps.prefix(ix::kind::identifier_type) + p[2] + '\0' + p[1] + '\0' +
                                 p[0] + '\0');
  }
  if (c.modifier == "in")
    return match_value_set(ps, v);
  if (c.modifier == "below" || c.modifier == "above")
    return match_subsumption(ps, c, v);
  if (c.modifier == "not-in") { // resources with no code in the set, those without codes too
    auto in = match_value_set(ps, v);
    if (!in)
      return in;
    auto all = all_ids(ps.ctx, ps.type);
    if (!all)
      return all;
    return subtract(*all, *in);
  }
  if (!c.modifier.empty() && c.modifier != "not")
    return unsupported(c, "modifier :" + c.modifier);
  auto code_prefix = ps.prefix(ix::kind::token_code);
  if (v.parts.size() < 2)
    return scan_scoped(ps, code_prefix + v.text + '\0');
  const auto& system = v.parts[0];
  const auto& code = v.parts[1];
  if (code.empty()) // "system|": any code of that system (rare: a filtered scan)
    return scan_ids(ps, code_prefix, keys::prefix_end(code_prefix),
                    [&](std::string_view key, std::string_view) {
                      auto code_system = ix::entry_pair(key);
                      return code_system && code_system->second == system;
                    });
  // "|code" asks for codes without a system; "system|code" for that pair.
  return scan_scoped(ps, code_prefix + code + '\0' + system + '\0');
}

result<id_set> match_uri(const param_scope& ps, const fs::clause& c, const fs::raw_value& v) {
  auto base = ps.prefix(ix::kind::uri);
  if (c.modifier.empty())
    return scan_scoped(ps, base + v.text + '\0');
  if (c.modifier == "below")
    return scan_scoped(ps, base + v.text);
  if (c.modifier == "above")
    return scan_ids(ps, base, keys::prefix_end(base), [&](std::string_view key, std::string_view) {
      auto value = key.substr(base.size());
      value = value.substr(0, value.find('\0'));
      return !value.empty() && std::string_view{v.text}.starts_with(value);
    });
  return unsupported(c, "modifier :" + c.modifier);
}

/// The range a date value covers and how the prefix relates it to a target
/// range [lt, ht] (R4 search §3.1.1.4: prefixes on ranges).
result<id_set> match_date(const param_scope& ps, const fs::clause& c, const fs::raw_value& v) {
  if (!c.modifier.empty())
    return unsupported(c, "modifier :" + c.modifier);
  auto range = fhir::parse_fhir_period(v.text);
  if (!range)
    return invalid_value(c, v, "is not a FHIR date, dateTime or instant");
  auto ls = range->start, hs = range->end;
  auto by_start = ps.prefix(ix::kind::date_start);
  auto any = [](std::string_view, std::string_view) { return true; };
  auto dates = [](std::string_view key) { return *ix::entry_dates(key); };
  // The ranges that end at `from` or later. Only wide ranges have entries
  // by end; a narrow one starts less than narrow_date_span before its end,
  // so its entry by start is within a span before `from` or after it.
  auto ending_from = [&](std::int64_t from) -> result<id_set> {
    auto narrow = scan_ids(ps, with_i64(by_start, saturating_add(from, -ix::narrow_date_span)),
                           keys::prefix_end(by_start),
                           [&](std::string_view key, std::string_view) { return dates(key).end >= from; });
    if (!narrow)
      return narrow;
    auto by_end = ps.prefix(ix::kind::date_end);
    auto wide = scan_ids(ps, with_i64(by_end, from), keys::prefix_end(by_end), any);
    if (!wide)
      return wide;
    return unite(*narrow, *wide);
  };
  switch (v.pre) {
    case fs::prefix::eq:
      return scan_ids(ps, with_i64(by_start, ls), with_i64(by_start, saturating_add(hs, 1)),
                      [&](std::string_view key, std::string_view) { return dates(key).end <= hs; });
    case fs::prefix::ne:
      return scan_ids(ps, by_start, keys::prefix_end(by_start),
                      [&](std::string_view key, std::string_view) {
                        auto d = dates(key);
                        return !(d.start >= ls && d.end <= hs);
                      });
    case fs::prefix::gt:
      return ending_from(saturating_add(hs, 1));
    case fs::prefix::ge:
      return ending_from(ls);
    case fs::prefix::lt:
      return scan_ids(ps, by_start, with_i64(by_start, ls), any);
    case fs::prefix::le:
      return scan_ids(ps, by_start, with_i64(by_start, saturating_add(hs, 1)), any);
    case fs::prefix::sa:
      return scan_ids(ps, with_i64(by_start, saturating_add(hs, 1)), keys::prefix_end(by_start), any);
    case fs::prefix::eb: // ends before ls, so starts before it too
      return scan_ids(ps, by_start, with_i64(by_start, ls),
                      [&](std::string_view key, std::string_view) { return dates(key).end < ls; });
    case fs::prefix::ap: {
      // Approximately: the range widened by a tenth of its length, at least a day.
      auto slack = std::max<std::int64_t>((hs - ls) / 10, micros_per_day);
      auto lo = saturating_add(ls, -slack), hi = saturating_add(hs, slack);
      return scan_ids(ps, by_start, with_i64(by_start, saturating_add(hi, 1)),
                      [&](std::string_view key, std::string_view) { return dates(key).end >= lo; });
    }
  }
  return id_set{};
}

/// A numeric range scan over entries `base` + encoded number (+ id).
result<id_set> match_numeric(const param_scope& ps, const fs::raw_value& v, const std::string& base,
                             const number_value& n) {
  auto inf = std::numeric_limits<double>::infinity();
  auto between = [&](double lo, double hi, bool include_hi) -> result<id_set> {
    if (include_hi)
      hi = std::nextafter(hi, inf);
    return scan_ids(ps, with_double(base, lo), with_double(base, hi),
                    [](std::string_view, std::string_view) { return true; });
  };
  switch (v.pre) {
    case fs::prefix::eq:
      return between(n.low, n.high, false);
    case fs::prefix::ne: {
      auto below = between(-inf, n.low, false);
      if (!below)
        return below;
      auto above = between(n.high, inf, true);
      if (!above)
        return above;
      return unite(*below, *above);
    }
    case fs::prefix::gt:
    case fs::prefix::sa:
      return between(std::nextafter(n.value, inf), inf, true);
    case fs::prefix::ge:
      return between(n.value, inf, true);
    case fs::prefix::lt:
    case fs::prefix::eb:
      return between(-inf, n.value, false);
    case fs::prefix::le:
      return between(-inf, n.value, true);
    case fs::prefix::ap: {
      auto slack = std::abs(n.value) / 10;
      return between(n.value - slack, n.value + slack, true);
    }
  }
  return id_set{};
}

result<id_set> match_number(const param_scope& ps, const fs::clause& c, const fs::raw_value& v) {
  if (!c.modifier.empty())
    return unsupported(c, "modifier :" + c.modifier);
  auto n = parse_number(v.text);
  if (!n)
    return invalid_value(c, v, "is not a number");
  return match_numeric(ps, v, ps.prefix(ix::kind::number), *n);
}

result<id_set> match_quantity(const param_scope& ps, const fs::clause& c, const fs::raw_value& v) {
  if (!c.modifier.empty())
    return unsupported(c, "modifier :" + c.modifier);
  auto n = parse_number(v.parts[0]);
  if (!n)
    return invalid_value(c, v, "is not a number");
  if (v.parts.size() < 3 || (v.parts[1].empty() && v.parts[2].empty()))
    return match_numeric(ps, v, ps.prefix(ix::kind::quantity_value), *n);
  const auto& system = v.parts[1];
  const auto& code = v.parts[2];
  if (!system.empty()) {
    auto unit = comparable(system, code, *n);
    return match_numeric(ps, v, ps.prefix(ix::kind::quantity) + system + '\0' + unit.code + '\0',
                         unit.amount);
  }
  // "5.4||mg": any system with that code.
  auto base = ps.prefix(ix::kind::quantity);
  auto unit_matches = scan_ids(ps, base, keys::prefix_end(base),
                               [&](std::string_view key, std::string_view) {
                                 auto unit = ix::entry_pair(key);
                                 return unit && unit->second == code;
                               });
  if (!unit_matches)
    return unit_matches;
  auto by_value = match_numeric(ps, v, ps.prefix(ix::kind::quantity_value), *n);
  if (!by_value)
    return by_value;
  return intersect(*unit_matches, *by_value);
}

/// subject:identifier=[system|]value: references that carry that identifier.
result<id_set> match_reference_identifier(const param_scope& ps, const fs::raw_value& v) {
  auto base = ps.prefix(ix::kind::reference_identifier);
  if (v.parts.size() < 2)
    return scan_scoped(ps, base + v.text + '\0');
  const auto& system = v.parts[0];
  const auto& value = v.parts[1];
  if (value.empty()) // "system|": any value in that system
    return scan_ids(ps, base, keys::prefix_end(base), [&](std::string_view key, std::string_view) {
      auto value_system = ix::entry_pair(key);
      return value_system && value_system->second == system;
    });
  return scan_scoped(ps, base + value + '\0' + system + '\0');
}

/// partof:below=Location/1 (everything whose partof chain reaches it) and
/// partof:above=Location/5 (everything its chain reaches): a hierarchy of
/// one type through one reference parameter, walked breadth first.
result<id_set> match_hierarchy(const std::vector<param_scope>& scopes, const fs::clause& c,
                               const fs::raw_value& v) {
  const auto& ps = scopes.front();
  const auto type_name = std::string{fhir::resource_type_name(ps.type)};
  std::string start{fs::local_reference(unversioned(v.text), ps.ctx.service_path)};
  if (start.find('/') == std::string::npos)
    start = type_name + "/" + start;
  if (!start.starts_with(type_name + "/"))
    return invalid_value(c, v, "must name a " + type_name + " for :" + c.modifier +
                                 " (a hierarchy of one type)");
  std::set<std::string> seen{start.substr(type_name.size() + 1)};
  std::vector<std::string> frontier{*seen.begin()};
  id_set out;
  while (!frontier.empty()) {
    std::vector<std::string> next;
    for (const auto& id : frontier) {
      // below: who refers to id; above: what id refers to.
      result<std::vector<std::string>> step = std::vector<std::string>{};
      if (c.modifier == "below") {
        auto referring = scan_target(scopes, type_name + "/" + id);
        if (!referring)
          return referring.error();
        step = std::move(*referring);
      } else {
        auto targets = targets_of(ps.ctx, ps.type, id, scopes);
        if (!targets)
          return targets.error();
        std::vector<std::string> ids;
        for (auto& t : *targets)
          if (t.starts_with(type_name + "/"))
            ids.push_back(t.substr(type_name.size() + 1));
        step = std::move(ids);
      }
      for (auto& found : *step)
        if (seen.insert(found).second) {
          out.push_back(found);
          next.push_back(std::move(found));
        }
    }
    frontier = std::move(next);
  }
  normalize(out);
  return out;
}

/// "Patient/1", "Patient/1/_history/2", "1" (typed by the modifier or the
/// parameter's single target), or an absolute URL → how targets are stored.
result<id_set> match_reference(const std::vector<param_scope>& scopes, const fs::clause& c,
                               const fs::raw_value& v, const fs::search_param& p) {
  const auto& ps = scopes.front(); // the parameter's own entries
  if (c.modifier == "identifier")
    return match_reference_identifier(ps, v);
  if (c.modifier == "above" || c.modifier == "below")
    return match_hierarchy(scopes, c, v);
  std::string target{fs::local_reference(unversioned(v.text), ps.ctx.service_path)};
  bool absolute = target.find("://") != std::string::npos;
  if (!absolute && target.find('/') == std::string::npos) {
    std::string type = !c.modifier.empty() && fhir::find_resource_type(c.modifier) ? c.modifier
                       : p.targets.size() == 1                                   ? p.targets[0]
                                                                                 : std::string{};
    if (type.empty()) // any type: match the id after the type
      return scan_references(scopes, [&](std::string_view key, std::string_view) {
        auto t = ix::entry_target(key);
        return t && t->size() > target.size() && t->ends_with("/" + target) &&
               t->find("://") == std::string_view::npos;
      });
    target = type + "/" + target;
  }
  return scan_target(scopes, target);
}

// ---- clauses -----------------------------------------------------------------------

/// Whether the clause selects resources by what they lack (`:missing=true`,
/// `:not`): a union's halves' answers are then intersected, not united.
bool selects_absence(const fs::clause& c) {
  if (c.modifier == "not") return true;
  return c.modifier == "missing" && !c.values.empty() && c.values.front().text == "true";
}

result<id_set> match_values(const exec_context& ctx, std::uint16_t type,
                            const fs::search_param& p, const fs::clause& c) {
  // A union (combo-code = code | component-code) has no entries of its own:
  // a value of either half matches.
  if (const auto& halves = ctx.registry.union_of(fhir::resource_type_name(type), p);
      !halves.empty()) {
    std::optional<id_set> out;
    for (const auto* half : halves) {
      auto ids = match_values(ctx, type, *half, c);
      if (!ids)
        return ids;
      out = !out ? std::move(*ids)
                 : selects_absence(c) ? intersect(*out, *ids) : unite(*out, *ids);
    }
    return std::move(*out);
  }
  auto ps = scope_of(ctx, type, p);
  const auto scopes = p.type == fs::param_type::reference ? reference_scopes(ctx, type, p)
                                                          : std::vector<param_scope>{ps};
  if (c.modifier == "missing") {
    // Any entry of the parameter, of any kind, means it has a value.
    auto present = scan_scoped(ps, ix::param_prefix(ctx.service, type, ps.pid));
    if (!present)
      return present;
    if (scopes.size() > 1) { // and a narrowed reference's in its parent's entries
      auto held = scan_references({scopes.begin() + 1, scopes.end()},
                                  [](std::string_view, std::string_view) { return true; });
      if (!held)
        return held;
      present = unite(*present, *held);
    }
    bool want_missing = !c.values.empty() && c.values.front().text == "true";
    if (!want_missing)
      return present;
    auto all = all_ids(ctx, type);
    if (!all)
      return all;
    return subtract(*all, *present);
  }
  id_set out;
  for (auto& v : c.values) {
    result<id_set> ids = id_set{};
    switch (p.type) {
      case fs::param_type::string: ids = match_string(ps, c, v); break;
      case fs::param_type::token: ids = match_token(ps, c, v); break;
      case fs::param_type::uri: ids = match_uri(ps, c, v); break;
      case fs::param_type::date: ids = match_date(ps, c, v); break;
      case fs::param_type::number: ids = match_number(ps, c, v); break;
      case fs::param_type::quantity: ids = match_quantity(ps, c, v); break;
      case fs::param_type::reference: ids = match_reference(scopes, c, v, p); break;
      case fs::param_type::composite: ids = match_composite(ps, c, v, p); break;
      default: return unsupported(c, std::string{fs::param_type_name(p.type)} + " parameters");
    }
    if (!ids)
      return ids;
    out = unite(out, *ids);
  }
  if (c.modifier == "not") { // resources with no matching value, missing ones included
    auto all = all_ids(ctx, type);
    if (!all)
      return all;
    return subtract(*all, out);
  }
  return out;
}

/// The ids among `ids` whose resource exists and is not deleted.
result<id_set> live_only(const exec_context& ctx, std::uint16_t type, const id_set& ids) {
  id_set out;
  std::string bytes;
  for (auto& id : ids) {
    auto s = ctx.db.get(column::resources, keys::resource(ctx.service, type, id), &bytes);
    if (s.code() == errc::not_found)
      continue;
    if (!s)
      return s;
    auto h = storage::decode_record_header(bytes);
    if (h && h->kind != storage::record_kind::erase)
      out.push_back(id);
  }
  return out;
}

result<std::uint16_t> type_named(std::string_view name) {
  auto t = fhir::find_resource_type(name);
  if (!t)
    return status{errc::invalid, "'" + std::string{name} + "' is not an R4 resource type"};
  return *t;
}

/// subject:Patient.name=x → the Patients named x → resources referring to them.
result<id_set> match_chain(const exec_context& ctx, std::string_view type,
                           const fs::search_param& p, const fs::clause& c) {
  fs::clause inner;
  inner.code = c.chain.front().code;
  inner.modifier = c.chain.front().modifier;
  inner.chain.assign(c.chain.begin() + 1, c.chain.end());
  inner.values = c.values;
  std::vector<std::string> targets;
  if (!c.modifier.empty())
    targets.push_back(c.modifier);
  else
    targets = p.targets;
  auto tid = type_named(type);
  if (!tid)
    return tid.error();
  const auto scopes = reference_scopes(ctx, *tid, p);
  id_set out;
  for (auto& target : targets) {
    if (!ctx.registry.find(target, inner.code))
      continue;
    auto matched = match_clause(ctx, target, inner);
    if (!matched)
      return matched;
    for (auto& id : *matched) {
      auto sources = scan_target(scopes, target + "/" + id);
      if (!sources)
        return sources;
      out = unite(out, *sources);
    }
  }
  return out;
}

/// _has:Observation:patient:code=x → Observations with code x → the
/// resources of `type` their `patient` refers to.
result<id_set> match_has(const exec_context& ctx, std::string_view type, const fs::clause& c) {
  const auto& link = c.has.front();
  fs::clause inner = c;
  inner.has.erase(inner.has.begin());
  auto source_type = type_named(link.type);
  if (!source_type)
    return source_type.error();
  auto ref = ctx.registry.find(link.type, link.param);
  if (!ref || ref->type != fs::param_type::reference)
    return status{errc::invalid,
                  "_has: '" + link.param + "' is not a reference parameter of " + link.type, "_has"};
  auto sources = match_clause(ctx, link.type, inner);
  if (!sources)
    return sources;
  auto wanted = std::string{type} + "/";
  const auto scopes = reference_scopes(ctx, *source_type, *ref);
  id_set out;
  for (auto& id : *sources) {
    auto targets = targets_of(ctx, *source_type, id, scopes);
    if (!targets)
      return targets.error();
    for (auto& target : *targets)
      if (target.starts_with(wanted) && target.find('/', wanted.size()) == std::string::npos)
        out.push_back(target.substr(wanted.size()));
  }
  normalize(out);
  auto tid = type_named(type);
  if (!tid)
    return tid.error();
  // References may name resources that were deleted or never existed.
  return live_only(ctx, *tid, out);
}

/// _id, the resource's own id: `:not` and `:missing` are its only
/// modifiers that mean something (every resource has an id). Any other is
/// refused, never ignored: `DELETE Patient?_id:not=a` ignoring `:not`
/// would delete `a`.
result<id_set> match_ids(const exec_context& ctx, std::uint16_t type, const fs::clause& c) {
  if (c.modifier == "missing") {
    const bool want_missing = !c.values.empty() && c.values.front().text == "true";
    if (want_missing)
      return id_set{};
    return all_ids(ctx, type);
  }
  if (!c.modifier.empty() && c.modifier != "not")
    return status{errc::invalid, "search parameter '_id' takes no modifier :" + c.modifier +
                                   " (only :not and :missing)", c.code};
  id_set out;
  for (auto& v : c.values)
    out.push_back(v.text);
  normalize(out);
  if (c.modifier != "not")
    return live_only(ctx, type, out);
  auto all = all_ids(ctx, type);
  if (!all)
    return all;
  return subtract(*all, out);
}

} // namespace

result<id_set> match_clause(const exec_context& ctx, std::string_view type, const fs::clause& c) {
  auto tid = type_named(type);
  if (!tid)
    return tid.error();
  if (!c.has.empty())
    return match_has(ctx, type, c);
  if (c.code == "_id")
    return match_ids(ctx, *tid, c);
  auto p = ctx.registry.find(type, c.code);
  if (!p)
    return status{errc::invalid,
                  "unknown search parameter '" + c.code + "' for " + std::string{type}, c.code};
  if (!fs::is_indexed(*p))
    return unsupported(c, p->type == fs::param_type::special
                            ? std::string{"special parameters"}
                            : "a parameter R4 gives no expression (nothing is indexed for it)");
  if (!c.chain.empty()) {
    if (p->type != fs::param_type::reference)
      return status{errc::invalid, "'" + c.code + "' is not a reference and cannot be chained",
                    c.code};
    return match_chain(ctx, type, *p, c);
  }
  return match_values(ctx, *tid, *p, c);
}

} // namespace atrium::actors::search
