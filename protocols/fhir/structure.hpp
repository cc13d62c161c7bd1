#pragma once
// The structure check of every resource written: what R4's JSON format
// (json.html) and base StructureDefinitions require, as a FHIR parser would
// check it, without profiles or terminology. A member that is not an element
// of its type, a repeating element not in an array (or the reverse), a
// primitive of the wrong JSON type or lexical form, a required element
// missing, a choice naming a type it does not allow: each is refused with the
// element's path.
#include <string_view>

#include "protocols/common/status.hpp"

namespace simdjson::dom { class object; }

namespace atrium::fhir {

/// Whether the resources inside a resource (contained, Bundle.entry.resource,
/// Parameters.parameter.resource) are checked too.
enum class nested_resources : bool {
  checked,
  left_to_caller, // a transaction's entries, each checked as it is written
};

/// Builds the check's tables from the embedded R4 data, once (every call
/// after the first returns at once); throws std::logic_error when the data
/// does not hold together. The node calls it at start, so that bad data
/// stops the node there rather than failing every write.
void load_structure_check();

/// Checks `resource`, a parsed resource of the concrete R4 type `type`,
/// with its contained and nested resources by their own types unless
/// `nested` leaves them out. The resource's own resourceType and id are the
/// caller's to check (a create ignores the id). Errors are errc::invalid
/// with the path of the element in where() ("Patient.name[0].given").
status check_structure(simdjson::dom::object resource, std::string_view type,
                       nested_resources nested = nested_resources::checked);

/// A batch Bundle's structure in parts, so that a malformed entry fails
/// alone: the Bundle but its entries, and one entry ("Bundle.entry[3]"),
/// their resources left to the caller. A member named `entry` that is not an
/// array is the caller's to refuse.
status check_bundle_without_entries(simdjson::dom::object bundle);
status check_bundle_entry(simdjson::dom::object entry, std::size_t index);

} // namespace atrium::fhir
