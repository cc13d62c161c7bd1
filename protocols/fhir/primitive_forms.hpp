#pragma once
// R4's primitive data types and the lexical forms their JSON strings must
// take (datatypes.html: the regexes of each type, and a date must be a day
// of the calendar). The structure check of every write uses these.
#include <cstdint>
#include <optional>
#include <string_view>

namespace atrium::fhir {

enum class primitive : std::uint8_t {
  // JSON true/false
  boolean,
  // JSON numbers
  integer, positive_int, unsigned_int, decimal,
  // JSON strings
  string, code, id, uri, url, canonical, oid, uuid, markdown, base64_binary,
  date, date_time, instant, time, xhtml,
};

/// The primitive named as in R4 ("dateTime", "positiveInt"); nullopt for
/// anything else.
std::optional<primitive> primitive_named(std::string_view name);

/// R4's name of a primitive ("dateTime").
std::string_view primitive_name(primitive p);

/// Whether `p` is written as a JSON string (all but boolean and numbers).
constexpr bool is_json_string(primitive p) { return p >= primitive::string; }

/// Whether `text` (a JSON string's decoded value) is a valid `p`; `p` is
/// one of the JSON string types.
bool is_valid_form(primitive p, std::string_view text);

/// Whether a JSON integer is in the range of `p` (integer, positiveInt,
/// unsignedInt: 32-bit signed, at least 1, at least 0).
bool is_in_range(primitive p, std::int64_t value);

} // namespace atrium::fhir
