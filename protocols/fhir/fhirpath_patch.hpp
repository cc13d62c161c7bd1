#pragma once
// FHIRPath Patch (FHIR R4 §3.1.0.10, https://hl7.org/fhir/R4/fhirpatch.html):
// a Parameters resource whose `operation` parameters add, insert, delete,
// replace and move elements named by FHIRPath expressions. Like JSON Patch
// (json_patch.hpp) it works on JSON text: every part of the resource the
// patch does not change keeps its bytes (a decimal's digits carry its
// precision), and values are copied from the Parameters as written.
#include <string>
#include <string_view>

#include "protocols/common/status.hpp"

namespace atrium::fhir {

/// `resource_json` (a stored resource) with the operations of
/// `parameters_json` applied in order, all or none; minified.
///
/// errc::invalid when the Parameters are malformed (not a Parameters
/// resource, a parameter that is not an operation, a missing or misplaced
/// part, an unknown operation type, a path that does not parse);
/// errc::unprocessable when an operation does not apply (its path matches
/// nothing where it must match, or several elements where it must match one;
/// an index out of range; a value of the wrong kind for its element; an
/// element that already exists or that R4 does not define);
/// errc::not_implemented for path forms beyond member names, [n], where(),
/// first(), last() and extension('url'). The message names the operation
/// ("operation 1 (replace): …") and where() the parameter
/// ("Parameters.parameter[1]").
result<std::string> apply_fhirpath_patch(std::string_view resource_json,
                                         std::string_view parameters_json);

} // namespace atrium::fhir
