#pragma once
// Internal to FHIRPath Patch: the operations of a Parameters resource, and
// their values turned into the JSON of the element they go to.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "protocols/common/status.hpp"
#include "protocols/fhir/element_shapes.hpp"
#include "protocols/fhir/json_tree.hpp"

namespace atrium::fhir::patch {

/// A `value` part: a value[x], a resource, or (for anonymous types such as
/// Patient.contact) a list of parts naming the members of an object.
/// Primitive extensions of values ("_valueString") are not carried over.
struct part_value {
  enum class kind : std::uint8_t { typed, resource, parts };
  kind k = kind::typed;
  std::string json;   // typed and resource: the JSON text, as written
  std::string type;   // typed: its FHIR type ("HumanName", "date"); resource: resourceType
  std::string suffix; // typed: the value[x] key's suffix ("Boolean"), naming choice elements
  std::vector<std::pair<std::string, part_value>> parts; // parts: in order; a name may repeat
};

struct operation {
  std::size_t index = 0; // in Parameters.parameter
  std::string type;      // add | insert | delete | replace | move
  std::string path;
  std::string name;      // add
  std::optional<part_value> value;
  std::int64_t at = 0, source = 0, destination = 0; // insert's index; move's

  std::string where() const { return "Parameters.parameter[" + std::to_string(index) + "]"; }
  /// An error about this operation, its message naming it.
  status error(errc code, const std::string& what) const {
    return status(code, "operation " + std::to_string(index) + " (" + type + "): " + what, where());
  }
};

/// The operations of a Parameters resource (minified, validated JSON), in
/// order; errc::invalid naming the parameter or part when malformed.
result<std::vector<operation>> read_operations(const json_tree& parameters);

/// Whether `v` can be the value of an element of shape `element` (any value
/// when the element is unknown); an explanation when not.
std::optional<std::string> misfit(const element_shape* element, const part_value& v);

/// The JSON of `v` as the value of an element of shape `element`: part lists
/// become objects whose repeating members are arrays and whose choice
/// members are named by their value's type. errc::unprocessable (from `op`)
/// for a part the anonymous type does not define or a value of the wrong kind.
result<json_tree> build(const operation& op, const element_shape* element, const part_value& v);

} // namespace atrium::fhir::patch
