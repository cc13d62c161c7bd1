#include <catch2/catch.hpp>

#include <simdjson.h>

#include "protocols/fhir/outcome.hpp"

using namespace atrium;
using namespace atrium::fhir;

namespace {

// The single issue of an OperationOutcome, parsed back with simdjson.
struct parsed_issue {
  std::string severity, code, diagnostics, expression;
  std::size_t expressions = 0;
};

parsed_issue parse_outcome(const std::string& json) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json);
  simdjson::dom::element doc = parser.parse(padded);
  REQUIRE(std::string_view(doc["resourceType"]) == "OperationOutcome");
  simdjson::dom::array issues = doc["issue"];
  REQUIRE(issues.size() == 1);
  simdjson::dom::object issue = issues.at(0);
  parsed_issue out;
  out.severity = std::string(std::string_view(issue["severity"]));
  out.code = std::string(std::string_view(issue["code"]));
  out.diagnostics = std::string(std::string_view(issue["diagnostics"]));
  simdjson::dom::array expression;
  if (!issue["expression"].get(expression)) {
    out.expressions = expression.size();
    out.expression = std::string(std::string_view(expression.at(0)));
  }
  return out;
}

} // namespace

TEST_CASE("an error becomes one issue with diagnostics and expression") {
  const auto issue =
      parse_outcome(operation_outcome({errc::invalid, "bad \"id\"\n", "Patient.id"}));
  CHECK(issue.severity == "error");
  CHECK(issue.code == "invalid");
  CHECK(issue.diagnostics == "bad \"id\"\n");
  CHECK(issue.expressions == 1);
  CHECK(issue.expression == "Patient.id");
}

TEST_CASE("expression is absent without a place") {
  const auto json = operation_outcome({errc::not_found, "no such Patient"});
  CHECK(json.find("expression") == std::string::npos);
  CHECK(parse_outcome(json).code == "not-found");
}

TEST_CASE("codes map to issue types") {
  const std::pair<errc, const char*> cases[] = {
      {errc::invalid, "invalid"},           {errc::not_found, "not-found"},
      {errc::gone, "deleted"},              {errc::conflict, "conflict"},
      {errc::precondition_failed, "conflict"}, {errc::too_large, "too-costly"},
      {errc::unsupported_media, "not-supported"}, {errc::not_acceptable, "not-supported"},
      {errc::method_not_allowed, "not-supported"}, {errc::not_implemented, "not-supported"},
      {errc::unprocessable, "processing"},  {errc::too_many_requests, "throttled"},
      {errc::timeout, "timeout"},           {errc::internal, "exception"},
      {errc::io_error, "exception"},        {errc::unavailable, "exception"},
  };
  for (const auto& [code, type] : cases) {
    INFO(errc_name(code));
    CHECK(parse_outcome(operation_outcome({code, "m"})).code == type);
  }
}

TEST_CASE("an informational outcome") {
  const auto issue = parse_outcome(informational_outcome("All OK"));
  CHECK(issue.severity == "information");
  CHECK(issue.code == "informational");
  CHECK(issue.diagnostics == "All OK");
  CHECK(issue.expressions == 0);
}
