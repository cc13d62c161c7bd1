// DELETE ?hardDelete=true removes a resource with its whole history and its
// index entries; $purge-history removes every version but the current one.
#include <string>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"
#include "tests/e2e/search_data.hpp"

using namespace e2e;
using namespace e2e::search_data;

namespace {

std::string patient(const std::string& id, const std::string& family) {
  return R"({"resourceType":"Patient","id":")" + id + R"(","name":[{"family":")" + family + R"("}]})";
}

std::size_t history_entries(http_client& c, const std::string& target) {
  auto r = c.get(base + target);
  REQUIRE(r.status == 200);
  return json{r.body}.count("/entry");
}

} // namespace

TEST_CASE("DELETE ?hardDelete=true leaves no trace of the resource", "[e2e][delete]") {
  auto c = shared_node().client();
  put(*c, "Patient", "hard-1", patient("hard-1", "Hardcase"));
  put(*c, "Patient", "hard-1", patient("hard-1", "Hardercase"));
  REQUIRE(history_entries(*c, "/Patient/hard-1/_history") == 2);
  auto type_history_before = history_entries(*c, "/Patient/_history?_count=1000");

  auto r = c->del(base + "/Patient/hard-1?hardDelete=true");
  CHECK(r.status == 204);
  CHECK(c->get(base + "/Patient/hard-1").status == 404); // gone for good, not 410
  CHECK(c->get(base + "/Patient/hard-1/_history/1").status == 404);
  CHECK(history_entries(*c, "/Patient/_history?_count=1000") == type_history_before - 2);
  CHECK(checked_search(*c, "Patient", {{"family", "hardercase"}}).match_set().empty());
  CHECK(checked_search(*c, "Patient", {{"_id", "hard-1"}}).match_set().empty());
  // Azure's boolean binding: any case; anything else is refused, not
  // taken for a soft delete.
  put(*c, "Patient", "hard-case", patient("hard-case", "Anycase"));
  CHECK(c->del(base + "/Patient/hard-case?hardDelete=yes").status == 400);
  CHECK(c->del(base + "/Patient/hard-case?hardDelete=TRUE").status == 204);
  CHECK(c->get(base + "/Patient/hard-case/_history/1").status == 404);
  // Again: nothing to do, the same answer.
  CHECK(c->del(base + "/Patient/hard-1?hardDelete=true").status == 204);
  // The id can be used again, from version 1.
  auto again = c->put(base + "/Patient/hard-1", patient("hard-1", "Fresh"));
  CHECK(again.status == 201);
  CHECK(again.header("etag") == "W/\"1\"");
  CHECK(history_entries(*c, "/Patient/hard-1/_history") == 1);
}

// Its only version is the current one, which is not in the history column.
TEST_CASE("DELETE ?hardDelete=true of a resource with one version", "[e2e][delete]") {
  auto c = shared_node().client();
  put(*c, "Patient", "hard-one", patient("hard-one", "Onlyonce"));
  auto type_history_before = history_entries(*c, "/Patient/_history?_count=1000");
  CHECK(c->del(base + "/Patient/hard-one?hardDelete=true").status == 204);
  CHECK(c->get(base + "/Patient/hard-one").status == 404);
  CHECK(c->get(base + "/Patient/hard-one/_history/1").status == 404);
  CHECK(c->get(base + "/Patient/hard-one/_history").status == 404);
  CHECK(history_entries(*c, "/Patient/_history?_count=1000") == type_history_before - 1);
  CHECK(checked_search(*c, "Patient", {{"family", "onlyonce"}}).match_set().empty());
}

TEST_CASE("$purge-history keeps only the current version", "[e2e][delete]") {
  auto c = shared_node().client();
  put(*c, "Patient", "purge-1", patient("purge-1", "Purgeone"));
  put(*c, "Patient", "purge-1", patient("purge-1", "Purgetwo"));
  put(*c, "Patient", "purge-1", patient("purge-1", "Purgethree"));
  CHECK(c->del(base + "/Patient/purge-1/$purge-history").status == 204);
  CHECK(history_entries(*c, "/Patient/purge-1/_history") == 1);
  CHECK(c->get(base + "/Patient/purge-1/_history/1").status == 404);
  CHECK(c->get(base + "/Patient/purge-1/_history/3").status == 200);
  auto current = c->get(base + "/Patient/purge-1");
  CHECK(current.status == 200);
  CHECK(current.header("etag") == "W/\"3\"");
  CHECK(checked_search(*c, "Patient", {{"family", "purgethree"}}).match_set() == ids({"purge-1"}));
  // The next version follows the current one.
  auto next = c->put(base + "/Patient/purge-1", patient("purge-1", "Purgefour"));
  CHECK(next.header("etag") == "W/\"4\"");
  CHECK(c->del(base + "/Patient/purge-none/$purge-history").status == 404);
  CHECK(c->get(base + "/Patient/purge-1/$purge-history").status == 405);
}

