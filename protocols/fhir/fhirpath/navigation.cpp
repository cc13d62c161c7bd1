// Member navigation over FHIR JSON: choice elements, arrays and the split of
// primitives into "name" (value) and "_name" (id and extensions).
#include <algorithm>
#include <cctype>

#include "protocols/fhir/fhirpath/engine.hpp"
#include "protocols/fhir/fhirpath/types.hpp"

namespace atrium::fhir::fhirpath {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Types that follow from the member name alone, whatever the parent.
std::string_view type_by_member(std::string_view name, std::string_view parent_type) {
  if (name == "extension" || name == "modifierExtension") return "Extension";
  if (name == "meta" && !parent_type.empty() && std::isupper(static_cast<unsigned char>(parent_type[0])))
    return "Meta";
  return {};
}

std::string_view resource_type_of(element value) {
  if (value.type() != element_type::OBJECT) return {};
  std::string_view rt;
  if (value["resourceType"].get(rt) != simdjson::SUCCESS) return {};
  return rt;
}

// Appends the value (and its "_name" partner, if any) as items.
void append_member(element value, bool has_value, element extras, bool has_extras,
                   std::string_view type, collection& out) {
  const bool value_array = has_value && value.type() == element_type::ARRAY;
  const bool extras_array = has_extras && extras.type() == element_type::ARRAY;
  if (!value_array && !extras_array) {
    if (has_value && value.is_null()) has_value = false;
    if (has_extras && extras.is_null()) has_extras = false;
    if (!has_value && !has_extras) return;
    json_node n;
    n.value = value;
    n.has_value = has_value;
    n.extras = extras;
    n.has_extras = has_extras;
    n.type = type.empty() && has_value ? resource_type_of(value) : type;
    out.push_back(item(n));
    return;
  }
  simdjson::dom::array values, more;
  std::size_t value_count = 0, extras_count = 0;
  if (value_array) {
    if (value.get_array().get(values) != simdjson::SUCCESS) return;
    value_count = values.size();
  }
  if (extras_array) {
    if (extras.get_array().get(more) != simdjson::SUCCESS) return;
    extras_count = more.size();
  }
  const std::size_t count = std::max(value_count, extras_count);
  if (out.capacity() < out.size() + count)
    out.reserve(std::max(out.size() + count, 2 * out.capacity()));
  // Both arrays walked side by side: at(i) walks an array from its start,
  // which made an array of n elements cost n^2 / 2 steps.
  simdjson::dom::array::iterator next_value, next_extras;
  if (value_array) next_value = values.begin();
  if (extras_array) next_extras = more.begin();
  for (std::size_t i = 0; i < count; ++i) {
    element v, x;
    const bool hv = i < value_count;
    const bool hx = i < extras_count;
    if (hv) v = *next_value, ++next_value;
    if (hx) x = *next_extras, ++next_extras;
    append_member(v, hv, x, hx, type, out);
  }
}

} // namespace

item json_item(element value, std::string_view type) {
  json_node n;
  n.value = value;
  n.has_value = true;
  n.type = type.empty() ? resource_type_of(value) : type;
  return item(n);
}

void navigate(const item& it, std::string_view name, collection& out) {
  const json_node* n = it.node();
  if (!n) return;
  // id and extension of a primitive live in its "_name" object.
  if (n->has_extras && (!n->has_value || n->value.type() != element_type::OBJECT)) {
    json_node inner;
    inner.value = n->extras;
    inner.has_value = true;
    navigate(item(inner), name, out);
    return;
  }
  if (!n->has_value) return;
  simdjson::dom::object obj;
  if (n->value.get_object().get(obj) != simdjson::SUCCESS) return;
  // One pass finds the member and its "_name" partner; a choice element
  // ("valueQuantity" for "value") looks its partner up, which is rare.
  element direct, underscore;
  bool direct_seen = false, underscore_seen = false, choice_found = false;
  for (auto field : obj) {
    const std::string_view key = field.key;
    // Most keys differ from the name at once: skipped before any comparison.
    if (!key.empty() && !name.empty() && key[0] != name[0] && key[0] != '_') continue;
    if (key == name) {
      direct = field.value;
      direct_seen = true;
    } else if (key.size() > name.size() && key.starts_with(name) &&
               std::isupper(static_cast<unsigned char>(key[name.size()]))) {
      const std::string_view type = type_for_choice_suffix(key.substr(name.size()));
      if (type.empty()) continue;
      element extras;
      const bool has_extras = obj.at_key("_" + std::string(key)).get(extras) == simdjson::SUCCESS;
      append_member(field.value, true, extras, has_extras, type, out);
      choice_found = true;
    } else if (!underscore_seen && key.size() == name.size() + 1 && key[0] == '_' &&
               key.substr(1) == name) {
      underscore = field.value;
      underscore_seen = true;
    }
  }
  if (direct_seen)
    append_member(direct, true, underscore, underscore_seen, type_by_member(name, n->type), out);
  // A primitive present only through its extensions: "_birthDate" alone.
  else if (!choice_found && underscore_seen)
    append_member(element(), false, underscore, true, {}, out);
}

void all_children(const item& it, collection& out) {
  const json_node* n = it.node();
  if (!n || !n->has_value) return;
  simdjson::dom::object obj;
  if (n->value.get_object().get(obj) != simdjson::SUCCESS) return;
  for (auto field : obj) {
    const std::string_view key = field.key;
    if (key.starts_with("_") || key == "resourceType") continue;
    // Choice elements carry their type in the key: find the suffix.
    std::string_view type;
    for (std::size_t i = 1; i < key.size(); ++i) {
      if (std::isupper(static_cast<unsigned char>(key[i]))) {
        type = type_for_choice_suffix(key.substr(i));
        if (!type.empty()) break;
      }
    }
    element extras;
    const bool has_extras = obj.at_key("_" + std::string(key)).get(extras) == simdjson::SUCCESS;
    append_member(field.value, true, extras, has_extras,
                  type.empty() ? type_by_member(key, n->type) : type, out);
  }
}

} // namespace atrium::fhir::fhirpath
