#pragma once
// Content negotiation for the FHIR REST API.
#include <optional>
#include <string_view>

namespace atrium::http {

enum class fhir_format { json, xml, other };

/// Format a client asks for, from `_format` (wins when present: json,
/// application/json, application/fhir+json → json; xml, text/xml,
/// application/xml, application/fhir+xml → xml; else other) or else from
/// Accept (missing, "*/*", "application/*", application/json,
/// application/fhir+json, with or without parameters and q-values → json if
/// any acceptable JSON type is listed; only XML types → xml; else other).
fhir_format negotiate(std::optional<std::string_view> format_param,
                      std::optional<std::string_view> accept);

/// Whether a request body's Content-Type is FHIR JSON
/// (application/fhir+json or application/json, parameters such as
/// charset=utf-8 allowed; a charset other than utf-8 is not).
bool is_fhir_json_content_type(std::string_view content_type);

} // namespace atrium::http