namespace {

std::string bundle_of(const std::string& type, const std::string& entries) {
  return R"({"resourceType":"Bundle","type":")" + type + R"(","entry":[)" + entries + "]}";
}

std::string delete_entry(const std::string& url) {
  return R"({"request":{"method":"DELETE","url":")" + url + R"("}})";
}

const header_list fhir_json{{"Content-Type", "application/fhir+json"}};

} // namespace

TEST_CASE("hardDelete in a transaction removes history atomically", "[e2e][delete][transaction]") {
  auto c = shared_node().client();
  put(*c, "Patient", "hard-t1", patient("hard-t1", "Txhardone"));
  put(*c, "Patient", "hard-t1", patient("hard-t1", "Txhardone"));
  put(*c, "Patient", "hard-t2",
      R"({"resourceType":"Patient","id":"hard-t2","identifier":[{"system":"urn:hard","value":"t2"}],)"
      R"("name":[{"family":"Txhardtwo"}]})");
  put(*c, "Patient", "hard-t3", patient("hard-t3", "Txsoftthree"));
  const auto type_history_before = history_entries(*c, "/Patient/_history?_count=1000");

  { // a failing entry leaves every version in place
    auto tx = c->post(base,
                      bundle_of("transaction",
                                delete_entry("Patient/hard-t1?hardDelete=true") + "," +
                                  R"({"request":{"method":"PUT","url":"Patient/hard-t9"},)"
                                  R"("resource":{"resourceType":"Patient","id":"other"}})"),
                      fhir_json);
    CHECK(tx.status == 400);
    CHECK(history_entries(*c, "/Patient/hard-t1/_history") == 2);
    CHECK(c->get(base + "/Patient/hard-t1").status == 200);
    CHECK(checked_search(*c, "Patient", {{"family", "txhardone"}}).match_set() == ids({"hard-t1"}));
  }

  { // by id and by criteria; hardDelete=false is a soft delete
    auto tx = c->post(base,
                      bundle_of("transaction",
                                delete_entry("Patient/hard-t1?hardDelete=true") + "," +
                                  delete_entry("Patient?identifier=urn:hard%7Ct2&hardDelete=true") +
                                  "," + delete_entry("Patient/hard-t3?hardDelete=false") + "," +
                                  delete_entry("Patient/hard-absent?hardDelete=true")),
                      fhir_json);
    REQUIRE(tx.status == 200);
    json body{tx.body};
    for (int k = 0; k < 4; ++k) {
      CAPTURE(k);
      CHECK(body.str("/entry/" + std::to_string(k) + "/response/status").starts_with("204"));
    }
    CHECK(body.count("/entry/0/response/etag") == 0); // no version is left to tag
    CHECK(c->get(base + "/Patient/hard-t1").status == 404);
    CHECK(c->get(base + "/Patient/hard-t1/_history/1").status == 404);
    CHECK(c->get(base + "/Patient/hard-t2").status == 404);
    CHECK(c->get(base + "/Patient/hard-t3").status == 410);
    // hard-t1's two versions and hard-t2's one are gone; hard-t3 gained its deletion.
    CHECK(history_entries(*c, "/Patient/_history?_count=1000") == type_history_before - 3 + 1);
    CHECK(checked_search(*c, "Patient", {{"family", "txhardone"}}).match_set().empty());
    CHECK(checked_search(*c, "Patient", {{"identifier", "urn:hard|t2"}}).match_set().empty());
    // The id starts again from version 1.
    auto again = c->put(base + "/Patient/hard-t1", patient("hard-t1", "Fresh"));
    CHECK(again.status == 201);
    CHECK(again.header("etag") == "W/\"1\"");
  }
}

TEST_CASE("hardDelete in a batch entry", "[e2e][delete]") {
  auto c = shared_node().client();
  put(*c, "Patient", "hard-b1", patient("hard-b1", "Batchcase"));
  put(*c, "Patient", "hard-b1", patient("hard-b1", "Batchcase"));
  auto batch =
    c->post(base, bundle_of("batch", delete_entry("Patient/hard-b1?hardDelete=true")), fhir_json);
  REQUIRE(batch.status == 200);
  CHECK(json{batch.body}.str("/entry/0/response/status").starts_with("204"));
  CHECK(c->get(base + "/Patient/hard-b1").status == 404);
  CHECK(c->get(base + "/Patient/hard-b1/_history/1").status == 404);
}
