#pragma once
// JSON Patch (RFC 6902) over JSON text, for FHIR's PATCH interaction
// (application/json-patch+json). Values are kept as written: a decimal's
// digits survive the patch (FHIR decimals carry their precision in them).
#include <string>
#include <string_view>

#include "protocols/common/status.hpp"

namespace atrium::fhir {

/// `document` with the operations of `patch` (a JSON array of add, remove,
/// replace, move, copy and test) applied in order, all or none; minified.
/// errc::invalid when the patch is malformed (not an array of operations
/// with the members their op needs), errc::unprocessable when it does not
/// apply (a path that does not exist, an index out of range, a failed test).
result<std::string> apply_json_patch(std::string_view document, std::string_view patch);

} // namespace atrium::fhir
