// The management API's resource model: name rules, what of a PUT body is
// kept, and the JSON documents stored and served for workspaces and services.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include "protocols/fhir/instant.hpp"
#include "protocols/mgmt/resources.hpp"

using namespace atrium;
using namespace atrium::mgmt;

namespace {

constexpr std::int64_t created_at = 1700000000123456;  // 2023-11-14T22:13:20.123456Z
constexpr std::int64_t modified_at = 1795704378123456; // 2026-11-26T14:46:18.123456Z

/// Parses a document the way a client would; fails the test if it is not JSON.
simdjson::dom::element parse_json(simdjson::dom::parser& parser, const std::string& json) {
  simdjson::dom::element doc;
  INFO(json);
  REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
  return doc;
}

std::string text(simdjson::simdjson_result<simdjson::dom::element> e) {
  std::string_view s;
  REQUIRE(e.get(s) == simdjson::SUCCESS);
  return std::string{s};
}

/// What parse_properties keeps of an acceptable body.
std::string kept(std::string_view body) {
  auto p = parse_properties(body);
  INFO(body);
  REQUIRE(p);
  return *p;
}

} // namespace

TEST_CASE("names: 3 to 24 lowercase letters, digits and inner hyphens") {
  for (auto good : {"abc", "a-b", "fhir", "ws-01", "123", "abcdefghijklmnopqrstuvwx"}) {
    INFO(good);
    CHECK(validate_name(good, "service").is_ok());
  }
  for (auto bad : {"", "ab", "abcdefghijklmnopqrstuvwxy", "Abc", "a_b", "a.b", "a b", "-ab",
                   "ab-", "ab\xc3\xa9", "ab/c"}) {
    INFO(bad);
    auto s = validate_name(bad, "service");
    CHECK(s.code() == errc::invalid);
    CHECK(s.where() == "service"); // what the name is for, as given
    CHECK(s.message().find("service name") != std::string::npos);
  }
}

TEST_CASE("workspace names also avoid the node's own routes") {
  CHECK(validate_workspace_name("clinic").is_ok());
  CHECK(validate_workspace_name("default").is_ok());
  for (auto reserved : {"workspaces", "healthz", "readyz", "metrics", "well-known", "oauth",
                        "admin"}) {
    INFO(reserved);
    auto s = validate_workspace_name(reserved);
    CHECK(s.code() == errc::invalid);
    CHECK(s.where() == "workspace");
    CHECK(s.message().find("reserved") != std::string::npos);
  }
  // The general rules apply first.
  CHECK(validate_workspace_name("No").where() == "workspace");
}

TEST_CASE("parse_properties keeps only the properties object, minified") {
  SECTION("an empty or blank body means no properties") {
    CHECK(kept("") == "{}");
    CHECK(kept(" \r\n\t") == "{}");
  }
  SECTION("an object without properties") {
    CHECK(kept(R"({"location":"eu"})") == "{}");
  }
  SECTION("properties are minified, their order and numbers kept") {
    auto p = parse_properties(R"({ "properties" : { "b" : [1, 2],
                                   "a" : {"x" : "y z"} }, "tags": {} })");
    REQUIRE(p);
    CHECK(*p == R"({"b":[1,2],"a":{"x":"y z"}})");
  }
  SECTION("the body must be a JSON object") {
    for (auto body : {"[]", "\"text\"", "42", "null"}) {
      INFO(body);
      auto p = parse_properties(body);
      REQUIRE_FALSE(p);
      CHECK(p.error().code() == errc::invalid);
      CHECK(p.error().where() == "$");
    }
  }
  SECTION("malformed JSON is refused") {
    auto p = parse_properties(R"({"properties":)");
    REQUIRE_FALSE(p);
    CHECK(p.error().code() == errc::invalid);
    CHECK(p.error().where() == "$");
  }
  SECTION("properties must be an object") {
    for (auto body : {R"({"properties":[]})", R"({"properties":"x"})", R"({"properties":null})"}) {
      INFO(body);
      auto p = parse_properties(body);
      REQUIRE_FALSE(p);
      CHECK(p.error().code() == errc::invalid);
      CHECK(p.error().where() == "properties");
    }
  }
}

