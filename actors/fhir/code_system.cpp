#include "actors/fhir/code_system.hpp"

#include <regex>

namespace atrium::actors::search {

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

std::string_view str(object o, std::string_view key) {
  std::string_view s;
  return o.at_key(key).get_string().get(s) == simdjson::SUCCESS ? s : std::string_view{};
}

/// A concept property's value as text, whatever its value[x].
std::string property_value(object p) {
  for (auto key : {"valueCode", "valueString", "valueDateTime"})
    if (auto s = str(p, key); !s.empty()) return std::string{s};
  bool b = false;
  if (p.at_key("valueBoolean").get_bool().get(b) == simdjson::SUCCESS) return b ? "true" : "false";
  std::int64_t i = 0;
  if (p.at_key("valueInteger").get_int64().get(i) == simdjson::SUCCESS) return std::to_string(i);
  double d = 0;
  if (p.at_key("valueDecimal").get_double().get(d) == simdjson::SUCCESS) return std::to_string(d);
  object coding;
  if (p.at_key("valueCoding").get_object().get(coding) == simdjson::SUCCESS)
    return std::string{str(coding, "code")};
  return {};
}

void add_concepts(object owner, std::string_view parent, code_system& cs) {
  array concepts;
  if (owner.at_key("concept").get_array().get(concepts) != simdjson::SUCCESS) return;
  for (element e : concepts) {
    object entry;
    if (e.get_object().get(entry) != simdjson::SUCCESS) continue;
    const std::string code{str(entry, "code")};
    if (code.empty()) continue;
    cs.codes.push_back(code);
    if (!parent.empty()) {
      cs.children.emplace(parent, code);
      cs.parents.emplace(code, parent);
    }
    array properties;
    if (entry.at_key("property").get_array().get(properties) == simdjson::SUCCESS)
      for (element p : properties) {
        object property;
        if (p.get_object().get(property) != simdjson::SUCCESS) continue;
        const std::string name{str(property, "code")};
        auto value = property_value(property);
        if (name.empty()) continue;
        cs.properties.emplace(std::pair{code, name}, value);
        if (name == "parent" && !value.empty()) {
          cs.children.emplace(value, code);
          cs.parents.emplace(code, value);
        }
      }
    add_concepts(entry, code, cs);
  }
}

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    auto comma = s.find(',');
    out.emplace_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

/// Whether `code` passes one filter; nullopt for an operator not known.
std::optional<bool> passes(const code_system& cs, const std::string& code, std::string_view property,
                           std::string_view op, const std::string& value,
                           const std::set<std::string>& below, const std::set<std::string>& above,
                           const std::optional<std::regex>& pattern) {
  const bool on_concept = property == "concept" || property == "code";
  auto values = [&] {
    std::vector<std::string> out;
    if (on_concept) return std::vector<std::string>{code};
    auto [lo, hi] = cs.properties.equal_range({code, std::string{property}});
    for (auto it = lo; it != hi; ++it) out.push_back(it->second);
    return out;
  };
  auto any_of = [&](auto pred) {
    for (const auto& v : values())
      if (pred(v)) return true;
    return false;
  };
  if (op == "=") return any_of([&](const std::string& v) { return v == value; });
  if (op == "is-a") return below.contains(code);
  if (op == "descendent-of") return below.contains(code) && code != value;
  if (op == "is-not-a") return !below.contains(code);
  if (op == "generalizes") return above.contains(code);
  if (op == "regex")
    return any_of([&](const std::string& v) { return std::regex_match(v, *pattern); });
  if (op == "in" || op == "not-in") {
    auto listed = split_commas(value);
    bool in = any_of([&](const std::string& v) {
      return std::find(listed.begin(), listed.end(), v) != listed.end();
    });
    return op == "in" ? in : !in;
  }
  if (op == "exists") return (value == "true") == !values().empty();
  return std::nullopt;
}

} // namespace

std::set<std::string> code_system::closure(const std::string& code, bool down) const {
  const auto& edges = down ? children : parents;
  std::set<std::string> seen{code};
  std::vector<std::string> todo{code};
  while (!todo.empty()) {
    auto next = std::move(todo.back());
    todo.pop_back();
    auto [lo, hi] = edges.equal_range(next);
    for (auto it = lo; it != hi; ++it)
      if (seen.insert(it->second).second) todo.push_back(it->second);
  }
  return seen;
}

result<code_system> load_code_system(const exec_context& ctx, std::string_view url) {
  auto json = find_canonical(ctx, "CodeSystem", url);
  if (!json) return json.error();
  simdjson::dom::parser parser;
  object root;
  if (parser.parse(*json).get_object().get(root) != simdjson::SUCCESS)
    return status{errc::internal, "stored CodeSystem '" + std::string{url} + "' is not JSON"};
  code_system cs;
  cs.url = std::string{url};
  add_concepts(root, {}, cs);
  return cs;
}

result<std::set<std::string>> filtered_codes(const code_system& cs, simdjson::dom::array filters,
                                             std::string_view where) {
  std::set<std::string> out(cs.codes.begin(), cs.codes.end());
  for (element f : filters) {
    object filter;
    if (f.get_object().get(filter) != simdjson::SUCCESS) continue;
    const auto property = str(filter, "property");
    const auto op = str(filter, "op");
    const std::string value{str(filter, "value")};
    auto bad = [&](std::string why) {
      return status{errc::invalid, "ValueSet '" + std::string{where} + "': filter " +
                                     std::string{property} + " " + std::string{op} + " " + value +
                                     ": " + why};
    };
    std::set<std::string> below, above;
    if (op == "is-a" || op == "descendent-of" || op == "is-not-a") below = cs.closure(value, true);
    if (op == "generalizes") above = cs.closure(value, false);
    std::optional<std::regex> pattern;
    if (op == "regex") {
      try {
        pattern.emplace(value, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return bad(std::string{"not a regular expression: "} + e.what());
      }
    }
    std::set<std::string> kept;
    for (const auto& code : out) {
      auto ok = passes(cs, code, property, op, value, below, above, pattern);
      if (!ok)
        return status{errc::not_implemented, "ValueSet '" + std::string{where} +
                                               "': filter operator '" + std::string{op} +
                                               "' is not supported"};
      if (*ok) kept.insert(code);
    }
    out = std::move(kept);
  }
  return out;
}

} // namespace atrium::actors::search
