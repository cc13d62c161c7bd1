// The FHIR resource lifecycle on the default service: capability statement,
// create, read, update (and update-as-create), vread, If-Match, delete,
// Prefer, and content negotiation.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"

using namespace e2e;

namespace {

const std::string base = "/default/fhir";

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool is_error_outcome(const http_response& res) {
  json doc{res.body};
  return doc.str("/resourceType") == "OperationOutcome" &&
         doc.str("/issue/0/severity") == "error";
}

} // namespace

TEST_CASE("lifecycle: the capability statement says what this build does", "[e2e][lifecycle]") {
  auto c = shared_node().client();
  auto res = c->get(base + "/metadata");
  REQUIRE(res.status == 200);
  CHECK(res.header("content-type").value_or("").starts_with("application/fhir+json"));
  json cs{res.body};
  CHECK(cs.str("/resourceType") == "CapabilityStatement");
  CHECK(cs.str("/fhirVersion") == "4.0.1");
  CHECK(cs.str("/patchFormat/0") == "application/json-patch+json");

  bool found = false;
  for (std::size_t i = 0; i < cs.count("/rest/0/resource"); ++i) {
    auto at = "/rest/0/resource/" + std::to_string(i);
    if (cs.str(at + "/type") != "Patient")
      continue;
    found = true;
    bool read = false, search = false;
    for (std::size_t k = 0; k < cs.count(at + "/interaction"); ++k) {
      auto code = cs.str(at + "/interaction/" + std::to_string(k) + "/code");
      read |= code == "read";
      search |= code == "search-type";
    }
    CHECK(read);
    CHECK(search);
    // What reads, _include and PATCH take is said too.
    CHECK(cs.str(at + "/conditionalRead") == "full-support");
    CHECK(cs.str(at + "/searchInclude/0") == "*");
    CHECK(cs.str(at + "/searchRevInclude/0") == "*");
    // Its search parameters are listed, and only the kinds the index serves.
    bool birthdate = false;
    for (std::size_t k = 0; k < cs.count(at + "/searchParam"); ++k) {
      auto sp = at + "/searchParam/" + std::to_string(k);
      birthdate |= cs.str(sp + "/name") == "birthdate" && cs.str(sp + "/type") == "date";
      CHECK(cs.str(sp + "/type") != "composite");
    }
    CHECK(birthdate);
  }
  CHECK(found);

  // An operation on its way answers 501; one nobody defined is unknown.
  CHECK(c->get(base + "/Patient/p1/$everything").status == 501);
  auto unknown = c->get(base + "/Patient/p1/$no-such-operation");
  CHECK(unknown.status == 404);
  CHECK(unknown.body.find("$no-such-operation") != std::string::npos);
}

