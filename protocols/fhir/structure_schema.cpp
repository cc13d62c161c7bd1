#include "protocols/fhir/structure_schema.hpp"

#include <cctype>
#include <stdexcept>

#include "protocols/fhir/element_shapes.hpp"
#include "protocols/fhir/resource_types.hpp"

namespace atrium::fhir::structure {
namespace {

std::string capitalised(std::string s) {
  s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

void add_field(schema& s, owner_schema& o, std::string key, field f) {
  const std::string_view stored = s.keys.emplace_back(std::move(key));
  o.fields.emplace(stored, f);
}

// One element of `o` under each JSON key it may take.
void add_element(schema& s, owner_schema& o, const named_element_shape& e) {
  using kind = element_shape::kind;
  field f;
  f.repeats = e.shape.repeats;
  if (e.shape.required) {
    if (o.required_names.size() == 64) // R4 has at most 9 in one type
      throw std::logic_error(o.name + " has more required elements than the check tracks");
    f.slot = static_cast<std::uint8_t>(o.required_names.size() + 1);
    o.required |= std::uint64_t{1} << o.required_names.size();
    o.required_names.push_back(e.shape.k == kind::choice ? e.name + "[x]" : e.name);
  }
  // A type name as a field: a primitive, a resource or an object of owners[type].
  auto typed = [&](std::string_view type) {
    field t = f;
    if (auto p = primitive_named(type)) {
      t.w = field::what::primitive;
      t.p = *p;
    } else if (type == "Resource") {
      t.w = field::what::resource;
      t.owner = any_resource;
    } else {
      t.w = find_resource_type(type) ? field::what::resource : field::what::object;
      t.owner = s.owner_of(type);
    }
    return t;
  };
  auto add = [&](std::string key, field t) {
    if (t.w == field::what::primitive) {
      field partner = t;
      partner.w = field::what::partner;
      add_field(s, o, "_" + key, partner);
    }
    add_field(s, o, std::move(key), t);
  };
  if (e.shape.k == kind::choice) {
    if (o.choice_names.size() == max_choices)
      throw std::logic_error(o.name + " has more choice elements than the check tracks");
    o.choice_names.push_back(e.name + "[x]");
    std::uint8_t which = 0;
    for (const auto& type : e.shape.choices) {
      field t = typed(type);
      t.choice = static_cast<std::uint8_t>(o.choice_names.size());
      t.choice_type = ++which;
      add(e.name + capitalised(type), t);
    }
  } else {
    add(e.name, typed(e.shape.type.empty() ? "Resource" : e.shape.type));
  }
}

schema compile() {
  schema s;
  for (std::string_view name : element_shape_owners()) {
    s.index.emplace(name, static_cast<std::uint16_t>(s.owners.size()));
    owner_schema o;
    o.name = std::string(name);
    o.is_resource = find_resource_type(name).has_value();
    s.owners.push_back(std::move(o));
  }
  for (auto& o : s.owners)
    for (const auto& e : element_shapes_of(o.name)) add_element(s, o, e);
  s.element = s.owner_of("Element");
  return s;
}

} // namespace

const schema& the_schema() {
  static const schema s = compile();
  return s;
}

} // namespace atrium::fhir::structure
