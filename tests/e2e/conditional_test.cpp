// Conditional create (If-None-Exist), update (PUT {type}?criteria) and
// delete (DELETE {type}?criteria): none, one and several matches, criteria
// the server cannot use, and concurrent conditional creates with the same
// criteria creating exactly one resource.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"
#include "tests/e2e/search_data.hpp"

using namespace e2e;
using namespace e2e::search_data;

namespace {

const header_list fhir_json{{"Content-Type", "application/fhir+json"}};

std::string patient(const std::string& mrn, const std::string& family) {
  return R"({"resourceType":"Patient","identifier":[{"system":"urn:cond","value":")" + mrn +
         R"("}],"name":[{"family":")" + family + R"("}]})";
}

std::string id_from_location(const http_response& r) {
  auto location = r.header("location").value_or("");
  auto path = target_of(location);
  auto start = path.find("/Patient/") + 9;
  return path.substr(start, path.find('/', start) - start);
}

id_set with_mrn(http_client& c, const std::string& mrn) {
  return checked_search(c, "Patient", {{"identifier", "urn:cond|" + mrn}}).match_set();
}

} // namespace

TEST_CASE("conditional create: none creates, one returns it, several fail", "[e2e][conditional]") {
  auto c = shared_node().client();
  auto headers = fhir_json;
  headers.emplace_back("If-None-Exist", "identifier=urn:cond|c-1");
  auto first = c->post(base + "/Patient", patient("c-1", "First"), headers);
  REQUIRE(first.status == 201);
  auto id = id_from_location(first);
  auto second = c->post(base + "/Patient", patient("c-1", "Second"), headers);
  CHECK(second.status == 200);
  CHECK(id_from_location(second) == id);
  CHECK(json{second.body}.str("/name/0/family") == "First"); // the existing one, unchanged
  CHECK(with_mrn(*c, "c-1") == ids({id}));

  // Two matches: 412, nothing created.
  REQUIRE(c->post(base + "/Patient", patient("c-2", "A"), fhir_json).status == 201);
  REQUIRE(c->post(base + "/Patient", patient("c-2", "B"), fhir_json).status == 201);
  auto many = fhir_json;
  many.emplace_back("If-None-Exist", "identifier=urn:cond|c-2");
  CHECK(c->post(base + "/Patient", patient("c-2", "C"), many).status == 412);
  CHECK(with_mrn(*c, "c-2").size() == 2);

  // Criteria the server cannot use are refused rather than widened.
  auto unknown = fhir_json;
  unknown.emplace_back("If-None-Exist", "no-such-param=1");
  CHECK(c->post(base + "/Patient", patient("c-3", "X"), unknown).status == 400);
  CHECK(with_mrn(*c, "c-3").empty());
}

TEST_CASE("conditional create: concurrent requests with the same criteria create one",
          "[e2e][conditional]") {
  auto& n = shared_node();
  constexpr int clients = 8;
  std::atomic<int> created{0}, found{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i)
    threads.emplace_back([&] {
      auto c = n.client();
      auto headers = fhir_json;
      headers.emplace_back("If-None-Exist", "identifier=urn:cond|race-1");
      auto r = c->post(base + "/Patient", patient("race-1", "Racer"), headers);
      (r.status == 201 ? created : r.status == 200 ? found : other)++;
    });
  for (auto& t : threads) t.join();
  CHECK(created == 1);
  CHECK(found == clients - 1);
  CHECK(other == 0);
  auto c = n.client();
  CHECK(with_mrn(*c, "race-1").size() == 1);
}

