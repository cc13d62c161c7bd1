#include "protocols/fhir/elements.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include "protocols/fhir/json_text.hpp"

namespace atrium::fhir {

namespace {

constexpr const char* lines[] = {
#include "r4_elements.inc"
};

struct element {
  std::string name; // without "[x]"
  bool choice = false;
  bool summary = false;
  bool mandatory = false;
};

using element_table = std::map<std::string, std::vector<element>, std::less<>>;

element_table load() {
  element_table out;
  for (const char* line : lines) {
    std::istringstream in{line};
    std::string type, word;
    in >> type;
    auto& elements = out[type];
    while (in >> word) {
      element e;
      while (!word.empty() && (word.back() == '^' || word.back() == '!')) {
        (word.back() == '^' ? e.summary : e.mandatory) = true;
        word.pop_back();
      }
      if (word.ends_with("[x]")) {
        e.choice = true;
        word.resize(word.size() - 3);
      }
      e.name = std::move(word);
      elements.push_back(std::move(e));
    }
  }
  return out;
}

const std::vector<element>& elements_of(std::string_view type) {
  static const element_table table = load();
  static const std::vector<element> none;
  auto it = table.find(type);
  return it == table.end() ? none : it->second;
}

/// The element a JSON key stands for: "birthDate" and "_birthDate" (its
/// primitive extension) are birthDate; "valueQuantity" is value[x].
const element* element_for_key(const std::vector<element>& elements, std::string_view key) {
  if (key.starts_with('_')) key.remove_prefix(1);
  for (const auto& e : elements) {
    if (key == e.name) return &e;
    if (e.choice && key.size() > e.name.size() && key.starts_with(e.name) &&
        key[e.name.size()] >= 'A' && key[e.name.size()] <= 'Z')
      return &e;
  }
  return nullptr;
}

bool asked_for(const subset_request& r, std::string_view type, const element& e) {
  for (std::string_view asked : r.elements) {
    if (asked.starts_with(type) && asked.size() > type.size() && asked[type.size()] == '.')
      asked.remove_prefix(type.size() + 1);
    if (asked == e.name) return true;
  }
  return false;
}

bool keep(const subset_request& r, std::string_view type, const element& e) {
  if (e.name == "id" || e.name == "meta") return true;
  using m = subset_request::mode;
  switch (r.m) {
    case m::whole: return true;
    case m::summary: return e.summary;
    case m::text: return e.mandatory || e.name == "text";
    case m::data: return e.name != "text";
    case m::elements: return e.mandatory || asked_for(r, type, e);
  }
  return true;
}

constexpr std::string_view subsetted_tag =
  R"({"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationValue",)"
  R"("code":"SUBSETTED","display":"Resource encoded in summary mode"})";

/// meta with SUBSETTED appended to its tags.
std::string tagged_meta(std::string_view meta) {
  std::string out = "{";
  bool tagged = false;
  for (const auto& m : raw_members(meta)) {
    if (out.size() > 1) out += ',';
    out.append("\"").append(m.key).append("\":");
    if (m.key == "tag" && m.value.size() >= 2 && m.value.front() == '[') {
      out.append(m.value.substr(0, m.value.size() - 1));
      if (m.value.size() > 2) out += ',';
      out.append(subsetted_tag).append("]");
      tagged = true;
    } else {
      out.append(m.value);
    }
  }
  if (!tagged) out.append(out.size() > 1 ? "," : "").append("\"tag\":[").append(subsetted_tag).append("]");
  return out + "}";
}

} // namespace

bool has_element(std::string_view type, std::string_view name) {
  const auto& elements = elements_of(type);
  return std::any_of(elements.begin(), elements.end(),
                     [&](const element& e) { return e.name == name; });
}

std::string subset_resource(std::string_view json, std::string_view type,
                            const subset_request& r) {
  if (r.m == subset_request::mode::whole) return std::string(json);
  const auto& elements = elements_of(type);
  std::string out = "{";
  bool has_meta = false;
  for (const auto& m : raw_members(json)) {
    std::string value;
    if (m.key == "resourceType") {
      value = m.value;
    } else if (m.key == "meta") {
      value = tagged_meta(m.value);
      has_meta = true;
    } else {
      const element* e = element_for_key(elements, m.key);
      if (e == nullptr || !keep(r, type, *e)) continue;
      value = m.value;
    }
    if (out.size() > 1) out += ',';
    out.append("\"").append(m.key).append("\":").append(value);
  }
  if (!has_meta) out.append(",\"meta\":").append(tagged_meta("{}"));
  return out + "}";
}

} // namespace atrium::fhir
