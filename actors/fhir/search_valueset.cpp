// token:in and token:not-in against ValueSets stored in the same service.
// A ValueSet's expansion, when it carries one, is its list of codes;
// otherwise its compose: included concepts, whole code systems and other
// ValueSets, minus excluded concepts and systems. Filters need a
// terminology server and are refused as not implemented.
#include <set>

#include <simdjson.h>

#include "actors/fhir/search_scan.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "storage/resource_record.hpp"

namespace atrium::actors::search {

namespace {

namespace fs = fhir::search;
namespace ix = storage::index;
namespace keys = storage::keys;
using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

/// How deep ValueSets may include each other.
constexpr int max_nesting = 5;

struct code_set {
  std::set<std::pair<std::string, std::string>> codes;    // (system, code)
  std::set<std::string> systems;                          // every code of these…
  std::set<std::pair<std::string, std::string>> excluded; // …but these
};

std::string_view field(object o, std::string_view key) {
  std::string_view s;
  return o.at_key(key).get_string().get(s) == simdjson::SUCCESS ? s : std::string_view{};
}

template <class F>
void each_object(object o, std::string_view key, F&& f) {
  array a;
  if (o.at_key(key).get_array().get(a) != simdjson::SUCCESS)
    return;
  for (element e : a) {
    object item;
    if (e.get_object().get(item) == simdjson::SUCCESS)
      f(item);
  }
}

void add_contains(object o, code_set& out) {
  each_object(o, "contains", [&](object c) {
    if (!field(c, "code").empty())
      out.codes.emplace(field(c, "system"), field(c, "code"));
    add_contains(c, out);
  });
}

/// The current JSON of a resource, or nullopt when absent or deleted.
result<std::optional<std::string>> read_current(const exec_context& ctx, std::uint16_t type,
                                                std::string_view id) {
  std::string bytes;
  auto s = ctx.db.get(storage::column::resources, keys::resource(ctx.service, type, id), &bytes);
  if (s.code() == errc::not_found)
    return std::optional<std::string>{};
  if (!s)
    return s;
  auto rec = storage::decode_record(bytes);
  if (!rec || rec->deleted())
    return std::optional<std::string>{};
  return std::optional<std::string>{std::move(rec->json)};
}

result<code_set> codes_of(const exec_context& ctx, std::string_view name, int depth);

/// The ValueSet's JSON, by "ValueSet/id" or canonical url[|version].
result<std::string> find_value_set(const exec_context& ctx, std::string_view name) {
  const auto type = *fhir::find_resource_type("ValueSet");
  auto not_found = status{errc::invalid, "no ValueSet '" + std::string{name} + "' in this service"};
  if (name.starts_with("ValueSet/")) {
    auto json = read_current(ctx, type, name.substr(9));
    if (!json)
      return json.error();
    if (!*json)
      return not_found;
    return std::move(**json);
  }
  auto bar = name.find('|');
  auto url = name.substr(0, bar);
  auto version = bar == std::string_view::npos ? std::string_view{} : name.substr(bar + 1);
  const auto* url_param = ctx.registry.find("ValueSet", "url");
  if (!url_param)
    return not_found;
  auto ids = scan_prefix(ctx, ix::prefix(ctx.service, type, ix::param_id_of(url_param->url),
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
    object vs;
    if (parser.parse(**json).get_object().get(vs) == simdjson::SUCCESS && field(vs, "version") == version)
      return std::move(**json);
  }
  return not_found;
}

/// One compose.include or compose.exclude entry into `out`.
status add_rule(const exec_context& ctx, std::string_view vs_name, object rule, int depth,
                code_set& out) {
  array filters;
  if (rule.at_key("filter").get_array().get(filters) == simdjson::SUCCESS && filters.size() > 0)
    return {errc::not_implemented, "ValueSet '" + std::string{vs_name} +
                                     "' selects codes by filter, which needs a terminology "
                                     "service; list its concepts or store an expansion"};
  const auto system = field(rule, "system");
  bool listed = false;
  each_object(rule, "concept", [&](object c) {
    listed = true;
    if (!field(c, "code").empty())
      out.codes.emplace(system, field(c, "code"));
  });
  if (!listed && !system.empty())
    out.systems.emplace(system);
  array nested;
  if (rule.at_key("valueSet").get_array().get(nested) == simdjson::SUCCESS) {
    for (element e : nested) {
      std::string_view canonical;
      if (e.get_string().get(canonical) != simdjson::SUCCESS)
        continue;
      auto inner = codes_of(ctx, canonical, depth + 1);
      if (!inner)
        return inner.error();
      out.codes.insert(inner->codes.begin(), inner->codes.end());
      out.systems.insert(inner->systems.begin(), inner->systems.end());
      out.excluded.insert(inner->excluded.begin(), inner->excluded.end());
    }
  }
  return status::ok();
}

result<code_set> codes_of(const exec_context& ctx, std::string_view name, int depth) {
  if (depth > max_nesting)
    return status{errc::invalid, "ValueSet '" + std::string{name} + "' nests more than " +
                                   std::to_string(max_nesting) + " ValueSets deep"};
  auto json = find_value_set(ctx, name);
  if (!json)
    return json.error();
  simdjson::dom::parser parser;
  object vs;
  if (parser.parse(*json).get_object().get(vs) != simdjson::SUCCESS)
    return status{errc::internal, "stored ValueSet '" + std::string{name} + "' is not JSON"};
  code_set out;
  object expansion;
  if (vs.at_key("expansion").get_object().get(expansion) == simdjson::SUCCESS) {
    add_contains(expansion, out);
    return out;
  }
  object compose;
  if (vs.at_key("compose").get_object().get(compose) != simdjson::SUCCESS)
    return out;
  status failed = status::ok();
  each_object(compose, "include", [&](object rule) {
    if (failed)
      failed = add_rule(ctx, name, rule, depth, out);
  });
  code_set excluded;
  each_object(compose, "exclude", [&](object rule) {
    if (failed)
      failed = add_rule(ctx, name, rule, depth, excluded);
  });
  if (!failed)
    return failed;
  for (const auto& c : excluded.codes) {
    out.codes.erase(c);
    out.excluded.insert(c);
  }
  for (const auto& s : excluded.systems) {
    out.systems.erase(s);
    std::erase_if(out.codes, [&](const auto& c) { return c.first == s; });
  }
  return out;
}

} // namespace

result<id_set> match_value_set(const param_scope& ps, const fs::raw_value& v) {
  auto set = codes_of(ps.ctx, v.text, 0);
  if (!set)
    return set.error();
  const auto base = ps.prefix(ix::kind::token_code);
  id_set out;
  for (const auto& [system, code] : set->codes) {
    auto ids = scan_prefix(ps.ctx, base + code + '\0' + system + '\0');
    if (!ids)
      return ids;
    out.insert(out.end(), ids->begin(), ids->end());
  }
  if (!set->systems.empty()) {
    auto ids = scan_ids(ps.ctx, base, keys::prefix_end(base), [&](std::string_view key, std::string_view) {
      auto rest = key.substr(base.size());
      auto code = rest.substr(0, rest.find('\0'));
      rest.remove_prefix(code.size() + 1);
      std::pair<std::string, std::string> coding{rest.substr(0, rest.find('\0')), code};
      return set->systems.contains(coding.first) && !set->excluded.contains(coding);
    });
    if (!ids)
      return ids;
    out.insert(out.end(), ids->begin(), ids->end());
  }
  normalize(out);
  return out;
}

} // namespace atrium::actors::search