TEST_CASE("conditional update and delete", "[e2e][conditional]") {
  auto c = shared_node().client();
  // No match: created (with a new id, the body has none).
  auto created = c->put(base + "/Patient?identifier=urn:cond|u-1", patient("u-1", "Made"));
  REQUIRE(created.status == 201);
  auto id = id_from_location(created);
  // One match: updated in place.
  auto updated = c->put(base + "/Patient?identifier=urn:cond|u-1", patient("u-1", "Changed"));
  CHECK(updated.status == 200);
  CHECK(id_from_location(updated) == id);
  CHECK(updated.header("etag") == "W/\"2\"");
  CHECK(json{c->get(base + "/Patient/" + id).body}.str("/name/0/family") == "Changed");
  // A body id that is not the match's: 400 (R4 conditional update).
  auto wrong = R"({"resourceType":"Patient","id":"someone-else",)" +
               patient("u-1", "X").substr(std::string{R"({"resourceType":"Patient",)"}.size());
  CHECK(c->put(base + "/Patient?identifier=urn:cond|u-1", wrong).status == 400);

  // Delete: one match goes, none is fine, several are refused.
  CHECK(c->del(base + "/Patient?identifier=urn:cond|u-1").status == 204);
  CHECK(c->get(base + "/Patient/" + id).status == 410);
  CHECK(c->del(base + "/Patient?identifier=urn:cond|u-1").status == 204);
  REQUIRE(c->post(base + "/Patient", patient("d-2", "A"), fhir_json).status == 201);
  REQUIRE(c->post(base + "/Patient", patient("d-2", "B"), fhir_json).status == 201);
  auto several = c->del(base + "/Patient?identifier=urn:cond|d-2");
  CHECK(several.status == 412);
  CHECK(several.body.find("_count") != std::string::npos); // says how to delete several
  CHECK(with_mrn(*c, "d-2").size() == 2);
  CHECK(c->del(base + "/Patient").status == 400); // no criteria
}

TEST_CASE("conditional patch", "[e2e][conditional]") {
  auto c = shared_node().client();
  const header_list json_patch{{"Content-Type", "application/json-patch+json"}};
  REQUIRE(c->post(base + "/Patient", patient("p-1", "Patchme"), fhir_json).status == 201);
  auto r = c->request("PATCH", base + "/Patient?identifier=urn:cond|p-1",
                      R"([{"op":"add","path":"/gender","value":"other"}])", json_patch);
  INFO(r.body);
  CHECK(r.status == 200);
  CHECK(json{r.body}.str("/gender") == "other");
  CHECK(r.header("etag") == "W/\"2\"");
  CHECK(c->request("PATCH", base + "/Patient?identifier=urn:cond|p-none", "[]", json_patch)
          .status == 404);
  REQUIRE(c->post(base + "/Patient", patient("p-2", "A"), fhir_json).status == 201);
  REQUIRE(c->post(base + "/Patient", patient("p-2", "B"), fhir_json).status == 201);
  CHECK(c->request("PATCH", base + "/Patient?identifier=urn:cond|p-2", "[]", json_patch).status ==
        412);
}

TEST_CASE("conditional delete of several matches with _count", "[e2e][conditional]") {
  auto c = shared_node().client();
  for (auto family : {"A", "B", "C"})
    REQUIRE(c->post(base + "/Patient", patient("m-1", family), fhir_json).status == 201);
  CHECK(c->del(base + "/Patient?identifier=urn:cond|m-1&_count=2").status == 204);
  CHECK(with_mrn(*c, "m-1").size() == 1);
  CHECK(c->del(base + "/Patient?identifier=urn:cond|m-1&_count=10").status == 204);
  CHECK(with_mrn(*c, "m-1").empty());
}

