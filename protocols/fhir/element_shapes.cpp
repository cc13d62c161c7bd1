#include "protocols/fhir/element_shapes.hpp"

#include <cctype>
#include <map>
#include <sstream>

#include "protocols/fhir/resource_types.hpp"

namespace atrium::fhir {

namespace {

constexpr const char* lines[] = {
#include "r4_element_shapes.inc"
};

struct shape_table {
  // "Patient" or "Patient.contact" → its elements, in R4's order.
  std::map<std::string, std::vector<named_element_shape>, std::less<>> owners;
  // "Patient.contact.telecom" → (owner, index into its elements).
  std::map<std::string, std::pair<std::string, std::size_t>, std::less<>> paths;
};

std::vector<std::string> split_types(const std::string& marker) {
  std::vector<std::string> out;
  std::istringstream in{marker};
  for (std::string t; std::getline(in, t, '|');) out.push_back(t);
  return out;
}

// One word of a line: "contact.telecom*:ContactPoint" below `type`.
void add_word(shape_table& t, const std::string& type, std::string word) {
  element_shape s;
  std::string marker;
  if (auto colon = word.find(':'); colon != std::string::npos) {
    marker = word.substr(colon + 1);
    word.resize(colon);
  }
  if (word.ends_with('!')) {
    s.required = true;
    word.pop_back();
  }
  if (word.ends_with('*')) {
    s.repeats = true;
    word.pop_back();
  }
  const std::string path = type + "." + word;
  if (word.ends_with("[x]")) {
    s.k = element_shape::kind::choice;
    word.resize(word.size() - 3);
    s.choices = split_types(marker);
  } else if (marker == "{}") {
    s.k = element_shape::kind::backbone;
    s.type = path;
  } else if (marker.starts_with('#')) {
    s.k = element_shape::kind::backbone;
    s.type = type + "." + marker.substr(1);
  } else if (marker == "Resource" || find_resource_type(marker)) {
    s.k = element_shape::kind::resource;
    if (marker != "Resource") s.type = marker;
  } else if (!marker.empty() && std::islower(static_cast<unsigned char>(marker[0]))) {
    s.k = element_shape::kind::primitive;
    s.type = marker;
  } else {
    s.k = element_shape::kind::complex;
    s.type = marker;
  }
  // The element belongs to the backbone above it: "contact.telecom" to
  // "Patient.contact".
  const auto dot = word.rfind('.');
  const std::string owner = dot == std::string::npos ? type : type + "." + word.substr(0, dot);
  std::string name = dot == std::string::npos ? word : word.substr(dot + 1);
  if (s.k == element_shape::kind::backbone) t.owners.try_emplace(s.type);
  auto& elements = t.owners[owner];
  t.paths.emplace(owner + "." + name, std::pair{owner, elements.size()});
  elements.push_back({std::move(name), std::move(s)});
}

shape_table load() {
  shape_table t;
  for (const char* line : lines) {
    std::istringstream in{line};
    std::string type, word;
    in >> type;
    t.owners.try_emplace(type);
    while (in >> word) add_word(t, type, std::move(word));
  }
  return t;
}

const shape_table& table() {
  static const shape_table t = load();
  return t;
}

} // namespace

bool has_element_shapes(std::string_view owner) {
  return table().owners.contains(owner);
}

const element_shape* find_element_shape(std::string_view owner, std::string_view name) {
  const auto& t = table();
  std::string key;
  key.reserve(owner.size() + 1 + name.size());
  key.append(owner).append(".").append(name);
  auto it = t.paths.find(key);
  if (it == t.paths.end()) return nullptr;
  return &t.owners.find(it->second.first)->second[it->second.second].shape;
}

std::vector<std::string_view> element_shape_owners() {
  std::vector<std::string_view> out;
  for (const auto& [owner, elements] : table().owners) out.push_back(owner);
  return out;
}

const std::vector<named_element_shape>& element_shapes_of(std::string_view owner) {
  static const std::vector<named_element_shape> none;
  const auto& t = table();
  auto it = t.owners.find(owner);
  return it == t.owners.end() ? none : it->second;
}

} // namespace atrium::fhir
