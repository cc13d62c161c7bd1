#include "protocols/fhir/structure.hpp"

#include <optional>
#include <string>
#include <vector>

#include <simdjson.h>

#include "protocols/fhir/json_kinds.hpp"
#include "protocols/fhir/primitive_forms.hpp"
#include "protocols/fhir/structure_schema.hpp"
#include "protocols/fhir/resource_types.hpp"

namespace atrium::fhir {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;
using namespace structure;

/// Where an element is, as a chain up to the resource: made into text
/// ("Patient.name[0].given") only to name a problem, so the walk of a
/// well-formed resource builds no strings.
struct location {
  const location* parent = nullptr;
  std::string_view name;            // the member's key, or the type at the root
  std::optional<std::size_t> index; // set for an item of an array

  std::string text() const {
    std::string out = parent ? parent->text() + "." : std::string();
    out += name;
    if (index) out += "[" + std::to_string(*index) + "]";
    return out;
  }
};

status invalid(std::string message, std::string where) {
  return {errc::invalid, std::move(message), std::move(where)};
}

class walker {
public:
  walker(const schema& s, nested_resources nested) : s_(s), nested_(nested) {}

  /// The members of `o`, an object of owners[type]; `root`: the resource
  /// checked, whose own id is its caller's.
  /// `skip`: a member left to the caller (a batch's entries, each checked
  /// alone).
  status members(object o, std::uint16_t type, const location& where, bool root = false,
                 std::string_view skip = {}) {
    if (o.size() == 0)
      return invalid(where.text() + " is an empty object; R4 JSON leaves absent elements out",
                     where.text());
    const owner_schema& owner = s_.owners[type];
    std::uint64_t seen = 0;
    std::uint8_t chosen[max_choices] = {}; // the type each choice element took
    for (auto member : o) {
      const std::string_view key = member.key;
      const location here{&where, key, std::nullopt};
      if (member.value.type() == element_type::NULL_VALUE)
        return invalid(here.text() + " is null; R4 JSON leaves absent elements out", here.text());
      // The resource's type is its caller's to check, and so is its own id
      // at the root (a create ignores it).
      if (owner.is_resource && (key == "resourceType" || (root && key == "id"))) continue;
      if (!skip.empty() && key == skip) continue;
      const auto it = owner.fields.find(key);
      if (it == owner.fields.end())
        return invalid(here.text() + " is not an element of " + owner.name + " in FHIR R4",
                       here.text());
      const field& f = it->second;
      if (f.slot) seen |= std::uint64_t{1} << (f.slot - 1);
      if (f.choice) {
        auto& took = chosen[f.choice - 1];
        if (took != 0 && took != f.choice_type)
          return invalid(here.text() + ": " + where.text() + "." +
                             owner.choice_names[f.choice - 1] +
                             " is given in two types; a choice element takes one",
                         here.text());
        took = f.choice_type;
      }
      if (auto s = value_of(o, key, member.value, f, here); !s) return s;
    }
    if (seen != owner.required) {
      for (std::size_t bit = 0; bit < owner.required_names.size(); ++bit)
        if (!(seen & (std::uint64_t{1} << bit))) {
          const std::string path = where.text() + "." + owner.required_names[bit];
          return invalid(path + " is missing; FHIR R4 requires it", path);
        }
    }
    return status::ok();
  }

private:
  const schema& s_;
  nested_resources nested_;

  // A member's value: an array of items when the element repeats, else one.
  status value_of(object parent, std::string_view key, element value, const field& f,
                  const location& here) {
    const bool array = value.type() == element_type::ARRAY;
    if (!f.repeats) {
      if (array)
        return invalid(here.text() + " does not repeat in FHIR R4 and must not be an array",
                       here.text());
      return item(value, f, here);
    }
    if (!array)
      return invalid(here.text() + " repeats in FHIR R4 and must be an array, not " +
                         describe_json(value.type()),
                     here.text());
    const auto items = value.get_array().value_unsafe();
    if (items.size() == 0)
      return invalid(here.text() + " is an empty array; R4 JSON leaves absent elements out",
                     here.text());
    if (f.w == field::what::partner)
      if (auto s = aligned(parent, key, items, here); !s) return s;
    std::size_t i = 0;
    for (auto each : items) {
      const location at{here.parent, key, i++};
      const auto type = each.type();
      if (type == element_type::ARRAY)
        return invalid(at.text() + " is an array inside an array", at.text());
      if (type == element_type::NULL_VALUE) {
        if (!partnered(parent, key, f))
          return invalid(at.text() + " is null, which only an array of primitives with its '_' "
                                     "partner may hold",
                         at.text());
        continue;
      }
      if (auto s = item(each, f, at); !s) return s;
    }
    return status::ok();
  }

  // A null in an array of primitives keeps it aligned with its "_"
  // partner (given with _given), which aligned() then checks.
  static bool partnered(object parent, std::string_view key, const field& f) {
    if (f.w == field::what::partner) return true;
    if (f.w != field::what::primitive) return false;
    simdjson::dom::array partners;
    return !parent.at_key("_" + std::string(key)).get_array().get(partners);
  }

