#pragma once
// Search values of a resource, extracted at write time by evaluating each
// search parameter's FHIRPath expression (protocols/fhir/fhirpath) and
// typing the result per parameter type. Pure: storage turns the values into
// index keys (storage/index_entries.hpp).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/status.hpp"
#include "protocols/fhir/search/params.hpp"

namespace simdjson::dom { class element; }

namespace atrium::fhir::search {

/// One indexed value. Which fields are set depends on `kind`.
struct index_value {
  enum class kind : std::uint8_t {
    string, token, date, number, quantity, reference, uri, composite,
    identifier_type,      // token :of-type: an Identifier's type coding and value
    reference_identifier, // reference :identifier: a Reference's identifier
  };

  const search_param* param = nullptr;
  kind k = kind::string;
  /// string: normalize_text(value); token: normalize_text(display/text) when
  /// there is one (for :text); reference: the target as stored ("Patient/123"
  /// for a relative or same-server reference, else the absolute URL or
  /// "#id" for a contained one); uri: the value.
  std::string text;
  /// string: the value as written (for :exact and :contains).
  std::string original;
  /// string: the text field of a complex value it was taken from
  /// (string_part_tag); token: a ContactPoint's system (contact_system_tag);
  /// 0 for anything else (param_registry::part_of).
  std::uint8_t part = 0;
  /// token: system and code (either may be empty; a boolean is code
  /// "true"/"false"); quantity: system and code of the unit;
  /// identifier_type: the type coding's system and code (the identifier's
  /// value in `text`); reference_identifier: the identifier's system and value.
  std::string system;
  std::string code;
  /// date: the instant range the value covers, by its precision, in
  /// microseconds UTC, inclusive ("2026-05" → May 1 00:00 … May 31 23:59:59.999999).
  std::int64_t start = 0;
  std::int64_t end = 0;
  /// number and quantity value.
  double number = 0;
  /// quantity: the same amount again in its canonical UCUM unit
  /// (search/ucum.hpp), indexed only for matching with a unit.
  bool canonical = false;
  /// composite: one value per component, in the parameter's order, all from
  /// the same item of the composite's expression.
  std::vector<index_value> parts;
};

inline constexpr std::size_t max_composite_combinations = 64;

/// Lower-cases, folds accents of Latin letters (é → e, ß → ss), turns
/// punctuation and runs of white space into one space and trims: the form in
/// which string parameters match (FHIR: case- and accent-insensitive).
std::string normalize_text(std::string_view s);

/// `s` with its accented Latin letters (U+00C0 to U+017F) spelled in
/// lower-case ASCII as normalize_text spells them (Ö → o; × and ÷, the two
/// signs in that range, are dropped); every other byte, case and
/// punctuation included, as it was. ASCII text is unchanged.
std::string fold_latin(std::string_view s);

/// A reference by the absolute URL of the FHIR service at `service_path`
/// ("/ws/name/"), "https://host/ws/name/Patient/1" → "Patient/1", which R4
/// makes the same reference as the relative one (references §2.3.0.1, search
/// §3.1.1.4.9); any other reference as it is. The host is not compared: one
/// service is reached by several names (a proxy's, localhost, an address) and
/// a node cannot know them all. An empty `service_path` changes nothing.
std::string_view local_reference(std::string_view reference, std::string_view service_path);

/// Every value of every parameter of `type` (from `registry`) in the resource
/// (a JSON object already validated as a resource of that type). Special
/// parameters are skipped; a composite gives the combinations of its
/// components' values per item of its expression (at most
/// max_composite_combinations per item). Expressions are compiled once per
/// parameter and cached. Thread-safe.
result<std::vector<index_value>> extract(std::string_view resource_json, std::string_view type,
                                         const param_registry& registry);
/// The same, of a document already parsed (by prepare_resource, which
/// validated it): the body is parsed once.
result<std::vector<index_value>> extract(const simdjson::dom::element& resource,
                                         std::string_view type, const param_registry& registry);

} // namespace atrium::fhir::search
