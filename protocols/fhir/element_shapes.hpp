#pragma once
// What R4 says of each element of each data type and resource: whether it
// repeats, whether it is required, whether it is a choice (value[x]) and its
// type or types, from data/fhir-r4/element-shapes.txt. FHIRPath Patch needs
// this to write JSON a FHIR parser accepts (`add` of a telecom to a Patient
// without one must create an array, `add` of deceased with a boolean must
// name deceasedBoolean); the structure check of every write needs all of it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace atrium::fhir {

struct element_shape {
  enum class kind : std::uint8_t {
    primitive, // string, date, code…: `type` names it
    complex,   // a data type: `type` names it ("HumanName")
    backbone,  // an anonymous type: `type` is its path ("Patient.contact")
    resource,  // Resource (contained) or a named resource type
    choice,    // value[x]: the type is in the JSON key's suffix, one of `choices`
  };
  kind k = kind::primitive;
  bool repeats = false;
  bool required = false; // min 1 or more
  std::string type; // primitive, complex, backbone and named resource types; "" otherwise
  std::vector<std::string> choices; // choice: the types allowed ("Quantity", "string")
};

struct named_element_shape {
  std::string name; // choice elements without "[x]"
  element_shape shape;
};

/// The element `name` (a choice element by its name without "[x]": "value")
/// of `owner`, a data type or resource type ("HumanName", "Patient") or a
/// backbone path ("Patient.contact"); null when R4 has no such element or
/// `owner` is unknown.
const element_shape* find_element_shape(std::string_view owner, std::string_view name);

/// Whether `owner` (a type or a backbone path) is known.
bool has_element_shapes(std::string_view owner);

/// Every owner: data types, resource types and backbone paths.
std::vector<std::string_view> element_shape_owners();

/// The elements of `owner` in R4's order; empty when `owner` is unknown.
const std::vector<named_element_shape>& element_shapes_of(std::string_view owner);

} // namespace atrium::fhir
