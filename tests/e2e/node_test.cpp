// Node endpoints: liveness, readiness, and what an unknown path answers.
#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"

using namespace e2e;

TEST_CASE("node: health, readiness and unknown paths", "[e2e][node]") {
  auto c = shared_node().client();

  auto health = c->get("/healthz");
  CHECK(health.status == 200);

  auto ready = c->get("/readyz");
  CHECK(ready.status == 200);

  // Not FHIR, not management: the node's own error format.
  auto missing = c->get("/no/such/thing/here");
  CHECK(missing.status == 404);
  CHECK(missing.header("content-type").value_or("").starts_with("application/problem+json"));
  json problem{missing.body};
  CHECK(problem.num("/status") == 404);

  auto single = c->get("/nothing");
  CHECK(single.status == 404);
  CHECK(single.header("content-type").value_or("").starts_with("application/problem+json"));
}
