#include "protocols/fhir/patch.hpp"

#include "protocols/fhir/fhirpath_patch.hpp"
#include "protocols/fhir/json_patch.hpp"
#include "protocols/http/media.hpp"

namespace atrium::fhir {

namespace {

char first_char(std::string_view text) {
  for (char c : text)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return c;
  return '\0';
}

} // namespace

status check_patch_body(std::string_view content_type, std::string_view body) {
  if (content_type.starts_with("application/json-patch+json")) {
    if (first_char(body) != '[')
      return {errc::invalid, "a JSON Patch is a JSON array of operations"};
    return status::ok();
  }
  if (http::is_fhir_json_content_type(content_type)) {
    if (first_char(body) != '{')
      return {errc::invalid, "a FHIRPath Patch is a Parameters resource"};
    return status::ok();
  }
  return {errc::unsupported_media,
          "PATCH takes application/json-patch+json (JSON Patch) or application/fhir+json "
          "(FHIRPath Patch)",
          "Content-Type"};
}

result<std::string> apply_patch(std::string_view resource_json, std::string_view patch) {
  switch (first_char(patch)) {
    case '[': return apply_json_patch(resource_json, patch);
    case '{': return apply_fhirpath_patch(resource_json, patch);
    default: return status{errc::invalid, "a patch is a JSON Patch array or a Parameters resource"};
  }
}

} // namespace atrium::fhir
