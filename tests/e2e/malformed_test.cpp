// Bad input: each request is answered with an OperationOutcome and the right
// status, the node stays up, and nothing is stored. The tests write into a
// FHIR service of their own on the shared node, so its history counts only
// what they wrote.
#include <cstdio>
#include <string>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"

using namespace e2e;

namespace {

const std::string base = "/malformed/fhir";

void ensure_service(http_client& c) {
  const header_list json_body{{"Content-Type", "application/json"}};
  auto ws = c.request("PUT", "/workspaces/malformed", "{}", json_body);
  REQUIRE((ws.status == 200 || ws.status == 201));
  auto svc = c.request("PUT", "/workspaces/malformed/fhirservices/fhir", "{}", json_body);
  REQUIRE((svc.status == 200 || svc.status == 201));
}

/// How many versions the service holds (system history; well below _count).
std::size_t stored_versions(http_client& c) {
  auto res = c.get(base + "/_history?_count=1000");
  REQUIRE(res.status == 200);
  return json{res.body}.count("/entry");
}

void check_outcome(const http_response& res, int status) {
  INFO("status " << res.status << " body " << res.body);
  CHECK(res.status == status);
  CHECK(res.header("content-type").value_or("").starts_with("application/fhir+json"));
  json doc{res.body};
  CHECK(doc.str("/resourceType") == "OperationOutcome");
  CHECK(doc.str("/issue/0/severity") == "error");
  CHECK_FALSE(doc.str("/issue/0/code").empty());
}

} // namespace

TEST_CASE("malformed: bad requests get an OperationOutcome and change nothing",
          "[e2e][malformed]") {
  auto c = shared_node().client();
  ensure_service(*c);
  // One stored resource, so that updates of an existing id are covered too.
  auto seed = c->put(base + "/Patient/seed", R"({"resourceType":"Patient","id":"seed"})");
  REQUIRE((seed.status == 200 || seed.status == 201));
  auto versions = stored_versions(*c);

  struct bad_request {
    const char* what;
    std::string method;
    std::string target;
    std::string body;
    int status;
  };
  const std::string id65(65, 'a');
  const bad_request cases[] = {
    {"truncated JSON", "POST", "/Patient", R"({"resourceType":"Patient","name":[{"fam)", 400},
    {"truncated JSON on update", "PUT", "/Patient/seed", R"({"resourceType":"Patient","id":"se)",
     400},
    {"empty body", "POST", "/Patient", "", 400},
    {"a JSON array", "POST", "/Patient", R"([{"resourceType":"Patient"}])", 400},
    {"a JSON number", "POST", "/Patient", "42", 400},
    {"no resourceType", "POST", "/Patient", R"({"active":true})", 400},
    {"wrong resourceType", "POST", "/Patient", R"({"resourceType":"Observation"})", 400},
    {"a null element", "POST", "/Patient", R"({"resourceType":"Patient","active":null})", 400},
    {"a number beyond 64 bits", "POST", "/Observation",
     R"({"resourceType":"Observation","valueInteger":123456789012345678901})", 400},
    {"an empty array", "PUT", "/Patient/seed", R"({"resourceType":"Patient","id":"seed","name":[]})",
     400},
    {"wrong resourceType on update", "PUT", "/Patient/seed",
     R"({"resourceType":"Observation","id":"seed"})", 400},
    {"body id differs from URL id", "PUT", "/Patient/seed",
     R"({"resourceType":"Patient","id":"other"})", 400},
    {"65-character id", "PUT", "/Patient/" + id65,
     R"({"resourceType":"Patient","id":")" + id65 + "\"}", 400},
    {"id with '_'", "PUT", "/Patient/bad_id", R"({"resourceType":"Patient","id":"bad_id"})", 400},
    {"id with '!'", "PUT", "/Patient/bad!id", R"({"resourceType":"Patient","id":"bad!id"})", 400},
    {"non-UTF-8 bytes in a string", "POST", "/Patient",
     "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"\xff\xfe\xc3\"}]}", 400},
    {"non-UTF-8 bytes on update", "PUT", "/Patient/seed",
     "{\"resourceType\":\"Patient\",\"id\":\"seed\",\"gender\":\"\xc0\xaf\"}", 400},
    {"unknown resource type", "POST", "/Foo", R"({"resourceType":"Foo"})", 404},
    {"unknown resource type on update", "PUT", "/Foo/x1", R"({"resourceType":"Foo","id":"x1"})",
     404},
    {"JSON Patch that is not an array", "PATCH", "/Patient/seed", R"({"op":"remove"})", 400},
    {"JSON Patch of a path that does not exist", "PATCH", "/Patient/seed",
     R"([{"op":"remove","path":"/nope"}])", 422},
    {"JSON Patch that changes the id", "PATCH", "/Patient/seed",
     R"([{"op":"replace","path":"/id","value":"other"}])", 422},
    {"POST to an instance", "POST", "/Patient/seed", R"({"resourceType":"Patient"})", 405},
    // R4's structure: elements of the type, cardinality, primitives, required elements.
    {"an element Patient does not have", "POST", "/Patient",
     R"({"resourceType":"Patient","nickname":"Jo"})", 400},
    {"a repeating element not in an array", "PUT", "/Patient/seed",
     R"({"resourceType":"Patient","id":"seed","name":{"family":"Doe"}})", 400},
    {"a date that is no day", "POST", "/Patient",
     R"({"resourceType":"Patient","birthDate":"1970-02-30"})", 400},
    {"a boolean written as a string", "POST", "/Patient",
     R"({"resourceType":"Patient","active":"true"})", 400},
    {"a required element missing", "POST", "/Observation",
     R"({"resourceType":"Observation","code":{"text":"x"}})", 400},
    {"a contained resource missing a required element", "POST", "/Patient",
     R"({"resourceType":"Patient","contained":[{"resourceType":"Observation","status":"final"}]})",
     400},
    {"a choice of a type it does not allow", "POST", "/Patient",
     R"({"resourceType":"Patient","deceasedString":"yes"})", 400},
    {"JSON Patch that adds an element Patient does not have", "PATCH", "/Patient/seed",
     R"([{"op":"add","path":"/nickname","value":"Jo"}])", 422},
    {"JSON Patch that makes gender a number", "PATCH", "/Patient/seed",
     R"([{"op":"add","path":"/gender","value":7}])", 422},
  };
  for (auto& bad : cases) {
    INFO(bad.what << ": " << bad.method << " " << bad.target);
    header_list headers;
    if (bad.method != "GET")
      headers.emplace_back("Content-Type", bad.method == "PATCH" ? "application/json-patch+json"
                                                                  : "application/fhir+json");
    auto res = c->request(bad.method, base + bad.target, bad.body, headers);
    check_outcome(res, bad.status);
    CHECK(stored_versions(*c) == versions);
  }

  // A structure error names the element in the OperationOutcome.
  auto missing = c->post(base + "/Observation", R"({"resourceType":"Observation","code":{"text":"x"}})");
  CHECK(json{missing.body}.str("/issue/0/expression/0") == "Observation.status");
  CHECK(json{missing.body}.str("/issue/0/diagnostics").find("Observation.status") != std::string::npos);

  // Reads of bad ids and types are refused in the same way.
  check_outcome(c->get(base + "/Patient/" + id65), 400);
  check_outcome(c->get(base + "/Patient/bad_id"), 400);
  check_outcome(c->get(base + "/Patient/bad!id"), 400);
  check_outcome(c->get(base + "/Foo/1"), 404);
  check_outcome(c->get(base + "/Foo"), 404);
  // Malformed search values are refused, at type and system level.
  check_outcome(c->get(base + "/Patient?birthdate=not-a-date"), 400);
  check_outcome(c->get(base + "/Patient?_count=abc"), 400);
  check_outcome(c->get(base + "/Patient?gender:exact=male"), 400);
  check_outcome(c->get(base + "/?_type=Patient&_lastUpdated=yesterday"), 400);

  // The seed is untouched and the node still serves.
  auto read = c->get(base + "/Patient/seed");
  REQUIRE(read.status == 200);
  CHECK(read.body == seed.body);
  CHECK(c->get("/healthz").status == 200);

  // The edges of the id rule are accepted.
  const std::string id64(64, 'b');
  auto longest = c->put(base + "/Patient/" + id64,
                        R"({"resourceType":"Patient","id":")" + id64 + "\"}");
  CHECK(longest.status == 201);
  auto dotted = c->put(base + "/Patient/A-1.z", R"({"resourceType":"Patient","id":"A-1.z"})");
  CHECK(dotted.status == 201);
  CHECK(stored_versions(*c) == versions + 2);
}

