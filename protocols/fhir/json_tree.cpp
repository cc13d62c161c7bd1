#include "protocols/fhir/json_tree.hpp"

#include <algorithm>
#include <utility>

#include <simdjson.h>

#include "protocols/fhir/json_text.hpp"

namespace atrium::fhir {

json_tree json_tree::parse(std::string_view minified) {
  json_tree n;
  if (minified.empty()) return n;
  if (minified.front() == '{') {
    n.k = kind::object;
    for (auto m : raw_members(minified)) n.members.emplace_back(std::string(m.key), parse(m.value));
  } else if (minified.front() == '[') {
    n.k = kind::array;
    for (auto e : raw_elements(minified)) n.items.push_back(parse(e));
  } else {
    n.raw = std::string(minified);
  }
  return n;
}

const json_tree* json_tree::member(std::string_view key) const {
  if (k != kind::object) return nullptr;
  for (auto& [name, value] : members)
    if (name == key) return &value;
  return nullptr;
}

json_tree* json_tree::member(std::string_view key) {
  return const_cast<json_tree*>(std::as_const(*this).member(key));
}

bool json_tree::erase_member(std::string_view key) {
  auto it = std::find_if(members.begin(), members.end(), [&](auto& m) { return m.first == key; });
  if (it == members.end()) return false;
  members.erase(it);
  return true;
}

void json_tree::drop_empty() {
  const auto empty = [](json_tree& t) {
    t.drop_empty();
    return (t.is_object() && t.members.empty()) || (t.is_array() && t.items.empty());
  };
  std::erase_if(members, [&](auto& m) { return empty(m.second); });
  std::erase_if(items, empty);
}

void json_tree::render(std::string& out) const {
  switch (k) {
    case kind::scalar: out += raw; return;
    case kind::object:
      out.push_back('{');
      for (std::size_t i = 0; i < members.size(); ++i) {
        if (i) out.push_back(',');
        out.push_back('"');
        out += members[i].first;
        out += "\":";
        members[i].second.render(out);
      }
      out.push_back('}');
      return;
    case kind::array:
      out.push_back('[');
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out.push_back(',');
        items[i].render(out);
      }
      out.push_back(']');
      return;
  }
}

std::string json_tree::rendered() const {
  std::string out;
  render(out);
  return out;
}

std::string minified_json(std::string_view json) {
  std::string out(json.size(), '\0');
  std::size_t length = 0;
  if (simdjson::minify(json.data(), json.size(), out.data(), length) != simdjson::SUCCESS)
    return std::string(json);
  out.resize(length);
  return out;
}

} // namespace atrium::fhir
