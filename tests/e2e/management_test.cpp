// The management API (workspaces and their services, after Azure's resource
// model), its validation and conflicts, and that it persists across restarts.
#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"

using namespace e2e;

namespace {

const header_list json_body{{"Content-Type", "application/json"}};

/// The "name" of every item in a management list ({"value":[…]}).
std::vector<std::string> names_in(const http_response& res) {
  json doc{res.body};
  std::vector<std::string> names;
  for (std::size_t i = 0; i < doc.count("/value"); ++i)
    names.push_back(doc.str("/value/" + std::to_string(i) + "/name"));
  return names;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool is_problem(const http_response& res) {
  return res.header("content-type").value_or("").starts_with("application/problem+json");
}

} // namespace

TEST_CASE("management: workspaces and services", "[e2e][management]") {
  node n;
  auto c = n.client();

  // The embedded default exists on first start.
  auto list = c->get("/workspaces");
  REQUIRE(list.status == 200);
  CHECK(contains(names_in(list), "default"));

  // PUT creates, then updates in place.
  CHECK(c->request("PUT", "/workspaces/ws1", "{}", json_body).status == 201);
  CHECK(c->request("PUT", "/workspaces/ws1", "{}", json_body).status == 200);
  CHECK(contains(names_in(c->get("/workspaces")), "ws1"));

  // Names: lowercase letters, digits, hyphens, 3 to 24 characters, not reserved.
  for (const std::string& bad : std::vector<std::string>{"Upper", "ab", std::string(25, 'a'),
                                                        "has_underscore", "-lead", "healthz"}) {
    INFO("workspace name '" << bad << "'");
    auto res = c->request("PUT", "/workspaces/" + bad, "{}", json_body);
    CHECK(res.status == 400);
    CHECK(is_problem(res));
  }
  // The boundaries themselves are fine.
  CHECK(c->request("PUT", "/workspaces/abc", "{}", json_body).status == 201);
  CHECK(c->request("PUT", "/workspaces/" + std::string(24, 'b'), "{}", json_body).status == 201);

  // A FHIR service, and its data plane.
  CHECK(c->request("PUT", "/workspaces/ws1/fhirservices/fhir2", "{}", json_body).status == 201);
  auto meta = c->get("/ws1/fhir2/metadata");
  CHECK(meta.status == 200);
  CHECK(json{meta.body}.str("/resourceType") == "CapabilityStatement");

  // Service names are unique within a workspace across kinds.
  auto clash = c->request("PUT", "/workspaces/ws1/dicomservices/fhir2", "{}", json_body);
  CHECK(clash.status == 409);
  CHECK(is_problem(clash));

  auto services = c->get("/workspaces/ws1/fhirservices");
  REQUIRE(services.status == 200);
  CHECK(names_in(services) == std::vector<std::string>{"fhir2"});
  CHECK(c->get("/workspaces/ws1/fhirservices/fhir2").status == 200);
  CHECK(names_in(c->get("/workspaces/ws1/dicomservices")).empty());

  // No workspace, no service.
  auto orphan = c->request("PUT", "/workspaces/nows/fhirservices/fhir", "{}", json_body);
  CHECK(orphan.status == 404);
  CHECK(is_problem(orphan));

  // A workspace with services is only deleted when asked explicitly.
  auto refused = c->del("/workspaces/ws1");
  CHECK(refused.status == 409);
  CHECK(is_problem(refused));

  // Data written into the new service, to see it survive a restart.
  auto put = c->put("/ws1/fhir2/Patient/keep-me",
                    R"({"resourceType":"Patient","id":"keep-me"})");
  REQUIRE(put.status == 201);

  c.reset();
  REQUIRE(n.stop() == 0);
  n.start();
  c = n.client();

  CHECK(contains(names_in(c->get("/workspaces")), "ws1"));
  CHECK(names_in(c->get("/workspaces/ws1/fhirservices")) == std::vector<std::string>{"fhir2"});
  CHECK(c->get("/ws1/fhir2/metadata").status == 200);
  CHECK(c->get("/ws1/fhir2/Patient/keep-me").status == 200);

  // Cascade removes the workspace, its services and their data.
  CHECK(c->del("/workspaces/ws1?cascade=true").status == 204);
  CHECK(c->get("/ws1/fhir2/metadata").status == 404);
  CHECK(c->get("/workspaces/ws1").status == 404);
  CHECK_FALSE(contains(names_in(c->get("/workspaces")), "ws1"));

  // A workspace and service of the same names start empty: nothing of the
  // old service's data leaks into the new one.
  CHECK(c->request("PUT", "/workspaces/ws1", "{}", json_body).status == 201);
  CHECK(c->request("PUT", "/workspaces/ws1/fhirservices/fhir2", "{}", json_body).status == 201);
  CHECK(c->get("/ws1/fhir2/Patient/keep-me").status == 404);
  CHECK(c->del("/workspaces/ws1?cascade=true").status == 204);

  // The deletion is durable too.
  c.reset();
  REQUIRE(n.stop() == 0);
  n.start();
  c = n.client();
  CHECK(c->get("/workspaces/ws1").status == 404);
  CHECK(c->get("/ws1/fhir2/metadata").status == 404);
  CHECK(contains(names_in(c->get("/workspaces")), "abc"));
}

TEST_CASE("management: the IoT connector and unbuilt DICOM parts answer 501", "[e2e][management]") {
  auto c = shared_node().client();
  for (auto target : {"/default/dicom/v2/workitems", "/default/iot/messages"}) {
    INFO(target);
    auto res = c->get(target);
    CHECK(res.status == 501);
    CHECK(res.header("content-type").value_or("").find("json") != std::string::npos);
    json body{res.body};
    CHECK(body.num("/status") == 501);
    CHECK_FALSE(body.str("/detail").empty());
  }
}

TEST_CASE("management: a deleted default workspace stays deleted", "[e2e][management]") {
  node n;
  auto c = n.client();
  CHECK(c->get("/default/fhir/metadata").status == 200);
  CHECK(c->del("/workspaces/default").status == 409);
  CHECK(c->del("/workspaces/default?cascade=true").status == 204);
  CHECK(c->get("/default/fhir/metadata").status == 404);

  c.reset();
  REQUIRE(n.stop() == 0);
  n.start();
  c = n.client();
  // The bootstrap runs once per data dir, not once per start.
  CHECK_FALSE(contains(names_in(c->get("/workspaces")), "default"));
  CHECK(c->get("/workspaces/default").status == 404);
  CHECK(c->get("/default/fhir/metadata").status == 404);
}
