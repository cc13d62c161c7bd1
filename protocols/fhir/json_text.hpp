#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace atrium::fhir {

/// Appends s as a JSON string literal (with quotes), escaping ", \ and
/// control characters. s must be UTF-8; it is copied byte for byte otherwise.
void append_json_string(std::string& out, std::string_view s);

/// Appends code point `cp` (at most U+10FFFF) as UTF-8.
void append_utf8(std::string& out, char32_t cp);

/// A member of a minified JSON object, both parts as written: the key
/// without its quotes (escapes not decoded) and the value's text.
struct raw_member {
  std::string_view key;
  std::string_view value;
};

/// The members of a minified JSON object that a parser has already validated,
/// in document order. Values are spliced from the text rather than
/// re-serialised from a DOM, because re-serialising rewrites numbers (1.50
/// becomes 1.5) and FHIR decimals carry their precision in their digits.
std::vector<raw_member> raw_members(std::string_view object);

/// The elements of a minified JSON array a parser has already validated, as
/// written, in order.
std::vector<std::string_view> raw_elements(std::string_view array);

/// Where the value (or key) starting at text[pos] ends in minified,
/// validated JSON: just past it, or at the ',', '}' or ']' after it.
std::size_t json_value_end(std::string_view text, std::size_t pos);

} // namespace atrium::fhir
