#include "actors/fhir/search_scan.hpp"

#include "protocols/fhir/resource_types.hpp"
#include "protocols/fhir/search/ucum.hpp"
#include "storage/resource_record.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "protocols/fhir/resource_types.hpp"

namespace atrium::actors::search {

void normalize(id_set& ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
}

id_set unite(const id_set& a, const id_set& b) {
  id_set out;
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

result<id_set> scan_prefix(const exec_context& ctx, const std::string& prefix) {
  return scan_ids(ctx, prefix, storage::keys::prefix_end(prefix),
                  [](std::string_view, std::string_view) { return true; });
}

storage::index::param_id index_id(const exec_context& ctx, std::uint16_t type,
                                  const fhir::search::search_param& p) {
  auto name = fhir::resource_type_name(type);
  return storage::index::param_id_of(ctx.registry.source_of(name, p).parent->index_name());
}

param_scope scope_of(const exec_context& ctx, std::uint16_t type,
                     const fhir::search::search_param& p) {
  auto source = ctx.registry.source_of(fhir::resource_type_name(type), p);
  return {ctx, type, storage::index::param_id_of(source.parent->index_name()), source.tag};
}

result<id_set> scan_scoped(const param_scope& ps, const std::string& prefix) {
  if (ps.part == 0) return scan_prefix(ps.ctx, prefix);
  return scan_ids(ps, prefix, storage::keys::prefix_end(prefix),
                  [](std::string_view, std::string_view) { return true; });
}

std::vector<param_scope> reference_scopes(const exec_context& ctx, std::uint16_t type,
                                          const fhir::search::search_param& p) {
  const auto name = fhir::resource_type_name(type);
  const auto& holder = ctx.registry.indexed_as(name, p);
  std::vector<param_scope> out{scope_of(ctx, type, holder)};
  if (const auto* narrowed = ctx.registry.narrowed_of(name, holder)) {
    auto parent = scope_of(ctx, type, *narrowed->parent);
    parent.target_prefix = narrowed->target_prefix;
    out.push_back(parent);
  }
  return out;
}

result<id_set> scan_target(const std::vector<param_scope>& scopes, const std::string& target) {
  id_set out;
  for (const auto& ps : scopes) {
    if (!target.starts_with(ps.target_prefix))
      continue;
    auto ids = scan_prefix(ps.ctx, ps.prefix(storage::index::kind::reference) + target + '\0');
    if (!ids)
      return ids;
    out = out.empty() ? std::move(*ids) : unite(out, *ids);
  }
  return out;
}

result<std::vector<std::string>> targets_of(const exec_context& ctx, std::uint16_t type,
                                            std::string_view id,
                                            const std::vector<param_scope>& scopes) {
  namespace ix = storage::index;
  auto keys = manifest_keys(ctx, type, id);
  if (!keys)
    return keys.error();
  std::vector<std::pair<std::string, const param_scope*>> prefixes;
  for (const auto& ps : scopes)
    prefixes.emplace_back(ps.prefix(ix::kind::reference), &ps);
  std::vector<std::string> out;
  for (auto& key : **keys)
    for (auto& [p, ps] : prefixes)
      if (key.starts_with(p) && ps->accepts(key)) {
        if (auto target = ix::entry_target(key))
          out.emplace_back(*target);
        break; // twins share an id, and a parent may be listed twice
      }
  return out;
}

status invalid_value(const fhir::search::clause& c, const fhir::search::raw_value& v,
                     std::string why) {
  return {errc::invalid, "search parameter '" + c.code + "': '" + v.text + "' " + why, c.code};
}

std::optional<number_value> parse_number(std::string_view text) {
  std::string s{text};
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v))
    return std::nullopt;
  auto dot = s.find('.');
  auto exp = s.find_first_of("eE");
  int decimals = 0;
  if (dot != std::string::npos)
    decimals = static_cast<int>((exp == std::string::npos ? s.size() : exp) - dot - 1);
  if (exp != std::string::npos)
    decimals -= std::atoi(s.c_str() + exp + 1);
  double half = 0.5 * std::pow(10.0, -decimals);
  return number_value{v, v - half, v + half};
}

unit_amount comparable(std::string_view system, std::string_view code, const number_value& n) {
  if (system == fhir::search::ucum_system)
    if (auto canonical = fhir::search::ucum_canonical(code)) {
      const double f = canonical->factor;
      return {std::string{canonical->code}, {n.value * f, n.low * f, n.high * f}};
    }
  return {std::string{code}, n};
}

bool token_in(std::string_view code, std::string_view system, const fhir::search::raw_value& q) {
  if (q.parts.size() < 2)
    return code == q.text;
  if (q.parts[1].empty())
    return system == q.parts[0];
  return code == q.parts[1] && system == q.parts[0];
}