TEST_CASE("lifecycle: create, read, update, vread, If-Match, delete", "[e2e][lifecycle]") {
  auto c = shared_node().client();

  // Create: the server picks the id and ignores one in the body.
  auto created = c->post(base + "/Patient",
                         R"({"resourceType":"Patient","id":"client-chosen","active":true})");
  REQUIRE(created.status == 201);
  json body1{created.body};
  auto id = body1.str("/id");
  REQUIRE_FALSE(id.empty());
  CHECK(id != "client-chosen");
  CHECK(body1.str("/resourceType") == "Patient");
  CHECK(body1.str("/meta/versionId") == "1");
  CHECK_FALSE(body1.str("/meta/lastUpdated").empty());
  CHECK(body1.root()["active"].get_bool().value_unsafe() == true);
  CHECK(ends_with(created.header("location").value_or(""),
                  base + "/Patient/" + id + "/_history/1"));
  CHECK(created.header("etag") == std::optional<std::string>{"W/\"1\""});
  CHECK(created.has_header("last-modified"));
  CHECK(c->get(base + "/Patient/client-chosen").status == 404);

  // Read serves what create returned.
  auto read = c->get(base + "/Patient/" + id);
  REQUIRE(read.status == 200);
  CHECK(read.body == created.body);
  CHECK(read.header("etag") == std::optional<std::string>{"W/\"1\""});
  CHECK(read.has_header("last-modified"));

  // Update: version 2.
  auto updated = c->put(base + "/Patient/" + id,
                        R"({"resourceType":"Patient","id":")" + id + R"(","active":false})");
  REQUIRE(updated.status == 200);
  json body2{updated.body};
  CHECK(body2.str("/meta/versionId") == "2");
  CHECK(updated.header("etag") == std::optional<std::string>{"W/\"2\""});
  CHECK(ends_with(updated.header("location").value_or(""),
                  base + "/Patient/" + id + "/_history/2"));

  // vread: each version as it was.
  auto v1 = c->get(base + "/Patient/" + id + "/_history/1");
  REQUIRE(v1.status == 200);
  CHECK(json{v1.body}.str("/meta/versionId") == "1");
  CHECK(v1.body == created.body);
  auto v2 = c->get(base + "/Patient/" + id + "/_history/2");
  REQUIRE(v2.status == 200);
  CHECK(json{v2.body}.str("/meta/versionId") == "2");
  CHECK(v2.body == updated.body);
  CHECK(c->get(base + "/Patient/" + id + "/_history/9").status == 404);

  // If-Match: a stale version is refused and nothing changes.
  std::string v3_body = R"({"resourceType":"Patient","id":")" + id + R"(","gender":"other"})";
  auto stale = c->put(base + "/Patient/" + id, v3_body, {{"If-Match", "W/\"1\""}});
  CHECK(stale.status == 412);
  CHECK(is_error_outcome(stale));
  CHECK(c->get(base + "/Patient/" + id).header("etag") == std::optional<std::string>{"W/\"2\""});
  auto fresh = c->put(base + "/Patient/" + id, v3_body, {{"If-Match", "W/\"2\""}});
  CHECK(fresh.status == 200);
  CHECK(fresh.header("etag") == std::optional<std::string>{"W/\"3\""});

  // Delete is soft: reads answer 410, history keeps it, a second delete is a no-op.
  CHECK(c->del(base + "/Patient/" + id).status == 204);
  auto gone = c->get(base + "/Patient/" + id);
  CHECK(gone.status == 410);
  CHECK(is_error_outcome(gone));
  CHECK(c->del(base + "/Patient/" + id).status == 204);

  auto history = c->get(base + "/Patient/" + id + "/_history");
  REQUIRE(history.status == 200);
  json h{history.body};
  CHECK(h.str("/type") == "history");
  REQUIRE(h.count("/entry") == 4);
  CHECK(h.str("/entry/0/request/method") == "DELETE");
  CHECK_FALSE(h.has("/entry/0/resource"));
  CHECK(h.str("/entry/1/resource/meta/versionId") == "3");
  CHECK(c->get(base + "/Patient/" + id + "/_history/4").status == 410);
  CHECK(c->get(base + "/Patient/" + id + "/_history/3").status == 200);

  // Writing after a delete brings it back, at the next version.
  auto revived = c->put(base + "/Patient/" + id,
                        R"({"resourceType":"Patient","id":")" + id + R"("})");
  CHECK(revived.status == 201);
  CHECK(json{revived.body}.str("/meta/versionId") == "5");
  CHECK(c->get(base + "/Patient/" + id).status == 200);
}

TEST_CASE("lifecycle: update with a new client id creates", "[e2e][lifecycle]") {
  auto c = shared_node().client();
  auto res = c->put(base + "/Observation/lc-client-id-1",
                    R"({"resourceType":"Observation","id":"lc-client-id-1","status":"final",)"
                    R"("code":{"text":"x"}})");
  REQUIRE(res.status == 201);
  CHECK(json{res.body}.str("/meta/versionId") == "1");
  CHECK(ends_with(res.header("location").value_or(""),
                  base + "/Observation/lc-client-id-1/_history/1"));
  auto read = c->get(base + "/Observation/lc-client-id-1");
  CHECK(read.status == 200);
  CHECK(json{read.body}.str("/id") == "lc-client-id-1");
}

