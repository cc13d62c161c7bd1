// Every R4 SearchParameter expression must compile and evaluate. The
// definitions are a developer/CI sample (../shared/samples); without them the
// test skips with a warning.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "fhirpath_test_support.hpp"

using namespace fhirpath_test;

namespace {

std::filesystem::path definitions_path() {
  if (const char* env = std::getenv("ATRIUM_FHIR_DEFINITIONS"))
    return std::filesystem::path(env) / "search-parameters.json";
  return ATRIUM_SAMPLES_DIR "/fhir-r4-definitions/search-parameters.json";
}

} // namespace

TEST_CASE("every R4 search parameter expression compiles and evaluates", "[fhirpath]") {
  const auto path = definitions_path();
  if (!std::filesystem::exists(path)) {
    WARN("skipped: " << path.string() << " is absent (a developer/CI sample)");
    return;
  }
  simdjson::padded_string json;
  REQUIRE(simdjson::padded_string::load(path.string()).get(json) == simdjson::SUCCESS);
  simdjson::dom::parser parser;
  simdjson::dom::element bundle;
  REQUIRE(parser.parse(json).get(bundle) == simdjson::SUCCESS);
  simdjson::dom::array entries;
  REQUIRE(bundle["entry"].get_array().get(entries) == simdjson::SUCCESS);

  std::size_t parameters = 0, with_expression = 0, compiled = 0, evaluations = 0;
  std::set<std::string> failures;
  for (simdjson::dom::element entry : entries) {
    simdjson::dom::element resource;
    if (entry["resource"].get(resource) != simdjson::SUCCESS) continue;
    ++parameters;
    std::string_view text;
    if (resource["expression"].get_string().get(text) != simdjson::SUCCESS) continue;
    ++with_expression;
    auto expr = fp::compile(text);
    if (!expr) {
      failures.insert(std::string(text) + ": " + expr.error().message());
      continue;
    }
    ++compiled;
    simdjson::dom::array bases;
    REQUIRE(resource["base"].get_array().get(bases) == simdjson::SUCCESS);
    for (simdjson::dom::element base_element : bases) {
      std::string base(base_element.get_string().value_unsafe());
      // Abstract bases are exercised with a concrete resource.
      if (base == "Resource" || base == "DomainResource") base = "Patient";
      const json_doc minimal(R"({"resourceType":")" + base + R"(","id":"x"})");
      auto r = fp::evaluate(*expr, minimal.root);
      if (!r) failures.insert(std::string(text) + " on " + base + ": " + r.error().message());
      else ++evaluations;
    }
  }
  for (const auto& f : failures) UNSCOPED_INFO(f);
  CHECK(failures.empty());
  WARN(parameters << " search parameters, " << with_expression << " with an expression, "
                  << compiled << " compiled, " << evaluations << " evaluations without error");
  CHECK(compiled == with_expression);
  CHECK(parameters > 1000);
}
