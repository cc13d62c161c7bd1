#pragma once
// PATCH in both R4 flavours: JSON Patch (application/json-patch+json, a JSON
// array) and FHIRPath Patch (a Parameters resource, application/fhir+json).
// The document's shape says which it is, so a patch travels to the partition
// that applies it as one string.
#include <string>
#include <string_view>

#include "protocols/common/status.hpp"

namespace atrium::fhir {

/// Checks that a PATCH body fits its Content-Type: 415 for other media
/// types, 400 when the body is not the shape its media type promises.
status check_patch_body(std::string_view content_type, std::string_view body);

/// `resource_json` with `patch` applied: a JSON array is a JSON Patch, an
/// object a FHIRPath Patch (json_patch.hpp, fhirpath_patch.hpp).
result<std::string> apply_patch(std::string_view resource_json, std::string_view patch);

} // namespace atrium::fhir
