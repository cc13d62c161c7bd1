#include "protocols/fhir/outcome.hpp"

#include "protocols/fhir/json_text.hpp"

namespace atrium::fhir {
namespace {

// The issue type (R4 value set issue-type) that best tells a client what to
// do about an error with this code.
std::string_view issue_type(errc code) {
  switch (code) {
    case errc::invalid: return "invalid";
    case errc::not_found: return "not-found";
    case errc::gone: return "deleted";
    case errc::conflict:
    case errc::precondition_failed: return "conflict";
    case errc::too_large: return "too-costly";
    case errc::unsupported_media:
    case errc::not_acceptable:
    case errc::method_not_allowed:
    case errc::not_implemented: return "not-supported";
    case errc::unprocessable: return "processing";
    case errc::too_many_requests: return "throttled";
    case errc::timeout: return "timeout";
    default: return "exception";
  }
}

void append_issue(std::string& out, std::string_view severity, std::string_view code,
                  std::string_view diagnostics, std::string_view expression) {
  out += R"({"severity":)";
  append_json_string(out, severity);
  out += ",\"code\":";
  append_json_string(out, code);
  out += ",\"diagnostics\":";
  append_json_string(out, diagnostics);
  if (!expression.empty()) {
    out += ",\"expression\":[";
    append_json_string(out, expression);
    out.push_back(']');
  }
  out.push_back('}');
}

std::string single_issue(std::string_view severity, std::string_view code,
                         std::string_view diagnostics, std::string_view expression) {
  std::string out = R"({"resourceType":"OperationOutcome","issue":[)";
  append_issue(out, severity, code, diagnostics, expression);
  out += "]}";
  return out;
}

} // namespace

std::string operation_outcome(const status& error) {
  return single_issue("error", issue_type(error.code()), error.message(), error.where());
}

std::string informational_outcome(std::string_view message) {
  return single_issue("information", "informational", message, {});
}

std::string warning_outcome(const std::vector<std::string>& messages) {
  std::string out = R"({"resourceType":"OperationOutcome","issue":[)";
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (i)
      out.push_back(',');
    append_issue(out, "warning", "not-supported", messages[i], {});
  }
  out += "]}";
  return out;
}

} // namespace atrium::fhir