  // A "_name" array beside its primitives: as long as they are, and no
  // place where both are null (an element with neither value nor
  // extensions); alone, no null at all.
  static status aligned(object parent, std::string_view key, simdjson::dom::array partners,
                        const location& here) {
    simdjson::dom::array values;
    const bool has_values = !parent.at_key(key.substr(1)).get_array().get(values);
    if (has_values && values.size() != partners.size())
      return invalid(here.text() + " has " + std::to_string(partners.size()) +
                         " items and " + std::string(key.substr(1)) + " " +
                         std::to_string(values.size()) + "; the two must align",
                     here.text());
    std::size_t i = 0;
    auto value = has_values ? values.begin() : partners.end();
    for (auto partner : partners) {
      const bool value_null = !has_values || (*value).type() == element_type::NULL_VALUE;
      if (partner.type() == element_type::NULL_VALUE && value_null) {
        const location at{here.parent, key, i};
        return invalid(at.text() + " is null and so is its value: an element with neither",
                       at.text());
      }
      if (has_values) ++value;
      ++i;
    }
    return status::ok();
  }

  status item(element value, const field& f, const location& at) {
    switch (f.w) {
    case field::what::primitive: return primitive_value(value, f, at);
    case field::what::partner: return object_value(value, s_.element, at);
    case field::what::object: return object_value(value, f.owner, at);
    case field::what::resource:
      if (nested_ == nested_resources::left_to_caller) return status::ok();
      return resource_value(value, f.owner, at);
    }
    return status::ok();
  }

  status object_value(element value, std::uint16_t type, const location& at) {
    object o;
    if (value.get(o))
      return invalid(at.text() + " must be an object (" + s_.owners[type].name + "), not " +
                         describe_json(value.type()),
                     at.text());
    return members(o, type, at);
  }

  status resource_value(element value, std::uint16_t expected, const location& at) {
    object o;
    if (value.get(o))
      return invalid(at.text() + " must be a resource, not " + describe_json(value.type()), at.text());
    std::string_view type;
    if (o["resourceType"].get(type))
      return invalid(at.text() + " is a resource without a resourceType", at.text());
    if (!find_resource_type(type))
      return invalid(at.text() + " has resourceType '" + std::string(type) +
                         "', which is not a resource type of FHIR R4",
                     at.text() + ".resourceType");
    const auto known = s_.index.find(type);
    if (known == s_.index.end()) // a resource type without element shapes: bad data
      return {errc::internal, "no R4 structure is known for " + std::string(type), at.text()};
    const std::uint16_t actual = known->second;
    if (expected != any_resource && actual != expected)
      return invalid(at.text() + " must be a " + s_.owners[expected].name + ", not a " +
                         std::string(type),
                     at.text() + ".resourceType");
    return members(o, actual, at);
  }

  status primitive_value(element value, const field& f, const location& at) const {
    const primitive p = f.p;
    const auto type = value.type();
    auto wrong = [&](std::string_view what) {
      const std::string_view name = primitive_name(p);
      const bool vowel = std::string_view{"aeiou"}.find(name[0]) != std::string_view::npos;
      return invalid(at.text() + (vowel ? " is an " : " is a ") + std::string(name) + " and must be " +
                         std::string(what) + ", not " + describe_json(type),
                     at.text());
    };
    if (p == primitive::boolean)
      return type == element_type::BOOL ? status::ok() : wrong("true or false");
    if (p == primitive::decimal)
      return value.is_number() ? status::ok() : wrong("a JSON number");
    if (!is_json_string(p)) {
      std::int64_t n = 0;
      if (type != element_type::INT64 || value.get(n))
        return type == element_type::UINT64 ? invalid(at.text() + " is out of the range of " +
                                                          std::string(primitive_name(p)),
                                                      at.text())
                                            : wrong("a JSON integer");
      if (!is_in_range(p, n))
        return invalid(at.text() + " is " + std::to_string(n) + ", out of the range of " +
                           std::string(primitive_name(p)),
                       at.text());
      return status::ok();
    }
    std::string_view text;
    if (value.get(text)) return wrong("a JSON string");
    if (!is_valid_form(p, text)) {
      if (text.empty())
        return invalid(at.text() + " is an empty string; R4 JSON leaves absent elements out",
                       at.text());
      return invalid(at.text() + " '" + std::string(text.substr(0, 100)) +
                         "' is not a valid " + std::string(primitive_name(p)),
                     at.text());
    }
    if (f.codes && !s_.code_sets[f.codes - 1].contains(text))
      return not_a_code(text, s_.code_sets[f.codes - 1], at);
    return status::ok();
  }

  // R4 binds the element to the value set as "required": no other code.
  static status not_a_code(std::string_view text, const code_set& set, const location& at) {
    std::string allowed;
    for (std::size_t i = 0; i < set.codes.size() && i < 12; ++i)
      allowed += (i ? ", " : "") + std::string(set.codes[i]);
    if (set.codes.size() > 12) allowed += ", …";
    return invalid(at.text() + " '" + std::string(text.substr(0, 100)) + "' is not a code of " +
                       std::string(set.value_set) + ", which R4 requires of it (" + allowed + ")",
                   at.text());
  }
};

} // namespace

void load_structure_check() { (void)the_schema(); }

status check_structure(object resource, std::string_view type, nested_resources nested) {
  const schema& s = the_schema();
  const auto it = s.index.find(type);
  if (it == s.index.end() || !find_resource_type(type))
    return invalid("'" + std::string(type) + "' is not a resource type of FHIR R4", "resourceType");
  return walker{s, nested}.members(resource, it->second, location{nullptr, type, std::nullopt}, true);
}

status check_bundle_without_entries(object bundle) {
  const schema& s = the_schema();
  return walker{s, nested_resources::left_to_caller}
    .members(bundle, s.owner_of("Bundle"), location{nullptr, "Bundle", std::nullopt}, true, "entry");
}

status check_bundle_entry(object entry, std::size_t index) {
  const schema& s = the_schema();
  return walker{s, nested_resources::left_to_caller}
    .members(entry, s.owner_of("Bundle.entry"), location{nullptr, "Bundle.entry", index});
}

} // namespace atrium::fhir
