#pragma once
// Internal to FHIRPath Patch: which nodes of a resource a patch path names.
//
// The FHIRPath engine (protocols/fhir/fhirpath) evaluates to values pointing
// into a simdjson DOM, and a DOM element does not say where in the text it
// sits, so its results cannot be edited in place. Paths are therefore walked
// here over the editable tree, for the forms patches use: member names
// (choice elements by their name, "value" for valueQuantity), [n] with an
// integer literal, first(), last(), extension('url') and where(criteria),
// whose criteria the engine evaluates on each candidate exactly as where()
// does. Anything else is errc::not_implemented.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/common/status.hpp"
#include "protocols/fhir/element_shapes.hpp"
#include "protocols/fhir/json_tree.hpp"

namespace atrium::fhir::patch {

/// One step from a node to a child: a member by key, or an array item.
struct step {
  std::string key;
  std::size_t index = 0;
  bool is_index = false;

  bool operator==(const step&) const = default;
};

/// A node a path names, by its steps from the root.
struct target {
  std::vector<step> steps;
  std::string type;                        // FHIR type or backbone path; "" primitive or unknown
  const element_shape* element = nullptr;  // the element reached (null: the root, or unknown)
  std::string choice;                      // the choice element's name when the key is one ("deceased")
};

/// The nodes `path` names in `root` (a resource), in document order.
/// errc::invalid for a malformed expression or one the engine rejects while
/// evaluating criteria, errc::not_implemented for unsupported forms.
result<std::vector<target>> select(const json_tree& root, std::string_view path);

/// The node at the first `count` steps; null when there is none.
const json_tree* node_at(const json_tree& root, const std::vector<step>& steps, std::size_t count);
inline json_tree* node_at(json_tree& root, const std::vector<step>& steps, std::size_t count) {
  return const_cast<json_tree*>(node_at(std::as_const(root), steps, count));
}
inline json_tree* node_at(json_tree& root, const std::vector<step>& steps) {
  return node_at(root, steps, steps.size());
}
inline const json_tree* node_at(const json_tree& root, const std::vector<step>& steps) {
  return node_at(root, steps, steps.size());
}

/// A resource's resourceType (its member's text without quotes); "" if none.
std::string resource_type_of(const json_tree& resource);

} // namespace atrium::fhir::patch