TEST_CASE("lifecycle: Prefer chooses what a write answers", "[e2e][lifecycle]") {
  auto c = shared_node().client();

  auto minimal = c->post(base + "/Patient", R"({"resourceType":"Patient"})",
                         {{"Prefer", "return=minimal"}});
  REQUIRE(minimal.status == 201);
  CHECK(minimal.body.empty());
  CHECK(minimal.has_header("location"));
  CHECK(minimal.header("etag") == std::optional<std::string>{"W/\"1\""});

  auto outcome = c->post(base + "/Patient", R"({"resourceType":"Patient"})",
                         {{"Prefer", "return=OperationOutcome"}});
  REQUIRE(outcome.status == 201);
  CHECK(outcome.has_header("location"));
  CHECK(json{outcome.body}.str("/resourceType") == "OperationOutcome");

  auto representation = c->post(base + "/Patient", R"({"resourceType":"Patient"})",
                                {{"Prefer", "return=representation"}});
  REQUIRE(representation.status == 201);
  CHECK(json{representation.body}.str("/resourceType") == "Patient");

  // Updates honour it too.
  auto target = target_of(minimal.header("location").value_or(""));
  auto id_start = target.find("/Patient/") + 9;
  auto id = target.substr(id_start, target.find('/', id_start) - id_start);
  auto upd = c->put(base + "/Patient/" + id, R"({"resourceType":"Patient","id":")" + id + "\"}",
                    {{"Prefer", "return=minimal"}});
  CHECK(upd.status == 200);
  CHECK(upd.body.empty());
  CHECK(upd.header("etag") == std::optional<std::string>{"W/\"2\""});
}

TEST_CASE("lifecycle: content negotiation is JSON only", "[e2e][lifecycle][formats]") {
  auto c = shared_node().client();
  auto xml = c->get(base + "/metadata", {{"Accept", "application/fhir+xml"}});
  CHECK(xml.status == 406);
  CHECK(is_error_outcome(xml));
  CHECK(c->get(base + "/metadata?_format=xml").status == 406);
  CHECK(c->get(base + "/metadata?_format=json").status == 200);
  CHECK(c->get(base + "/metadata", {{"Accept", "application/json"}}).status == 200);
  CHECK(c->get(base + "/metadata", {{"Accept", "application/fhir+json"}}).status == 200);

  auto text = c->post(base + "/Patient", R"({"resourceType":"Patient"})",
                      {{"Content-Type", "text/plain"}});
  CHECK(text.status == 415);
  CHECK(is_error_outcome(text));
  auto plain_json = c->post(base + "/Patient", R"({"resourceType":"Patient"})",
                            {{"Content-Type", "application/json"}});
  CHECK(plain_json.status == 201);
}

TEST_CASE("lifecycle: concurrent conditional updates, exactly one wins", "[e2e][lifecycle]") {
  // Writes to one resource are serialised by its owner, so of many updates
  // made against the same version only one may succeed.
  auto& n = shared_node();
  auto c = n.client();
  const std::string target = base + "/Patient/lc-race";
  REQUIRE(c->put(target, R"({"resourceType":"Patient","id":"lc-race"})").status == 201);

  constexpr int racers = 8;
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < racers; ++i)
    threads.emplace_back([&, i] {
      try {
        http_client mine{n.port()};
        auto res = mine.put(target,
                            R"({"resourceType":"Patient","id":"lc-race","gender":")" +
                              std::string{i % 2 ? "male" : "female"} + "\"}",
                            {{"If-Match", "W/\"1\""}});
        (res.status == 200 ? ok : res.status == 412 ? refused : other)++;
      } catch (const std::exception&) {
        other++;
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(ok == 1);
  CHECK(refused == racers - 1);
  CHECK(other == 0);
  CHECK(c->get(target).header("etag") == std::optional<std::string>{"W/\"2\""});
}
