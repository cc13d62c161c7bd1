#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/status.hpp"

namespace atrium::fhir {

/// An OperationOutcome (minified JSON) for a failed request: one issue with
/// severity "error", an issue type matching the code (invalid → "invalid",
/// not_found → "not-found", gone → "deleted", conflict and
/// precondition_failed → "conflict", too_large → "too-costly",
/// unsupported_media / not_acceptable / method_not_allowed / not_implemented →
/// "not-supported", unprocessable → "processing", too_many_requests →
/// "throttled", timeout → "timeout", the rest → "exception"), diagnostics =
/// message and expression = [where] when where is not empty.
std::string operation_outcome(const status& error);

/// An OperationOutcome with one issue of severity "information", code
/// "informational" (Prefer: return=OperationOutcome on success).
std::string informational_outcome(std::string_view message);

/// An OperationOutcome with one issue of severity "warning", code
/// "not-supported" per message (search parameters that were ignored).
std::string warning_outcome(const std::vector<std::string>& messages);

} // namespace atrium::fhir
