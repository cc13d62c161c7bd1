#include <catch2/catch.hpp>

#include <string>

#include <simdjson.h>

#include "protocols/fhir/resource_json.hpp"

using namespace atrium;
using namespace atrium::fhir;

namespace {

constexpr std::int64_t t0 = 1795704378123456; // 2026-11-26T14:46:18.123456Z

std::string prepared(std::string_view body, std::string_view type, std::string_view id,
                     id_rule rule, std::uint64_t version = 3) {
  auto t = prepare_resource(body, type, id, rule);
  if (!t) FAIL("unexpected error: " << t.error().message() << " at " << t.error().where());
  return render_resource(*t, version, t0);
}

status refusal(std::string_view body, std::string_view type = "Patient",
               std::string_view id = "a", id_rule rule = id_rule::must_match) {
  auto t = prepare_resource(body, type, id, rule);
  REQUIRE_FALSE(t);
  CHECK(t.error().code() == errc::invalid);
  return t.error();
}

} // namespace

TEST_CASE("a resource is minified with the server's id and meta first") {
  const std::string body = R"({
    "resourceType": "Patient",
    "id": "ignored",
    "meta": {"versionId": "9", "profile": ["http://example.org/p"],
             "lastUpdated": "2000-01-01T00:00:00Z", "tag": [{"code": "t"}]},
    "active": true,
    "name": [{"family": "Doe", "given": ["Jo Ann"]}],
    "birthDate": "1970-01-01"
  })";
  CHECK(prepared(body, "Patient", "p1", id_rule::replace) ==
        R"({"resourceType":"Patient","id":"p1","meta":{"versionId":"3",)"
        R"("lastUpdated":"2026-11-26T14:46:18.123456Z","profile":["http://example.org/p"],)"
        R"("tag":[{"code":"t"}]},"active":true,"name":[{"family":"Doe","given":["Jo Ann"]}],)"
        R"("birthDate":"1970-01-01"})");
}

TEST_CASE("the template splits around version and time") {
  auto t = prepare_resource(R"({"resourceType":"Patient"})", "Patient", "p1", id_rule::replace);
  REQUIRE(t);
  CHECK(t->type == "Patient");
  CHECK(t->id == "p1");
  CHECK(t->head == R"({"resourceType":"Patient","id":"p1","meta":{"versionId":")");
  CHECK(t->tail == R"("}})");
  CHECK(render_resource(*t, 12, 0) ==
        R"({"resourceType":"Patient","id":"p1","meta":{"versionId":"12",)"
        R"("lastUpdated":"1970-01-01T00:00:00.000000Z"}})");
}

TEST_CASE("values keep the client's text: decimals, escapes, order") {
  const std::string body =
      R"({"valueQuantity":{"value":1.50,"unit":"mg"},"resourceType":"Observation",)"
      R"("note":[{"text":"a \"b\"\n\u00e9 \/"}],"referenceRange":[{"low":{"value":1e2}}],)"
      R"("code":{"text":"c"},"status":"final"})";
  CHECK(prepared(body, "Observation", "o", id_rule::replace, 1) ==
        R"({"resourceType":"Observation","id":"o","meta":{"versionId":"1",)"
        R"("lastUpdated":"2026-11-26T14:46:18.123456Z"},"valueQuantity":{"value":1.50,"unit":"mg"},)"
        R"("note":[{"text":"a \"b\"\n\u00e9 \/"}],"referenceRange":[{"low":{"value":1e2}}],)"
        R"("code":{"text":"c"},"status":"final"})");
}

TEST_CASE("brackets and commas inside strings do not split members") {
  const std::string body =
      R"({"resourceType":"Basic","code":{"text":"},{\"x\":["},)"
      R"("meta":{"source":"]}\\","tag":[{"code":"["}]},"identifier":[{"value":"]"}]})";
  CHECK(prepared(body, "Basic", "b", id_rule::replace) ==
        R"({"resourceType":"Basic","id":"b","meta":{"versionId":"3",)"
        R"("lastUpdated":"2026-11-26T14:46:18.123456Z","source":"]}\\","tag":[{"code":"["}]},)"
        R"("code":{"text":"},{\"x\":["},"identifier":[{"value":"]"}]})");
}

