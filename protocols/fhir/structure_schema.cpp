#include "protocols/fhir/structure_schema.hpp"

#include <algorithm>
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

constexpr const char* required_code_lines[] = {
#include "r4_required_codes.inc"
};

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  while (!line.empty()) {
    const auto space = line.find(' ');
    out.push_back(line.substr(0, space));
    line = space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
  }
  return out;
}

// "Owner element value-set code…": the element's field gets its code set.
void add_required_codes(schema& s) {
  for (std::string_view line : required_code_lines) {
    auto w = words(line);
    if (w.size() < 4)
      throw std::logic_error("required-codes.txt: a line without codes: " + std::string(line));
    const auto owner = s.index.find(w[0]);
    if (owner == s.index.end())
      throw std::logic_error("required-codes.txt: unknown owner " + std::string(w[0]));
    auto& fields = s.owners[owner->second].fields;
    const auto f = fields.find(w[1]);
    if (f == fields.end() || f->second.w != field::what::primitive || f->second.p != primitive::code)
      throw std::logic_error("required-codes.txt: " + std::string(w[0]) + "." + std::string(w[1]) +
                             " is no code element");
    code_set set{w[2], {w.begin() + 3, w.end()}};
    std::sort(set.codes.begin(), set.codes.end());
    s.code_sets.push_back(std::move(set));
    f->second.codes = static_cast<std::uint16_t>(s.code_sets.size());
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
  add_required_codes(s);
  return s;
}

} // namespace

bool code_set::contains(std::string_view code) const {
  return std::binary_search(codes.begin(), codes.end(), code);
}

const schema& the_schema() {
  static const schema s = compile();
  return s;
}

} // namespace atrium::fhir::structure
