#include "protocols/fhir/element_shapes.hpp"

#include <map>
#include <set>
#include <sstream>

#include "protocols/fhir/resource_types.hpp"

namespace atrium::fhir {

namespace {

constexpr const char* lines[] = {
#include "r4_element_shapes.inc"
};

struct shape_table {
  std::map<std::string, element_shape, std::less<>> elements; // "Patient.contact.telecom"
  std::set<std::string, std::less<>> owners;                  // "Patient", "Patient.contact"
};

// One word of a line: "contact.telecom*:ContactPoint" below `type`.
void add_word(shape_table& t, const std::string& type, std::string word) {
  element_shape s;
  std::string marker;
  if (auto colon = word.find(':'); colon != std::string::npos) {
    marker = word.substr(colon + 1);
    word.resize(colon);
  }
  if (word.ends_with('*')) {
    s.repeats = true;
    word.pop_back();
  }
  if (word.ends_with("[x]")) {
    s.k = element_shape::kind::choice;
    word.resize(word.size() - 3);
  }
  const std::string path = type + "." + word;
  if (marker == "{}") {
    s.k = element_shape::kind::backbone;
    s.type = path;
  } else if (marker.starts_with('#')) {
    s.k = element_shape::kind::backbone;
    s.type = type + "." + marker.substr(1);
  } else if (marker == "Resource" || find_resource_type(marker)) {
    s.k = element_shape::kind::resource;
    if (marker != "Resource") s.type = marker;
  } else if (!marker.empty()) {
    s.k = element_shape::kind::complex;
    s.type = marker;
  }
  if (s.k == element_shape::kind::backbone) t.owners.insert(s.type);
  t.elements.emplace(path, std::move(s));
}

shape_table load() {
  shape_table t;
  for (const char* line : lines) {
    std::istringstream in{line};
    std::string type, word;
    in >> type;
    t.owners.insert(type);
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
  // The elements every element and resource has, left out of the data file.
  static const element_shape id{};
  static const element_shape extension{element_shape::kind::complex, true, "Extension"};
  const auto& t = table();
  if (!t.owners.contains(owner)) return nullptr;
  if (name == "id") return &id;
  if (name == "extension" || name == "modifierExtension") return &extension;
  std::string key;
  key.reserve(owner.size() + 1 + name.size());
  key.append(owner).append(".").append(name);
  auto it = t.elements.find(key);
  return it == t.elements.end() ? nullptr : &it->second;
}

} // namespace atrium::fhir