TEST_CASE("top-level keys are written anew, values as sent") {
  const std::string body = R"({"resourceType":"Basic","\u0063ode":{"te\u0078t":"k"}})";
  CHECK(prepared(body, "Basic", "b", id_rule::replace) ==
        R"({"resourceType":"Basic","id":"b","meta":{"versionId":"3",)"
        R"("lastUpdated":"2026-11-26T14:46:18.123456Z"},"code":{"te\u0078t":"k"}})");
}

TEST_CASE("update keeps a matching id") {
  CHECK(prepared(R"({"resourceType":"Patient","id":"a","gender":"other"})", "Patient", "a",
                 id_rule::must_match) ==
        R"({"resourceType":"Patient","id":"a","meta":{"versionId":"3",)"
        R"("lastUpdated":"2026-11-26T14:46:18.123456Z"},"gender":"other"})");
}

TEST_CASE("create ignores the body's id, even a malformed one") {
  auto t = prepare_resource(R"({"resourceType":"Patient","id":"x y"})", "Patient", "new-1",
                            id_rule::replace);
  REQUIRE(t);
  CHECK(t->id == "new-1");
  CHECK(render_resource(*t, 1, 0).find("x y") == std::string::npos);
}

TEST_CASE("bodies that are not a JSON object are refused") {
  CHECK(refusal("").message() == "the body is empty");
  CHECK(refusal(" \r\n").where() == "$");
  const auto truncated = refusal(R"({"resourceType":"Patient","id":"a")");
  CHECK_THAT(truncated.message(), Catch::StartsWith("the body is not valid JSON: "));
  CHECK(truncated.where() == "$");
  CHECK_THAT(refusal(R"({"resourceType":"Patient"} x)").message(),
             Catch::StartsWith("the body is not valid JSON"));
  CHECK(refusal(R"([{"resourceType":"Patient"}])").message() ==
        "the body must be a JSON object, not an array");
  CHECK(refusal(R"("Patient")").message() == "the body must be a JSON object, not a string");
  CHECK(refusal("42").where() == "$");
}

TEST_CASE("bytes that are not UTF-8 are refused") {
  const auto s = refusal("{\"resourceType\":\"Patient\",\"id\":\"a\",\"name\":\"\xff\"}");
  CHECK(s.message() == "the body is not valid UTF-8");
  CHECK(s.where() == "$");
  refusal("{\"resourceType\":\"Patient\",\"id\":\"a\",\"n\":\"\xc3\x28\"}").ignore();
}

TEST_CASE("resourceType must be present and match the URL") {
  const auto wrong = refusal(R"({"resourceType":"Observation","id":"a"})");
  CHECK(wrong.message() == "resourceType 'Observation' does not match the URL's type 'Patient'");
  CHECK(wrong.where() == "resourceType");
  CHECK(refusal(R"({"id":"a"})").message() == "the resource has no resourceType");
  CHECK(refusal(R"({"resourceType":7,"id":"a"})").message() == "resourceType must be a string");
  CHECK(refusal(R"({"resourceType":"patient","id":"a"})").where() == "resourceType");
}

TEST_CASE("update requires a valid id equal to the URL's") {
  const auto missing = refusal(R"({"resourceType":"Patient"})");
  CHECK(missing.message() == "a resource for update must carry an id");
  CHECK(missing.where() == "Patient.id");
  const auto bad = refusal(R"({"resourceType":"Patient","id":"x y"})");
  CHECK(bad.message() == "id 'x y' is not a valid FHIR id ([A-Za-z0-9-.]{1,64})");
  CHECK(bad.where() == "Patient.id");
  const auto other = refusal(R"({"resourceType":"Patient","id":"b"})");
  CHECK(other.message() == "the body's id 'b' does not match the URL's id 'a'");
  CHECK(refusal(R"({"resourceType":"Patient","id":1})").message() == "Patient.id must be a string");
}

TEST_CASE("the id passed in must be a valid FHIR id") {
  for (auto rule : {id_rule::replace, id_rule::must_match}) {
    const auto s = refusal(R"({"resourceType":"Patient","id":"x y"})", "Patient", "x y", rule);
    CHECK_THAT(s.message(), Catch::Contains("is not a valid FHIR id"));
    refusal(R"({"resourceType":"Patient"})", "Patient", "", rule).ignore();
    refusal(R"({"resourceType":"Patient"})", "Patient", std::string(65, 'a'), rule).ignore();
  }
}

