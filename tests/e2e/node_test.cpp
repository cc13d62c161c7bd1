// Node endpoints: liveness, readiness, and what an unknown path answers.
#include <sched.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

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

// The server writes the head of a whole answer itself (http_server.cpp,
// serialize): its framing must hold for every kind of answer.
TEST_CASE("node: framing of answers on a kept-alive connection", "[e2e][node]") {
  auto c = shared_node().client();

  // HEAD: the length of the body GET would send, and no body, so the next
  // answer on the connection starts where it should.
  auto head = c->request("HEAD", "/healthz");
  CHECK(head.status == 200);
  auto get = c->get("/healthz");
  CHECK(get.status == 200);
  CHECK(head.header("content-length") == std::to_string(get.body.size()));
  CHECK(get.header("content-length") == std::to_string(get.body.size()));
  CHECK(get.header("server") == "Atrium");
  CHECK_FALSE(get.has_header("connection"));

  // 304 carries neither a body nor a length.
  auto created = c->post("/default/fhir/Patient", R"({"resourceType":"Patient"})");
  REQUIRE(created.status == 201);
  auto location = created.header("location").value_or("");
  auto path = location.substr(location.find("/default/fhir/"));
  path = path.substr(0, path.find("/_history"));
  auto etag = created.header("etag").value_or("");
  auto same = c->get(path, {{"If-None-Match", etag}});
  CHECK(same.status == 304);
  CHECK(same.body.empty());
  CHECK_FALSE(same.has_header("content-length"));
  CHECK(c->get(path).status == 200); // the connection is still in step

  // A client that asks to close is told so, and the server closes.
  auto last = c->raw("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(last.status == 200);
  CHECK(last.header("connection") == "close");
}

namespace {

/// The Linux scheduling policy of each of process pid's threads.
std::vector<int> thread_policies(pid_t pid) {
  std::vector<int> policies;
  for (const auto& task : std::filesystem::directory_iterator(
         "/proc/" + std::to_string(pid) + "/task"))
    policies.push_back(sched_getscheduler(std::stoi(task.path().filename().string())));
  return policies;
}

} // namespace

// node_config::thread_scheduling: set before the node starts any thread, so
// every one of them (io, CAF, storage writers, RocksDB's) has it.
TEST_CASE("node: its threads run under the configured Linux policy", "[e2e][node]") {
  auto batch = thread_policies(shared_node().pid());
  CHECK(batch.size() > 8);
  CHECK(std::count(batch.begin(), batch.end(), SCHED_BATCH) == std::ssize(batch));

  node normal{{"--thread-scheduling", "normal"}};
  auto others = thread_policies(normal.pid());
  CHECK(others.size() > 8);
  CHECK(std::count(others.begin(), others.end(), SCHED_OTHER) == std::ssize(others));
}