bool number_in(double x, fhir::search::prefix pre, const number_value& n) {
  using fhir::search::prefix;
  switch (pre) {
    case prefix::eq: return n.low <= x && x < n.high;
    case prefix::ne: return !(n.low <= x && x < n.high);
    case prefix::gt:
    case prefix::sa: return x > n.value;
    case prefix::ge: return x >= n.value;
    case prefix::lt:
    case prefix::eb: return x < n.value;
    case prefix::le: return x <= n.value;
    case prefix::ap: return std::abs(x - n.value) <= std::abs(n.value) / 10;
  }
  return false;
}

bool date_in(std::int64_t s, std::int64_t e, fhir::search::prefix pre, std::int64_t ls,
             std::int64_t hs) {
  using fhir::search::prefix;
  constexpr std::int64_t micros_per_day = 86'400'000'000;
  switch (pre) {
    case prefix::eq: return s >= ls && e <= hs;
    case prefix::ne: return !(s >= ls && e <= hs);
    case prefix::gt: return e > hs;
    case prefix::ge: return e >= ls;
    case prefix::lt: return s < ls;
    case prefix::le: return s <= hs;
    case prefix::sa: return s > hs;
    case prefix::eb: return e < ls;
    case prefix::ap: {
      // Approximately: the range widened by a tenth of its length, at least a day.
      auto slack = std::max<std::int64_t>((hs - ls) / 10, micros_per_day);
      return s <= hs + slack && e >= ls - slack;
    }
  }
  return false;
}

result<const std::vector<std::string>*> manifest_keys(const exec_context& ctx,
                                                      std::uint16_t type, std::string_view id) {
  auto key = storage::index::manifest_key(ctx.service, type, id);
  if (auto hit = ctx.manifests.find(key); hit != ctx.manifests.end())
    return &hit->second;
  std::string bytes;
  auto s = ctx.db.get(storage::column::manifests, key, &bytes);
  std::vector<std::string> keys;
  if (s.is_ok()) {
    auto listed = storage::index::decode_manifest(bytes, id);
    if (!listed)
      return status{errc::internal, "the index manifest of " + std::string{id} + " is corrupt"};
    keys = std::move(*listed);
  } else if (s.code() != errc::not_found) {
    return s;
  }
  return &ctx.manifests.emplace(std::move(key), std::move(keys)).first->second;
}

result<id_set> match_codings(const param_scope& ps,
                             const std::set<std::pair<std::string, std::string>>& codings) {
  const auto base = ps.prefix(storage::index::kind::token_code);
  id_set out;
  for (const auto& [system, code] : codings) {
    auto ids = scan_scoped(ps, base + code + '\0' + system + '\0');
    if (!ids)
      return ids;
    out.insert(out.end(), ids->begin(), ids->end());
  }
  normalize(out);
  return out;
}

/// The current JSON of a resource, or nullopt when absent or deleted.
result<std::optional<std::string>> read_current(const exec_context& ctx, std::uint16_t type,
                                                std::string_view id) {
  std::string bytes;
  auto s = ctx.db.get(storage::column::resources, storage::keys::resource(ctx.service, type, id), &bytes);
  if (s.code() == errc::not_found)
    return std::optional<std::string>{};
  if (!s)
    return s;
  auto rec = storage::decode_record(bytes);
  if (!rec || rec->deleted())
    return std::optional<std::string>{};
  return std::optional<std::string>{std::move(rec->json)};
}


result<std::string> find_canonical(const exec_context& ctx, std::string_view type_name,
                                   std::string_view name) {
  const auto type = *fhir::find_resource_type(type_name);
  auto not_found = status{errc::invalid, "no " + std::string{type_name} + " '" + std::string{name} +
                                           "' in this service"};
  if (name.starts_with(std::string{type_name} + "/")) {
    auto json = read_current(ctx, type, name.substr(type_name.size() + 1));
    if (!json)
      return json.error();
    if (!*json)
      return not_found;
    return std::move(**json);
  }
  auto bar = name.find('|');
  auto url = name.substr(0, bar);
  auto version = bar == std::string_view::npos ? std::string_view{} : name.substr(bar + 1);
  const auto* url_param = ctx.registry.find(type_name, "url");
  if (!url_param)
    return not_found;
  namespace ix = storage::index;
  auto ids = scan_prefix(ctx, ix::prefix(ctx.service, type, index_id(ctx, type, *url_param),
                                         ix::kind::uri) + std::string{url} + '\0');
  if (!ids)
    return ids.error();
  for (const auto& id : *ids) {
    auto json = read_current(ctx, type, id);
    if (!json)
      return json.error();
    if (!*json)
      continue;
    if (version.empty())
      return std::move(**json);
    simdjson::dom::parser parser;
    simdjson::dom::object resource;
    std::string_view v;
    if (parser.parse(**json).get_object().get(resource) == simdjson::SUCCESS &&
        resource.at_key("version").get_string().get(v) == simdjson::SUCCESS && v == version)
      return std::move(**json);
  }
  return not_found;
}

} // namespace atrium::actors::search