TEST_CASE("workspace_json is JSON with the documented fields") {
  simdjson::dom::parser parser;
  auto json = workspace_json("clinic", R"({"tier":"gold"})", created_at, modified_at);
  auto doc = parse_json(parser, json);
  CHECK(text(doc["id"]) == "/workspaces/clinic");
  CHECK(text(doc["name"]) == "clinic");
  CHECK(text(doc["type"]) == "workspaces");
  CHECK(text(doc["properties"]["tier"]) == "gold");
  CHECK(text(doc["systemData"]["createdAt"]) == fhir::format_instant(created_at));
  CHECK(text(doc["systemData"]["lastModifiedAt"]) == fhir::format_instant(modified_at));
  // No service fields on a workspace.
  CHECK(doc["serviceId"].error() == simdjson::NO_SUCH_FIELD);
}

TEST_CASE("service_json is JSON with the documented fields") {
  simdjson::dom::parser parser;
  auto json =
    service_json("clinic", "dicomservices", "images", 4000000000u, "{}", created_at, modified_at);
  auto doc = parse_json(parser, json);
  CHECK(text(doc["id"]) == "/workspaces/clinic/dicomservices/images");
  CHECK(text(doc["name"]) == "images");
  CHECK(text(doc["type"]) == "dicomservices");
  CHECK(text(doc["serviceUrl"]) == "/clinic/images");
  std::uint64_t id = 0;
  REQUIRE(doc["serviceId"].get(id) == simdjson::SUCCESS);
  CHECK(id == 4000000000u); // a full u32, not truncated to int
  simdjson::dom::object props;
  REQUIRE(doc["properties"].get(props) == simdjson::SUCCESS);
  CHECK(props.size() == 0);
  CHECK(text(doc["systemData"]["createdAt"]) == fhir::format_instant(created_at));
}

TEST_CASE("list_json wraps items in value") {
  simdjson::dom::parser parser;
  CHECK(list_json(nullptr, 0) == R"({"value":[]})");
  std::string items[] = {workspace_json("a-1", "{}", 1, 2), workspace_json("b-2", "{}", 3, 4)};
  auto doc = parse_json(parser, list_json(items, 2));
  simdjson::dom::array value;
  REQUIRE(doc["value"].get(value) == simdjson::SUCCESS);
  REQUIRE(value.size() == 2);
  CHECK(text(value.at(1)["name"]) == "b-2");
}

TEST_CASE("parse_stored reads back what was stored") {
  auto ws = parse_stored(workspace_json("clinic", R"({"a":[1,2]})", created_at, modified_at));
  REQUIRE(ws);
  CHECK(ws->properties == R"({"a":[1,2]})");
  CHECK(ws->created == created_at);
  CHECK(ws->service_id == 0);

  auto svc = parse_stored(service_json("clinic", "fhirservices", "records", 77, R"({"k":"v"})",
                                       created_at, modified_at));
  REQUIRE(svc);
  CHECK(svc->properties == R"({"k":"v"})");
  CHECK(svc->created == created_at);
  CHECK(svc->service_id == 77);

  // Missing fields fall back to the defaults.
  auto bare = parse_stored("{}");
  REQUIRE(bare);
  CHECK(bare->properties == "{}");
  CHECK(bare->created == 0);

  auto corrupt = parse_stored("{not json");
  REQUIRE_FALSE(corrupt);
  CHECK(corrupt.error().code() == errc::internal);
}

TEST_CASE("names with JSON-special characters cannot break the documents") {
  // Names are validated first, but the renderers escape anyway.
  simdjson::dom::parser parser;
  auto doc = parse_json(parser, workspace_json("we\"ird\\", "{}", 0, 0));
  CHECK(text(doc["name"]) == "we\"ird\\");
}