TEST_CASE("meta must be an object and members must not repeat") {
  const auto meta = refusal(R"({"resourceType":"Patient","id":"a","meta":[1]})");
  CHECK(meta.message() == "Patient.meta must be an object");
  CHECK(meta.where() == "Patient.meta");
  const auto twice = refusal(R"({"resourceType":"Patient","id":"a","active":true,"active":false})");
  CHECK(twice.message() == "Patient has the member 'active' more than once");
  CHECK(twice.where() == "Patient.active");
  CHECK(refusal(R"({"resourceType":"Patient","id":"a","meta":{"tag":[1],"tag":[2]}})").where() ==
        "Patient.meta.tag");
  // A second resourceType could otherwise smuggle in another type.
  refusal(R"({"resourceType":"Patient","id":"a","resourceType":"Observation"})").ignore();
  // Of several repeated members, the first in key order is named, in a
  // small object as in one of more than 32 members.
  CHECK(refusal(R"({"resourceType":"Patient","id":"a","b":1,"a":1,"b":2,"a":2})").where() ==
        "Patient.a");
  std::string many = R"({"resourceType":"Patient","id":"a","b":1,"a":1,"b":2,"a":2)";
  for (int i = 0; i < 40; ++i) many += ",\"x" + std::to_string(i) + "\":1";
  CHECK(refusal(many + "}").where() == "Patient.a");
}

TEST_CASE("R4 JSON has no nulls, no empty objects or arrays, no arrays in arrays") {
  auto where = [](std::string_view body) {
    return refusal(body, "Patient", "a", id_rule::replace).where();
  };
  CHECK(where(R"({"resourceType":"Patient","active":null})") == "Patient.active");
  CHECK(where(R"({"resourceType":"Patient","name":[]})") == "Patient.name");
  CHECK(where(R"({"resourceType":"Patient","maritalStatus":{}})") == "Patient.maritalStatus");
  CHECK(where(R"({"resourceType":"Patient","name":[{"given":[null]}]})") == "Patient.name[0].given[0]");
  CHECK(where(R"({"resourceType":"Patient","name":[{}]})") == "Patient.name[0]");
  CHECK(where(R"({"resourceType":"Patient","name":[["x"]]})") == "Patient.name[0]");
  CHECK(where(R"({"resourceType":"Patient","contained":[{"resourceType":"Basic","code":null}]})") ==
        "Patient.contained[0].code");
  CHECK(refusal(R"({"resourceType":"Patient","id":"a","active":null})").message().find("is null") !=
        std::string::npos);
  // null keeps an array of primitives aligned with its '_' partner.
  CHECK(prepared(R"({"resourceType":"Patient","name":[{"given":["Jo",null],)"
                 R"("_given":[null,{"extension":[{"url":"u","valueString":"x"}]}]}]})",
                 "Patient", "p", id_rule::replace)
          .find("\"_given\":[null,") != std::string::npos);
}

TEST_CASE("the valid document is handed on parsed and its reader's error is the answer") {
  const std::string body = R"({"resourceType":"Patient","active":true,"name":[{"family":"Doe"}]})";
  std::string family;
  auto t = prepare_resource(body, "Patient", "p1", id_rule::replace,
                            [&](const simdjson::dom::element& resource) {
                              std::string_view f;
                              if (resource["name"].at(0)["family"].get_string().get(f))
                                return status{errc::internal, "no family"};
                              family = std::string{f};
                              return status::ok();
                            });
  REQUIRE(t);
  CHECK(family == "Doe");

  bool read = false;
  auto invalid = prepare_resource(R"({"resourceType":"Observation"})", "Patient", "p1",
                                  id_rule::replace, [&](const simdjson::dom::element&) {
                                    read = true;
                                    return status::ok();
                                  });
  CHECK_FALSE(invalid);
  CHECK_FALSE(read); // only a valid document is read further

  auto refused = prepare_resource(body, "Patient", "p1", id_rule::replace,
                                  [](const simdjson::dom::element&) {
                                    return status{errc::unprocessable, "cannot index", "x"};
                                  });
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code() == errc::unprocessable);
  CHECK(refused.error().message() == "cannot index");
}
