#pragma once
#include <string>
#include <string_view>

namespace atrium::fhir {

/// Appends s as a JSON string literal (with quotes), escaping ", \ and
/// control characters. s must be UTF-8; it is copied byte for byte otherwise.
void append_json_string(std::string& out, std::string_view s);

} // namespace atrium::fhir
