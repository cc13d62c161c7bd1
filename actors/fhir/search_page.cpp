// Sorting, paging and _include/_revinclude of a search (search_exec.hpp).
#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "actors/fhir/search_exec.hpp"
#include "actors/fhir/search_scan.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "protocols/fhir/search/compartment.hpp"
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

/// Includes beyond this many per page are left out (and the page says so
/// through a smaller include set); it bounds one page's work.
constexpr std::size_t max_includes = 1000;

// ---- sorting -------------------------------------------------------------------

/// A match with its sort values: the order-preserving index bytes of the
/// first (ascending) or last (descending) value of each sort parameter.
struct ranked {
  std::vector<std::optional<std::string>> values;
  std::string id;
};

struct order {
  std::vector<bool> descending;

  /// Missing values sort last in either direction; ties by id.
  bool operator()(const ranked& a, const ranked& b) const {
    for (std::size_t i = 0; i < descending.size(); ++i) {
      const auto& x = a.values[i];
      const auto& y = b.values[i];
      if (!x && !y)
        continue;
      if (!x || !y)
        return !x ? false : true;
      int cmp = x->compare(*y);
      if (descending[i])
        cmp = -cmp;
      if (cmp != 0)
        return cmp < 0;
    }
    return a.id < b.id;
  }
};

ix::kind sort_kind(const fs::search_param& p) {
  switch (p.type) {
    case fs::param_type::string: return ix::kind::string;
    case fs::param_type::token: return ix::kind::token_code;
    case fs::param_type::date: return ix::kind::date_start;
    case fs::param_type::number: return ix::kind::number;
    case fs::param_type::quantity: return ix::kind::quantity_value;
    case fs::param_type::uri: return ix::kind::uri;
    default: return ix::kind::reference;
  }
}

/// A date sorts descending by its latest end, then start: the value is a 'd'
/// entry's start(8) end(8) turned to end(8) start(8), and `value` keeps the
/// largest. Narrow ranges have no entry by end (index_keys.hpp
/// narrow_date_span), so both orders read 'd'.
void keep_latest_end(std::optional<std::string>& value, std::string_view key,
                     std::size_t prefix_size) {
  if (key.size() < prefix_size + 16)
    return;
  const auto start = key.substr(prefix_size, 8), end = key.substr(prefix_size + 8, 8);
  if (value) {
    const std::string_view kept{*value};
    const int by_end = end.compare(kept.substr(0, 8));
    if (by_end < 0 || (by_end == 0 && start <= kept.substr(8)))
      return;
  }
  value.emplace(end);
  value->append(start);
}

/// Fills values[slot] of a few matches from their manifests: the smallest
/// (ascending) or largest (descending) entry of the sort kind, which is the
/// entry the walk below would meet first; `by_end` for a descending date.
status rank_from_manifests(const param_scope& scope, const std::string& prefix, bool descending,
                           bool by_end, std::size_t slot, std::vector<ranked>& items) {
  const auto& ctx = scope.ctx;
  const auto type = scope.type;
  for (auto& it : items) {
    auto listed = manifest_keys(ctx, type, it.id);
    if (!listed)
      return listed.error();
    std::optional<std::string_view> best;
    for (const auto& key : **listed) {
      if (!key.starts_with(prefix) || !scope.accepts(key))
        continue;
      if (by_end)
        keep_latest_end(it.values[slot], key, prefix.size());
      else if (!best || (descending ? key > *best : key < *best))
        best = key;
    }
    if (best)
      it.values[slot] = std::string{best->substr(prefix.size(), best->size() - prefix.size() -
                                                                    it.id.size())};
  }
  return status::ok();
}

/// Fills values[slot] of every match by walking the entries of one scope
/// of sort parameter `p` in value order once (or, for a few matches, from
/// their manifests).
status rank_in(const param_scope& scope, const fs::search_param& p, bool descending,
               std::size_t slot, std::vector<ranked>& items) {
  const auto& ctx = scope.ctx;
  const auto prefix = scope.prefix(sort_kind(p));
  const bool by_end = descending && p.type == fs::param_type::date;
  if (items.size() <= ctx.decide_limit)
    return rank_from_manifests(scope, prefix, descending, by_end, slot, items);
  std::unordered_map<std::string_view, ranked*> by_id;
  for (auto& it : items)
    by_id.emplace(it.id, &it);
  // By end, every entry is read: in start order, the latest end can come last.
  auto cur = ctx.db.scan(column::index, prefix, keys::prefix_end(prefix), descending && !by_end);
  for (; cur.valid(); cur.next()) {
    if (!scope.accepts(cur.key()))
      continue;
    auto id = ix::entry_id(cur.key());
    if (!id)
      continue;
    auto it = by_id.find(*id);
    if (it == by_id.end())
      continue;
    if (by_end) {
      keep_latest_end(it->second->values[slot], cur.key(), prefix.size());
      continue;
    }
    if (it->second->values[slot])
      continue;
    auto key = cur.key();
    it->second->values[slot] = std::string{key.substr(prefix.size(), key.size() - prefix.size() - id->size())};
  }
  return cur.error();
}