TEST_CASE("conditional delete: _count beyond the maximum is refused, hardDelete combines",
          "[e2e][conditional]") {
  auto c = shared_node().client();
  for (auto family : {"A", "B"})
    REQUIRE(c->post(base + "/Patient", patient("m-2", family), fhir_json).status == 201);
  // More than --conditional-delete-max (100): refused, nothing deleted.
  auto over = c->del(base + "/Patient?identifier=urn:cond|m-2&_count=101");
  CHECK(over.status == 400);
  CHECK(over.body.find("at most 100") != std::string::npos);
  CHECK(with_mrn(*c, "m-2").size() == 2);

  // hardDelete is how, not what: the criteria still select, history goes.
  auto made = c->post(base + "/Patient", patient("h-1", "Hard"), fhir_json);
  REQUIRE(made.status == 201);
  auto id = id_from_location(made);
  CHECK(c->del(base + "/Patient?identifier=urn:cond|h-1&hardDelete=true").status == 204);
  CHECK(c->get(base + "/Patient/" + id).status == 404); // gone, not deleted (410)
  CHECK(c->get(base + "/Patient/" + id + "/_history/1").status == 404);
  CHECK(with_mrn(*c, "m-2").size() == 2); // the other criteria's matches stay
}

TEST_CASE("conditional update, patch and delete honour If-Match", "[e2e][conditional]") {
  auto c = shared_node().client();
  auto made = c->post(base + "/Patient", patient("im-1", "Match"), fhir_json);
  REQUIRE(made.status == 201);
  auto id = id_from_location(made);
  const auto criteria = base + "/Patient?identifier=urn:cond|im-1";
  auto stale = fhir_json;
  stale.emplace_back("If-Match", "W/\"9\"");
  CHECK(c->put(criteria, patient("im-1", "Lost"), stale).status == 412);
  auto stale_patch = stale;
  stale_patch[0].second = "application/json-patch+json";
  CHECK(c->request("PATCH", criteria, R"([{"op":"add","path":"/gender","value":"other"}])",
                   stale_patch)
          .status == 412);
  CHECK(c->del(criteria, {{"If-Match", "W/\"9\""}}).status == 412);
  CHECK(c->get(base + "/Patient/" + id).header("etag") == "W/\"1\""); // nothing written

  auto current = fhir_json;
  current.emplace_back("If-Match", "W/\"1\"");
  CHECK(c->put(criteria, patient("im-1", "Kept"), current).status == 200);
  // Several matches by _count: If-Match cannot name them all.
  CHECK(c->del(criteria + "&_count=5", {{"If-Match", "W/\"2\""}}).status == 400);
  CHECK(c->del(criteria, {{"If-Match", "W/\"2\""}}).status == 204);
  CHECK(c->get(base + "/Patient/" + id).status == 410);
  // No match: nothing the version could be.
  CHECK(c->del(criteria, {{"If-Match", "W/\"3\""}}).status == 412);
  CHECK(c->put(base + "/Patient?identifier=urn:cond|im-none", patient("im-none", "X"), current)
          .status == 412);
  CHECK(with_mrn(*c, "im-none").empty());
}

TEST_CASE("conditional interactions refuse criteria of result parameters alone",
          "[e2e][conditional]") {
  // _count, _sort, _summary… shape a result and select nothing: alone they
  // would match every resource of the type.
  auto c = shared_node().client();
  REQUIRE(c->post(base + "/Basic", R"({"resourceType":"Basic","code":{"text":"keep"}})", fhir_json)
            .status == 201);
  const header_list json_patch{{"Content-Type", "application/json-patch+json"}};
  CHECK(c->del(base + "/Basic?_count=5").status == 400);
  CHECK(c->del(base + "/Basic?_sort=_id&hardDelete=true").status == 400);
  CHECK(c->put(base + "/Basic?_count=1", R"({"resourceType":"Basic","code":{"text":"x"}})").status ==
        400);
  CHECK(c->request("PATCH", base + "/Basic?_count=1",
                   R"([{"op":"replace","path":"/code/text","value":"x"}])", json_patch)
          .status == 400);
  auto summary = fhir_json;
  summary.emplace_back("If-None-Exist", "_summary=count");
  CHECK(c->post(base + "/Basic", R"({"resourceType":"Basic","code":{"text":"y"}})", summary)
          .status == 400);
  auto kept = checked_search(*c, "Basic", {{"code:text", "keep"}});
  CHECK(kept.match_set().size() >= 1);
}
