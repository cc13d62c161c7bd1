// token:in and token:not-in against ValueSets stored in the same service.
// A ValueSet's expansion, when it carries one, is its list of codes;
// otherwise its compose: included concepts, whole code systems, filters over
// CodeSystems stored in the service, and other ValueSets, minus excluded
// concepts and systems. Filters over code systems the service does not hold
// need a terminology server and are refused as not implemented.
#include <set>

#include <simdjson.h>

#include "actors/fhir/code_system.hpp"
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

result<code_set> codes_of(const exec_context& ctx, std::string_view name, int depth);

/// One compose.include or compose.exclude entry into `out`.
status add_rule(const exec_context& ctx, std::string_view vs_name, object rule, int depth,
                code_set& out) {
  const auto system = field(rule, "system");
  array filters;
  if (rule.at_key("filter").get_array().get(filters) == simdjson::SUCCESS && filters.size() > 0) {
    // Filters are evaluated over the CodeSystem when the service holds it;
    // others (SNOMED CT, LOINC) need a terminology service.
    auto cs = load_code_system(ctx, system);
    if (!cs)
      return {errc::not_implemented,
              "ValueSet '" + std::string{vs_name} + "' filters code system '" +
                std::string{system} + "', which is not stored in this service (" +
                cs.error().message() + "); store the CodeSystem, list the concepts or store an "
                                       "expansion"};
    auto codes = filtered_codes(*cs, filters, vs_name);
    if (!codes)
      return codes.error();
    for (const auto& code : *codes)
      out.codes.emplace(system, code);
    return status::ok();
  }
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
  auto json = find_canonical(ctx, "ValueSet", name);
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
  auto listed = match_codings(ps, set->codes);
  if (!listed || set->systems.empty())
    return listed;
  // Whole code systems: every token entry, kept by its system.
  const auto base = ps.prefix(ix::kind::token_code);
  auto in_systems = scan_ids(ps, base, keys::prefix_end(base), [&](std::string_view key, std::string_view) {
    auto code_system = ix::entry_pair(key);
    if (!code_system)
      return false;
    std::pair<std::string, std::string> coding{code_system->second, code_system->first};
    return set->systems.contains(coding.first) && !set->excluded.contains(coding);
  });
  if (!in_systems)
    return in_systems;
  id_set out = std::move(*listed);
  out.insert(out.end(), in_systems->begin(), in_systems->end());
  normalize(out);
  return out;
}

} // namespace atrium::actors::search
