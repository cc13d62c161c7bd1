#include <catch2/catch.hpp>

#include "protocols/fhir/elements.hpp"
#include "protocols/fhir/json_text.hpp"

using atrium::fhir::subset_request;
using atrium::fhir::subset_resource;
using mode = subset_request::mode;

namespace {

constexpr std::string_view observation =
  R"({"resourceType":"Observation","id":"o1","meta":{"versionId":"2","lastUpdated":"2026-01-01T00:00:00Z"},)"
  R"("text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},)"
  R"("status":"final","category":[{"text":"vital"}],"code":{"text":"bp"},)"
  R"("subject":{"reference":"Patient/p1"},"valueQuantity":{"value":1.50,"unit":"kg"},)"
  R"("note":[{"text":"n"}],"_status":{"extension":[]}})";

std::vector<std::string> keys(const std::string& json) {
  std::vector<std::string> out;
  for (const auto& m : atrium::fhir::raw_members(json))
    out.emplace_back(m.key);
  return out;
}

bool subsetted(const std::string& json) {
  return json.find(R"("code":"SUBSETTED")") != std::string::npos;
}

} // namespace

TEST_CASE("subset_resource: whole leaves the resource untouched") {
  CHECK(subset_resource(observation, "Observation", {}) == observation);
}

TEST_CASE("subset_resource: _summary=true keeps the elements marked summary") {
  auto out = subset_resource(observation, "Observation", {mode::summary, {}});
  CHECK(keys(out) == std::vector<std::string>{"resourceType", "id", "meta", "status", "code",
                                              "subject", "valueQuantity", "_status"});
  CHECK(subsetted(out));
  CHECK(out.find(R"("value":1.50)") != std::string::npos); // digits kept
}

TEST_CASE("subset_resource: _summary=text keeps text and mandatory elements") {
  auto out = subset_resource(observation, "Observation", {mode::text, {}});
  CHECK(keys(out) == std::vector<std::string>{"resourceType", "id", "meta", "text", "status",
                                              "code", "_status"});
}

TEST_CASE("subset_resource: _summary=data drops only text") {
  auto out = subset_resource(observation, "Observation", {mode::data, {}});
  CHECK(keys(out) == std::vector<std::string>{"resourceType", "id", "meta", "status", "category",
                                              "code", "subject", "valueQuantity", "note",
                                              "_status"});
  CHECK(subsetted(out));
}

TEST_CASE("subset_resource: _elements keeps those asked for, a choice by its name") {
  auto out = subset_resource(observation, "Observation",
                             {mode::elements, {"note", "Observation.value"}});
  CHECK(keys(out) == std::vector<std::string>{"resourceType", "id", "meta", "status", "code",
                                              "valueQuantity", "note", "_status"});
}

TEST_CASE("subset_resource: SUBSETTED joins existing tags, or meta is created") {
  auto tagged = subset_resource(
    R"({"resourceType":"Patient","id":"p","meta":{"versionId":"1","tag":[{"code":"a"}]},"gender":"x"})",
    "Patient", {mode::summary, {}});
  CHECK(tagged ==
        R"({"resourceType":"Patient","id":"p","meta":{"versionId":"1","tag":[{"code":"a"},)"
        R"({"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationValue",)"
        R"("code":"SUBSETTED","display":"Resource encoded in summary mode"}]},"gender":"x"})");
  auto created = subset_resource(R"({"resourceType":"Patient","id":"p"})", "Patient",
                                 {mode::summary, {}});
  CHECK(keys(created) == std::vector<std::string>{"resourceType", "id", "meta"});
  CHECK(subsetted(created));
}

TEST_CASE("has_element knows top-level elements, choices by their name") {
  CHECK(atrium::fhir::has_element("Patient", "birthDate"));
  CHECK(atrium::fhir::has_element("Patient", "deceased"));
  CHECK_FALSE(atrium::fhir::has_element("Patient", "deceasedBoolean"));
  CHECK_FALSE(atrium::fhir::has_element("Patient", "colour"));
}
