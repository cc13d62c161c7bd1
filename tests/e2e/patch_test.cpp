// PATCH with a JSON Patch document or a FHIRPath Patch (Parameters): the
// current version patched and stored as a new one, If-Match, the patched
// resource indexed for search, conditional and in a transaction, errors.
#include <string>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"
#include "tests/e2e/search_data.hpp"

using namespace e2e;
using namespace e2e::search_data;

namespace {

const header_list json_patch{{"Content-Type", "application/json-patch+json"}};

http_response patch(http_client& c, const std::string& target, const std::string& body,
                    header_list headers = json_patch) {
  return c.request("PATCH", base + target, body, headers);
}

} // namespace

TEST_CASE("PATCH applies a JSON Patch to the current version", "[e2e][patch]") {
  auto c = shared_node().client();
  put(*c, "Patient", "patch-1",
      R"({"resourceType":"Patient","id":"patch-1","active":true,"name":[{"family":"Before"}],)"
      R"("extension":[{"url":"http://example.org/weight","valueDecimal":70.50}]})");

  auto r = patch(*c, "/Patient/patch-1",
                 R"([{"op":"test","path":"/active","value":true},)"
                 R"({"op":"replace","path":"/name/0/family","value":"After"},)"
                 R"({"op":"remove","path":"/active"},)"
                 R"({"op":"add","path":"/gender","value":"female"}])");
  INFO(r.body);
  REQUIRE(r.status == 200);
  CHECK(r.header("etag") == "W/\"2\"");
  json body{r.body};
  CHECK(body.str("/name/0/family") == "After");
  CHECK(body.str("/gender") == "female");
  CHECK_FALSE(body.has("/active"));
  CHECK(body.str("/meta/versionId") == "2");
  CHECK(r.body.find("70.50") != std::string::npos); // the decimal as written

  // The new version is what reads and searches see.
  CHECK(c->get(base + "/Patient/patch-1").body.find("\"After\"") != std::string::npos);
  CHECK(checked_search(*c, "Patient", {{"family", "after"}, {"_id", "patch-1"}}).match_set() ==
        ids({"patch-1"}));
  CHECK(checked_search(*c, "Patient", {{"family", "before"}, {"_id", "patch-1"}}).match_set().empty());

  // If-Match: a stale version is refused, the current one accepted.
  auto stale = patch(*c, "/Patient/patch-1", R"([{"op":"add","path":"/active","value":false}])",
                     {{"Content-Type", "application/json-patch+json"}, {"If-Match", "W/\"1\""}});
  CHECK(stale.status == 412);
  auto fresh = patch(*c, "/Patient/patch-1", R"([{"op":"add","path":"/active","value":false}])",
                     {{"Content-Type", "application/json-patch+json"}, {"If-Match", "W/\"2\""}});
  CHECK(fresh.status == 200);
  CHECK(fresh.header("etag") == "W/\"3\"");

  // A failed test leaves the resource as it was.
  auto failed = patch(*c, "/Patient/patch-1", R"([{"op":"test","path":"/gender","value":"male"}])");
  CHECK(failed.status == 422);
  CHECK(json{c->get(base + "/Patient/patch-1").body}.str("/meta/versionId") == "3");
}

TEST_CASE("PATCH: absent, deleted, media types", "[e2e][patch]") {
  auto c = shared_node().client();
  CHECK(patch(*c, "/Patient/patch-none", "[]").status == 404);
  put(*c, "Patient", "patch-gone", R"({"resourceType":"Patient","id":"patch-gone"})");
  REQUIRE(c->del(base + "/Patient/patch-gone").status == 204);
  CHECK(patch(*c, "/Patient/patch-gone", "[]").status == 410);
  put(*c, "Patient", "patch-2", R"({"resourceType":"Patient","id":"patch-2"})");
  CHECK(patch(*c, "/Patient/patch-2", "[]", {{"Content-Type", "text/plain"}}).status == 415);
  // Each media type with the other's shape.
  CHECK(patch(*c, "/Patient/patch-2", "{}").status == 400);
  CHECK(patch(*c, "/Patient/patch-2", "[]", {{"Content-Type", "application/fhir+json"}}).status ==
        400);
  CHECK(patch(*c, "/Patient/patch-2", R"([{"op":"replace","path":"/resourceType","value":"Group"}])")
          .status == 422);
  auto cap = c->get(base + "/metadata");
  CHECK(cap.body.find("\"patch\"") != std::string::npos);
}

TEST_CASE("PATCH: the patched resource is checked like any update", "[e2e][patch]") {
  auto c = shared_node().client();
  put(*c, "Observation", "patch-obs",
      R"({"resourceType":"Observation","id":"patch-obs","status":"final","code":{"text":"c"}})");
  // Observation.status is required by R4: removing it is refused, by either flavour.
  auto removed = patch(*c, "/Observation/patch-obs", R"([{"op":"remove","path":"/status"}])");
  CHECK(removed.status == 422);
  CHECK(json{removed.body}.str("/issue/0/expression/0") == "Observation.status");
  const std::string fhirpath_delete =
    R"({"resourceType":"Parameters","parameter":[{"name":"operation","part":[)"
    R"({"name":"type","valueCode":"delete"},{"name":"path","valueString":"Observation.status"}]}]})";
  CHECK(patch(*c, "/Observation/patch-obs", fhirpath_delete,
              {{"Content-Type", "application/fhir+json"}}).status == 422);
  CHECK(patch(*c, "/Observation/patch-obs", R"([{"op":"add","path":"/valueFoo","value":1}])")
          .status == 422);
  auto read = c->get(base + "/Observation/patch-obs");
  CHECK(json{read.body}.str("/meta/versionId") == "1");
  CHECK(json{read.body}.str("/status") == "final");
}

TEST_CASE("PATCH: FHIRPath Patch, plain, conditional and in a transaction", "[e2e][patch]") {
  auto c = shared_node().client();
  const header_list fhir_json{{"Content-Type", "application/fhir+json"}};
  put(*c, "Patient", "fp-1",
      R"({"resourceType":"Patient","id":"fp-1","identifier":[{"system":"urn:fp","value":"1"}],)"
      R"("name":[{"family":"Before","given":["Ann","Bea"]}],"birthDate":"1970-01-01",)"
      R"("extension":[{"url":"http://example.org/w","valueDecimal":1.50}]})");
  const std::string ops =
    R"({"resourceType":"Parameters","parameter":[)"
    R"({"name":"operation","part":[{"name":"type","valueCode":"replace"},)"
    R"({"name":"path","valueString":"Patient.birthDate"},{"name":"value","valueDate":"1980-02-02"}]},)"
    R"({"name":"operation","part":[{"name":"type","valueCode":"delete"},)"
    R"~({"name":"path","valueString":"Patient.name.given.where($this = 'Bea')"}]},)~"
    R"({"name":"operation","part":[{"name":"type","valueCode":"add"},)"
    R"({"name":"path","valueString":"Patient"},{"name":"name","valueString":"telecom"},)"
    R"({"name":"value","valueContactPoint":{"system":"phone","value":"555-0100"}}]}]})";
  auto r = patch(*c, "/Patient/fp-1", ops, {{"Content-Type", "application/fhir+json"}, {"If-Match", "W/\"1\""}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  json p{r.body};
  CHECK(p.str("/meta/versionId") == "2");
  CHECK(p.str("/birthDate") == "1980-02-02");
  CHECK(p.count("/name/0/given") == 1);
  CHECK(p.str("/telecom/0/value") == "555-0100");
  CHECK(r.body.find("1.50") != std::string::npos); // untouched parts as written
  // Indexed like any update.
  CHECK(checked_search(*c, "Patient", {{"birthdate", "1980-02-02"}, {"_id", "fp-1"}}).matches.size() == 1);
  CHECK(checked_search(*c, "Patient", {{"phone", "555-0100"}}).matches.size() == 1);

  // An operation that does not apply changes nothing.
  const std::string bad =
    R"({"resourceType":"Parameters","parameter":[{"name":"operation","part":[)"
    R"({"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.gender"},)"
    R"({"name":"value","valueCode":"female"}]}]})";
  auto failed = patch(*c, "/Patient/fp-1", bad, fhir_json);
  CHECK(failed.status == 422);
  CHECK(json{failed.body}.str("/resourceType") == "OperationOutcome");
  CHECK(json{c->get(base + "/Patient/fp-1").body}.str("/meta/versionId") == "2");

  // Conditional, by identifier.
  const std::string gender =
    R"({"resourceType":"Parameters","parameter":[{"name":"operation","part":[)"
    R"({"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},)"
    R"({"name":"name","valueString":"gender"},{"name":"value","valueCode":"female"}]}]})";
  auto conditional = patch(*c, "/Patient?identifier=urn:fp|1", gender, fhir_json);
  REQUIRE(conditional.status == 200);
  CHECK(json{conditional.body}.str("/gender") == "female");

  // In a transaction, as a Parameters entry.
  const std::string family =
    R"({"resourceType":"Parameters","parameter":[{"name":"operation","part":[)"
    R"({"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.name.family"},)"
    R"({"name":"value","valueString":"After"}]}]})";
  auto tx = c->post(base, R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":)" +
                            family + R"(,"request":{"method":"PATCH","url":"Patient/fp-1"}}]})",
                    fhir_json);
  INFO(tx.body);
  REQUIRE(tx.status == 200);
  CHECK(json{tx.body}.str("/entry/0/response/etag") == "W/\"4\"");
  CHECK(json{c->get(base + "/Patient/fp-1").body}.str("/name/0/family") == "After");
}
