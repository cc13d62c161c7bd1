#include <catch2/catch.hpp>

#include "protocols/http/media.hpp"

using namespace atrium::http;

namespace {

fhir_format accept(std::string_view header) { return negotiate(std::nullopt, header); }

} // namespace

TEST_CASE("Accept: JSON when missing or when any JSON type is acceptable") {
  CHECK(negotiate(std::nullopt, std::nullopt) == fhir_format::json);
  CHECK(accept("") == fhir_format::json);
  CHECK(accept("*/*") == fhir_format::json);
  CHECK(accept("application/*") == fhir_format::json);
  CHECK(accept("application/json") == fhir_format::json);
  CHECK(accept("application/fhir+json") == fhir_format::json);
  CHECK(accept("Application/FHIR+JSON") == fhir_format::json);
  CHECK(accept("application/fhir+json; fhirVersion=4.0") == fhir_format::json);
  CHECK(accept("application/fhir+json;charset=utf-8;q=0.9") == fhir_format::json);
  CHECK(accept("text/html, application/xhtml+xml, */*;q=0.8") == fhir_format::json);
  CHECK(accept("application/fhir+xml;q=1.0, application/fhir+json;q=0.5") == fhir_format::json);
}

TEST_CASE("Accept: XML only, or something else") {
  CHECK(accept("application/fhir+xml") == fhir_format::xml);
  CHECK(accept("application/xml, text/xml") == fhir_format::xml);
  CHECK(accept("text/html") == fhir_format::other);
  CHECK(accept("text/html, image/png") == fhir_format::other);
  CHECK(accept("text/*") == fhir_format::other);
}

TEST_CASE("Accept: q=0 refuses a type, another FHIR version cannot be served") {
  CHECK(accept("application/fhir+json;q=0, application/fhir+xml") == fhir_format::xml);
  CHECK(accept("application/json; q=0.0") == fhir_format::other);
  CHECK(accept("*/*;q=0") == fhir_format::other);
  CHECK(accept("application/json;q=0.001") == fhir_format::json);
  CHECK(accept("application/fhir+json; fhirVersion=3.0") == fhir_format::other);
  CHECK(accept("application/fhir+json; fhirVersion=4.0.1") == fhir_format::json);
}

TEST_CASE("_format wins over Accept") {
  CHECK(negotiate("json", "application/fhir+xml") == fhir_format::json);
  CHECK(negotiate("application/json", "text/html") == fhir_format::json);
  CHECK(negotiate("application/fhir+json", std::nullopt) == fhir_format::json);
  // An unencoded '+' in the query string has already become a space.
  CHECK(negotiate("application/fhir json", std::nullopt) == fhir_format::json);
  CHECK(negotiate("xml", "application/json") == fhir_format::xml);
  CHECK(negotiate("text/xml", std::nullopt) == fhir_format::xml);
  CHECK(negotiate("application/fhir+xml", std::nullopt) == fhir_format::xml);
  CHECK(negotiate("turtle", "application/json") == fhir_format::other);
  CHECK(negotiate("html", std::nullopt) == fhir_format::other);
}

TEST_CASE("request bodies must be FHIR JSON in UTF-8") {
  CHECK(is_fhir_json_content_type("application/fhir+json"));
  CHECK(is_fhir_json_content_type("application/json"));
  CHECK(is_fhir_json_content_type("application/fhir+json; charset=utf-8"));
  CHECK(is_fhir_json_content_type("application/fhir+json;charset=UTF-8;fhirVersion=4.0"));
  CHECK(is_fhir_json_content_type("application/json; charset=\"utf-8\""));
  CHECK_FALSE(is_fhir_json_content_type("application/fhir+json; charset=iso-8859-1"));
  CHECK_FALSE(is_fhir_json_content_type("application/fhir+xml"));
  CHECK_FALSE(is_fhir_json_content_type("text/plain"));
  CHECK_FALSE(is_fhir_json_content_type("*/*"));
  CHECK_FALSE(is_fhir_json_content_type(""));
}
