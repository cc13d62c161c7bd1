#pragma once
// FHIR R4 data type names as FHIRPath sees them: choice-element suffixes
// (valueQuantity → Quantity, valueString → string), the primitive types'
// System equivalents, and the few subtype relations `is` honours.
#include <string_view>

#include "protocols/fhir/fhirpath/value.hpp"

namespace atrium::fhir::fhirpath {

/// The data type a choice suffix names ("Quantity" → "Quantity",
/// "DateTime" → "dateTime"); "" when the suffix is not an R4 data type.
/// The returned view has static storage.
std::string_view type_for_choice_suffix(std::string_view suffix);

/// The FHIR type of an item: its known type, the resourceType of a resource,
/// or one inferred from JSON (string, boolean, integer, decimal); for System
/// values the System name ("String", "Quantity"…). "" when unknown.
std::string_view item_type(const item& it);

/// `it is spec`, where spec is "Name", "FHIR.Name" or "System.Name". Honours
/// Resource/DomainResource, Quantity's profiles (Age, Duration…), string's
/// (code, id, markdown) and uri's (url, canonical, oid, uuid) specialisations.
/// Unqualified System names (String, Boolean…) also match FHIR primitives.
bool type_matches(const item& it, std::string_view spec);

/// FHIR.boolean → "Boolean" etc.; "" for a non-primitive type.
std::string_view system_type_of(std::string_view fhir_primitive);

} // namespace atrium::fhir::fhirpath