TEST_CASE("malformed: a body over the limit is answered with 413", "[e2e][malformed]") {
  node n{{"--body-limit", "2048"}};
  auto c = n.client();
  auto history = [&] {
    auto res = c->get("/default/fhir/_history?_count=1000");
    REQUIRE(res.status == 200);
    return json{res.body}.count("/entry");
  };

  // A valid resource padded past the limit with a long string.
  std::string big = R"({"resourceType":"Patient","text":{"status":"generated","div":")" +
                    std::string(4096, 'x') + "\"}}";
  auto res = c->post("/default/fhir/Patient", big);
  check_outcome(res, 413);
  CHECK(history() == 0);

  auto upd = c->put("/default/fhir/Patient/big1",
                    R"({"resourceType":"Patient","id":"big1","text":{"div":")" +
                      std::string(4096, 'x') + "\"}}");
  check_outcome(upd, 413);
  CHECK(history() == 0);

  // Without a Content-Length (chunked) the limit holds while reading.
  c = n.client();
  std::string chunked = "POST /default/fhir/Patient HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Content-Type: application/fhir+json\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n" +
                        chunked_body(big, 1024);
  check_outcome(c->raw(chunked), 413);
  CHECK(history() == 0);

  // Under the limit is fine, on a new connection (the server may close the
  // one that carried the oversized body).
  c = n.client();
  CHECK(c->post("/default/fhir/Patient", R"({"resourceType":"Patient"})").status == 201);
  CHECK(history() == 1);
}

TEST_CASE("malformed: a request with two Host lines is refused; other fields keep their first",
          "[e2e][malformed]") {
  auto c = shared_node().client();
  CHECK(c->get("/healthz", {{"Host", "elsewhere:1"}}).status == 400); // the client sends one too
  // A single-valued field on two lines: the first counts (If-None-Exist is
  // no list, and joining would change its criteria).
  auto r = c->post(base + "/Patient", R"({"resourceType":"Patient","active":true})",
                   {{"Content-Type", "application/fhir+json"}, {"Content-Type", "text/plain"}});
  CHECK(r.status == 201);
}
