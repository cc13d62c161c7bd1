// PATCH with a JSON Patch document: the current version patched and stored
// as a new one, If-Match, the patched resource indexed for search, errors;
// FHIRPath Patch answers 501 until it is built.
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
  auto fhirpath = patch(*c, "/Patient/patch-2",
                        R"({"resourceType":"Parameters","parameter":[]})",
                        {{"Content-Type", "application/fhir+json"}});
  CHECK(fhirpath.status == 501);
  CHECK(patch(*c, "/Patient/patch-2", "[]", {{"Content-Type", "text/plain"}}).status == 415);
  CHECK(patch(*c, "/Patient/patch-2", R"([{"op":"replace","path":"/resourceType","value":"Group"}])")
          .status == 422);
  auto cap = c->get(base + "/metadata");
  CHECK(cap.body.find("\"patch\"") != std::string::npos);
}
