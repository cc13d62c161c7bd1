#include <catch2/catch.hpp>

#include <simdjson.h>

#include "protocols/fhir/bundle.hpp"

using namespace atrium::fhir;

namespace {

std::string text(simdjson::dom::element e) { return std::string(std::string_view(e)); }

} // namespace

TEST_CASE("a history bundle lists versions with request and response") {
  const std::string v2 = R"({"resourceType":"Patient","id":"p1","meta":{"versionId":"2"},"active":false})";
  const std::string v1 = R"({"resourceType":"Patient","id":"p1","meta":{"versionId":"1"}})";
  const std::vector<history_entry> entries = {
      {"Patient", "p1", 3, 1795704378123456, history_method::erase, {}},
      {"Patient", "p1", 2, 1000000, history_method::update, v2},
      {"Patient", "p1", 1, 0, history_method::create, v1},
  };
  const std::string json =
      history_bundle("http://h/fhir/", entries, "http://h/fhir/Patient/p1/_history",
                     "http://h/fhir/Patient/p1/_history?page=2", 3);

  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json);
  simdjson::dom::element doc = parser.parse(padded);
  CHECK(text(doc["resourceType"]) == "Bundle");
  CHECK(text(doc["type"]) == "history");
  CHECK(std::uint64_t(doc["total"]) == 3);

  simdjson::dom::array links = doc["link"];
  REQUIRE(links.size() == 2);
  CHECK(text(links.at(0)["relation"]) == "self");
  CHECK(text(links.at(0)["url"]) == "http://h/fhir/Patient/p1/_history");
  CHECK(text(links.at(1)["relation"]) == "next");
  CHECK(text(links.at(1)["url"]) == "http://h/fhir/Patient/p1/_history?page=2");

  simdjson::dom::array list = doc["entry"];
  REQUIRE(list.size() == 3);
  simdjson::dom::element erased = list.at(0), updated = list.at(1), created = list.at(2);
  CHECK(text(erased["fullUrl"]) == "http://h/fhir/Patient/p1");
  CHECK(erased["resource"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(text(erased["request"]["method"]) == "DELETE");
  CHECK(text(erased["request"]["url"]) == "Patient/p1");
  CHECK(text(erased["response"]["status"]) == "204 No Content");
  CHECK(text(erased["response"]["etag"]) == "W/\"3\"");
  CHECK(text(erased["response"]["lastModified"]) == "2026-11-26T14:46:18.123456Z");

  CHECK(simdjson::minify(updated["resource"]) == v2);
  CHECK(text(updated["request"]["method"]) == "PUT");
  CHECK(text(updated["request"]["url"]) == "Patient/p1");
  CHECK(text(updated["response"]["status"]) == "200 OK");
  CHECK(text(updated["response"]["lastModified"]) == "1970-01-01T00:00:01.000000Z");

  CHECK(text(created["request"]["method"]) == "POST");
  CHECK(text(created["request"]["url"]) == "Patient");
  CHECK(text(created["response"]["status"]) == "201 Created");
  CHECK(text(created["response"]["etag"]) == "W/\"1\"");
  // Stored JSON is spliced verbatim, not re-serialised.
  CHECK(json.find(v1) != std::string::npos);
}

TEST_CASE("a PUT that wrote version 1 created the resource") {
  const std::string v1 = R"({"resourceType":"Patient","id":"p2","meta":{"versionId":"1"}})";
  const std::string json = history_bundle(
    "http://h/fhir/", {{"Patient", "p2", 1, 0, history_method::update, v1}}, "http://h/x", "");
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json);
  simdjson::dom::element doc = parser.parse(padded);
  simdjson::dom::element entry = doc["entry"].at(0);
  CHECK(text(entry["request"]["method"]) == "PUT");
  CHECK(text(entry["request"]["url"]) == "Patient/p2");
  CHECK(text(entry["response"]["status"]) == "201 Created");
}

TEST_CASE("total and next are optional; an empty page has no entry array") {
  const std::string json = history_bundle("http://h", {}, "http://h/_history", "");
  CHECK(json ==
        R"({"resourceType":"Bundle","type":"history",)"
        R"("link":[{"relation":"self","url":"http://h/_history"}]})");
}
