// token:below and token:above through a CodeSystem stored in the service:
// its concepts' nesting (and "parent" properties) give the hierarchy.
#include <map>
#include <set>

#include <simdjson.h>

#include "actors/fhir/search_scan.hpp"

namespace atrium::actors::search {

namespace {

namespace fs = fhir::search;
namespace ix = storage::index;
using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::object;

struct hierarchy {
  std::multimap<std::string, std::string> children; // parent → child
  std::multimap<std::string, std::string> parents;  // child → parent

  void link(std::string_view parent, std::string_view child) {
    children.emplace(parent, child);
    parents.emplace(child, parent);
  }
};

std::string_view code_of(object entry) {
  std::string_view code;
  return entry.at_key("code").get_string().get(code) == simdjson::SUCCESS ? code : "";
}

void add_concepts(object owner, std::string_view parent, hierarchy& h) {
  array concepts;
  if (owner.at_key("concept").get_array().get(concepts) != simdjson::SUCCESS)
    return;
  for (element e : concepts) {
    object entry;
    if (e.get_object().get(entry) != simdjson::SUCCESS)
      continue;
    auto code = code_of(entry);
    if (code.empty())
      continue;
    if (!parent.empty())
      h.link(parent, code);
    array properties;
    if (entry.at_key("property").get_array().get(properties) == simdjson::SUCCESS)
      for (element p : properties) {
        std::string_view name, value;
        if (p.at_key("code").get_string().get(name) == simdjson::SUCCESS && name == "parent" &&
            p.at_key("valueCode").get_string().get(value) == simdjson::SUCCESS)
          h.link(value, code);
      }
    add_concepts(entry, code, h);
  }
}

/// `from` and everything reachable from it through `edges`.
std::set<std::string> closure(const std::multimap<std::string, std::string>& edges,
                              const std::string& from) {
  std::set<std::string> seen{from};
  std::vector<std::string> todo{from};
  while (!todo.empty()) {
    auto next = std::move(todo.back());
    todo.pop_back();
    auto [lo, hi] = edges.equal_range(next);
    for (auto it = lo; it != hi; ++it)
      if (seen.insert(it->second).second)
        todo.push_back(it->second);
  }
  return seen;
}

} // namespace

result<id_set> match_subsumption(const param_scope& ps, const fs::clause& c, const fs::raw_value& v) {
  if (v.parts.size() != 2 || v.parts[0].empty() || v.parts[1].empty())
    return invalid_value(c, v, "needs system|code for :" + c.modifier);
  const auto& system = v.parts[0];
  const auto& code = v.parts[1];
  auto json = find_canonical(ps.ctx, "CodeSystem", system);
  if (!json)
    return json.error();
  simdjson::dom::parser parser;
  object cs;
  if (parser.parse(*json).get_object().get(cs) != simdjson::SUCCESS)
    return status{errc::internal, "stored CodeSystem '" + system + "' is not JSON"};
  hierarchy h;
  add_concepts(cs, {}, h);
  std::set<std::pair<std::string, std::string>> codings;
  for (auto& each : closure(c.modifier == "below" ? h.children : h.parents, code))
    codings.emplace(system, std::move(each));
  return match_codings(ps, codings);
}

} // namespace atrium::actors::search
