#pragma once
// What R4 says of each element of each data type and resource: whether it
// repeats, whether it is a choice (value[x]) and its type, from
// data/fhir-r4/element-shapes.txt. FHIRPath Patch needs this to write JSON a
// FHIR parser accepts: `add` of a telecom to a Patient without one must
// create an array, `add` of deceased with a boolean must name deceasedBoolean.
#include <cstdint>
#include <string>
#include <string_view>

namespace atrium::fhir {

struct element_shape {
  enum class kind : std::uint8_t {
    primitive, // string, date, code…
    complex,   // a data type: `type` names it ("HumanName")
    backbone,  // an anonymous type: `type` is its path ("Patient.contact")
    resource,  // Resource (contained) or a named resource type
    choice,    // value[x]: the type is in the JSON key's suffix
  };
  kind k = kind::primitive;
  bool repeats = false;
  std::string type; // complex, backbone and named resource types; "" otherwise
};

/// The element `name` (a choice element by its name without "[x]": "value")
/// of `owner`, a data type or resource type ("HumanName", "Patient") or a
/// backbone path ("Patient.contact"); null when R4 has no such element or
/// `owner` is unknown. id, extension and modifierExtension exist everywhere.
const element_shape* find_element_shape(std::string_view owner, std::string_view name);

/// Whether `owner` (a type or a backbone path) is known.
bool has_element_shapes(std::string_view owner);

} // namespace atrium::fhir