/// Ranks by several sources of one parameter's values (a union's halves, a
/// narrowed reference's scopes): each match sorts by the first value of any
/// of them in the sort's order.
template <class RankOne>
status rank_by_first_of(std::size_t sources, bool descending, std::size_t slot,
                        std::vector<ranked>& items, RankOne rank_one) {
  std::vector<std::optional<std::string>> kept(items.size());
  for (std::size_t source = 0; source < sources; ++source) {
    for (std::size_t i = 0; i < items.size(); ++i)
      kept[i] = std::exchange(items[i].values[slot], std::nullopt);
    if (auto s = rank_one(source); !s)
      return s;
    for (std::size_t i = 0; i < items.size(); ++i) {
      auto& value = items[i].values[slot];
      if (kept[i] && (!value || (descending ? *kept[i] > *value : *kept[i] < *value)))
        value = std::move(kept[i]);
    }
  }
  return status::ok();
}

/// Fills values[slot] of every match from the sort parameter's entries;
/// `p` null means _id (the id is its value).
status rank_by(const exec_context& ctx, std::uint16_t type, const fs::search_param* param,
               bool descending, std::size_t slot, std::vector<ranked>& items) {
  if (!param) {
    for (auto& it : items)
      it.values[slot] = it.id;
    return status::ok();
  }
  const auto& p = *param;
  if (const auto& halves = ctx.registry.union_of(fhir::resource_type_name(type), p);
      !halves.empty())
    return rank_by_first_of(halves.size(), descending, slot, items, [&](std::size_t h) {
      return rank_by(ctx, type, halves[h], descending, slot, items);
    });
  if (p.type == fs::param_type::reference) {
    const auto scopes = reference_scopes(ctx, type, p);
    return rank_by_first_of(scopes.size(), descending, slot, items, [&](std::size_t k) {
      return rank_in(scopes[k], p, descending, slot, items);
    });
  }
  return rank_in(scope_of(ctx, type, p), p, descending, slot, items);
}

// ---- cursors ----------------------------------------------------------------------

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::optional<std::string> unhex(std::string_view text) {
  if (text.size() % 2)
    return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    auto nib = [](char c) {
      return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    };
    int hi = nib(text[i]), lo = nib(text[i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

/// The position after an item: each sort value (flag, length, bytes), then the id.
std::string encode_cursor(const ranked& r) {
  std::string out;
  for (auto& v : r.values) {
    out.push_back(v ? 1 : 0);
    if (v) {
      keys::append_u16(out, static_cast<std::uint16_t>(v->size()));
      out += *v;
    }
  }
  return hex(out + r.id);
}

std::optional<ranked> decode_cursor(std::string_view text, std::size_t slots) {
  auto bytes = unhex(text);
  if (!bytes)
    return std::nullopt;
  std::string_view rest = *bytes;
  ranked r;
  for (std::size_t i = 0; i < slots; ++i) {
    if (rest.empty())
      return std::nullopt;
    bool present = rest[0] == 1;
    rest.remove_prefix(1);
    if (!present) {
      r.values.emplace_back();
      continue;
    }
    if (rest.size() < 2)
      return std::nullopt;
    auto n = keys::read_u16(rest.data());
    if (rest.size() < 2u + n)
      return std::nullopt;
    r.values.emplace_back(std::string{rest.substr(2, n)});
    rest.remove_prefix(2u + n);
  }
  r.id = std::string{rest};
  return r;
}

// ---- loading and includes ----------------------------------------------------------

struct loader {
  const exec_context& ctx;
  page& out;
  std::set<std::pair<std::uint16_t, std::string>> seen;

  /// Adds a resource to the page unless it is there, gone or deleted.
  result<bool> add(std::uint16_t type, std::string_view id, bool included) {
    if (!seen.emplace(type, std::string{id}).second)
      return false;
    std::string bytes;
    auto s = ctx.db.get(column::resources, keys::resource(ctx.service, type, id), &bytes);
    if (s.code() == errc::not_found)
      return false;
    if (!s)
      return s;
    auto rec = storage::decode_record(bytes);
    if (!rec || rec->deleted())
      return false;
    out.hits.push_back({type, std::string{id}, std::move(rec->json), included});
    return true;
  }
};

std::vector<const fs::search_param*> reference_params(const exec_context& ctx,
                                                      std::string_view type,
                                                      std::string_view code) {
  std::vector<const fs::search_param*> out;
  if (code == "*") {
    for (auto* p : ctx.registry.for_type(type))
      if (p->type == fs::param_type::reference)
        out.push_back(p);
  } else if (auto* p = ctx.registry.find(type, code); p && p->type == fs::param_type::reference) {
    out.push_back(p);
  }
  return out;
}

/// _include: what the resources in [from, to) refer to.
status add_includes(const exec_context& ctx, loader& l, const std::vector<fs::include_spec>& specs,
                    std::size_t from, std::size_t to, bool iterating) {
  for (std::size_t i = from; i < to && l.out.hits.size() < max_includes; ++i) {
    auto type = l.out.hits[i].type;
    auto type_name = fhir::resource_type_name(type);
    auto id = l.out.hits[i].id;
    for (auto& spec : specs) {
      if (iterating && !spec.iterate)
        continue;
      if (spec.source_type != "*" && spec.source_type != type_name)
        continue;
      std::vector<param_scope> scopes;
      for (auto* p : reference_params(ctx, type_name, spec.param))
        for (auto& ps : reference_scopes(ctx, type, *p))
          scopes.push_back(ps);
      auto targets = targets_of(ctx, type, id, scopes);
      if (!targets)
        return targets.error();
      for (std::string_view target : *targets) {
        auto slash = target.find('/');
        if (slash == std::string_view::npos || target.find("://") != std::string_view::npos)
          continue;
        auto target_type = target.substr(0, slash);
        if (!spec.target_type.empty() && spec.target_type != target_type)
          continue;
        auto tid = fhir::find_resource_type(target_type);
        if (!tid)
          continue;
        if (auto added = l.add(*tid, target.substr(slash + 1), true); !added)
          return added.error();
      }
    }
  }
  return status::ok();
}

/// _revinclude: what refers to the resources in [from, to).
status add_revincludes(const exec_context& ctx, loader& l,
                       const std::vector<fs::include_spec>& specs, std::size_t from,
                       std::size_t to, bool iterating) {
  for (std::size_t i = from; i < to && l.out.hits.size() < max_includes; ++i) {
    auto target = std::string{fhir::resource_type_name(l.out.hits[i].type)} + "/" + l.out.hits[i].id;
    for (auto& spec : specs) {
      if (iterating && !spec.iterate)
        continue;
      auto source = fhir::find_resource_type(spec.source_type);
      if (!source)
        continue;
      for (auto* p : reference_params(ctx, spec.source_type, spec.param)) {
        auto ids = scan_target(reference_scopes(ctx, *source, *p), target);
        if (!ids)
          return ids.error();
        for (auto& id : *ids)
          if (auto added = l.add(*source, id, true); !added)
            return added.error();
      }
    }
  }
  return status::ok();
}

bool any_iterate(const std::vector<fs::include_spec>& specs) {
  return std::any_of(specs.begin(), specs.end(), [](auto& s) { return s.iterate; });
}

} // namespace

namespace {

/// The resources of `type` in the compartment of `target` ("Patient/123"):
/// those whose compartment parameters refer to it.
result<id_set> compartment_members(const exec_context& ctx, std::string_view type,
                                   std::string_view target) {
  id_set out;
  for (auto& code : fs::patient_compartment_params(type)) {
    fs::clause c;
    c.code = code;
    fs::raw_value v;
    v.text = v.raw = target;
    v.parts = {std::string{target}};
    c.values.push_back(std::move(v));
    auto ids = match_clause(ctx, type, c);
    if (!ids)
      return ids;
    id_set both;
    std::set_union(out.begin(), out.end(), ids->begin(), ids->end(), std::back_inserter(both));
    out = std::move(both);
  }
  return out;
}

} // namespace

result<page> run_search(const exec_context& ctx, std::string_view type,
                        const fs::search_query& q, std::string_view compartment) {
  auto tid = fhir::find_resource_type(type);
  if (!tid)
    return status{errc::invalid, "'" + std::string{type} + "' is not an R4 resource type"};

  // ---- matches ----
  std::optional<id_set> ids;
  if (!compartment.empty()) {
    auto members = compartment_members(ctx, type, compartment);
    if (!members)
      return members.error();
    ids = std::move(*members);
  }
  // Narrow clauses first; once the candidates are few, each remaining
  // clause is decided from the candidates' own entries instead of scanning
  // its whole range (date=ge2020 covers most of the index).
  std::vector<std::pair<clause_cost, const fs::clause*>> ordered;
  for (auto& c : q.clauses)
    ordered.emplace_back(estimate_cost(ctx, type, c), &c);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto [cost, c] : ordered) {
    if (ids && ids->size() <= ctx.decide_limit && cost != clause_cost::scan_only) {
      auto kept = filter_clause(ctx, type, *c, *ids);
      if (!kept)
        return kept.error();
      ids = std::move(*kept);
    } else {
      auto matched = match_clause(ctx, type, *c);
      if (!matched)
        return matched.error();
      ids = ids ? [&] {
        id_set both;
        std::set_intersection(ids->begin(), ids->end(), matched->begin(), matched->end(),
                              std::back_inserter(both));
        return both;
      }()
                : std::move(*matched);
    }
    if (ids->empty())
      break;
  }
  if (!ids) {
    // No criteria: every live resource of the type.
    auto prefix = keys::resource(ctx.service, *tid, "");
    ids.emplace();
    auto cur = ctx.db.scan(column::resources, prefix, keys::prefix_end(prefix));
    for (; cur.valid(); cur.next()) {
      auto h = storage::decode_record_header(cur.value());
      if (h && h->kind != storage::record_kind::erase)
        ids->emplace_back(cur.key().substr(prefix.size()));
    }
    if (auto s = cur.error(); !s)
      return s;
  }

  page out;
  out.total = ids->size();

  // ---- order ----
  order by;
  std::vector<const fs::search_param*> sort_params;
  for (auto& k : q.sort) {
    const fs::search_param* p = nullptr;
    if (k.code != "_id" && !(p = ctx.registry.find(type, k.code)))
      return status{errc::invalid, "cannot sort by unknown parameter '" + k.code + "'", "_sort"};
    sort_params.push_back(p);
    by.descending.push_back(k.descending);
  }
  std::vector<ranked> items;
  items.reserve(ids->size());
  for (auto& id : *ids)
    items.push_back({std::vector<std::optional<std::string>>(sort_params.size()), std::move(id)});
  for (std::size_t i = 0; i < sort_params.size(); ++i)
    if (auto s = rank_by(ctx, *tid, sort_params[i], by.descending[i], i, items); !s)
      return s;
  if (!sort_params.empty()) // else already in id order
    std::sort(items.begin(), items.end(), by);

  // ---- page ----
  // A cursor names the last item of the page before (next links) or, after
  // a 'p', the first item of the page after (previous links); items are
  // found by value, so pages stay right while others write.
  auto begin = items.begin();
  auto end = items.end();
  const bool backward = q.cursor.starts_with('p');
  if (!q.cursor.empty()) {
    auto at = decode_cursor(std::string_view{q.cursor}.substr(backward ? 1 : 0), sort_params.size());
    if (!at)
      return status{errc::invalid, "the paging cursor is malformed", "_cursor"};
    if (backward) {
      end = std::lower_bound(items.begin(), items.end(), *at, by);
      begin = end - std::min<std::size_t>(q.count, end - items.begin());
    } else {
      begin = std::upper_bound(items.begin(), items.end(), *at, by);
    }
  }
  if (!backward)
    end = begin + std::min<std::size_t>(q.count, items.end() - begin);
  if (end != items.end() && end != begin)
    out.next_cursor = encode_cursor(*(end - 1));
  if (begin != items.begin() && end != begin)
    out.previous_cursor = "p" + encode_cursor(*begin);

  loader l{ctx, out, {}};
  for (auto it = begin; it != end; ++it)
    if (auto added = l.add(*tid, it->id, false); !added)
      return added.error();

  // ---- includes ----
  // The first pass starts from the matches only; :iterate then applies the
  // iterating specs to each new round of includes until nothing new arrives
  // (or the include cap).
  auto matches = out.hits.size();
  if (auto s = add_includes(ctx, l, q.includes, 0, matches, false); !s)
    return s;
  if (auto s = add_revincludes(ctx, l, q.revincludes, 0, matches, false); !s)
    return s;
  bool iterate = any_iterate(q.includes) || any_iterate(q.revincludes);
  for (auto from = matches; iterate && from < out.hits.size() && out.hits.size() < max_includes;) {
    auto to = out.hits.size();
    if (auto s = add_includes(ctx, l, q.includes, from, to, true); !s)
      return s;
    if (auto s = add_revincludes(ctx, l, q.revincludes, from, to, true); !s)
      return s;
    from = to;
  }
  return out;
}

} // namespace atrium::actors::search
