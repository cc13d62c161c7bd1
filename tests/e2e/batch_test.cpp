// POST [base] with a batch Bundle: each entry runs like its own request and
// gets its own answer, in entry order; a failing entry fails alone.
#include <string>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"
#include "tests/e2e/search_data.hpp"

using namespace e2e;
using namespace e2e::search_data;

TEST_CASE("batch: independent entries, each with its own answer", "[e2e][batch]") {
  auto c = shared_node().client();
  put(*c, "Patient", "batch-seed", R"({"resourceType":"Patient","id":"batch-seed","active":true})");
  put(*c, "Patient", "batch-gone", R"({"resourceType":"Patient","id":"batch-gone"})");
  const std::string bundle = R"({"resourceType":"Bundle","type":"batch","entry":[
    {"resource":{"resourceType":"Patient","name":[{"family":"Batchnew"}],
                 "extension":[{"url":"http://example.org/w","valueDecimal":1.50}]},
     "request":{"method":"POST","url":"Patient"}},
    {"resource":{"resourceType":"Patient","id":"batch-put","gender":"female"},
     "request":{"method":"PUT","url":"Patient/batch-put"}},
    {"request":{"method":"GET","url":"Patient/batch-seed"}},
    {"request":{"method":"DELETE","url":"Patient/batch-gone"}},
    {"resource":{"resourceType":"Observation"},"request":{"method":"POST","url":"Patient"}},
    {"request":{"method":"GET","url":"Patient?_id=batch-seed"}},
    {"request":{"method":"PUT","url":"Patient/batch-seed"},
     "resource":{"resourceType":"Patient","id":"batch-seed"}},
    {"request":{"method":"GET","url":"http://elsewhere/Patient/1"}},
    {"resource":{"resourceType":"Patient","id":"batch-seed"},
     "request":{"method":"PUT","url":"Patient/batch-seed","ifMatch":"W/\"99\""}}
  ]})";
  auto r = c->post(base, bundle, {{"Content-Type", "application/fhir+json"}});
  INFO(r.body.substr(0, 3000));
  REQUIRE(r.status == 200);
  json b{r.body};
  CHECK(b.str("/type") == "batch-response");
  REQUIRE(b.count("/entry") == 9);
  CHECK(b.str("/entry/0/response/status") == "201 Created");
  CHECK(b.str("/entry/0/response/location").find("/Patient/") != std::string::npos);
  CHECK(b.str("/entry/0/response/etag") == "W/\"1\"");
  CHECK_FALSE(b.str("/entry/0/response/lastModified").empty());
  CHECK(b.str("/entry/0/resource/name/0/family") == "Batchnew");
  CHECK(r.body.find("1.50") != std::string::npos); // the decimal as written
  CHECK(b.str("/entry/1/response/status") == "201 Created");
  CHECK(b.str("/entry/2/response/status") == "200 OK");
  CHECK(b.str("/entry/2/resource/id") == "batch-seed");
  CHECK(b.str("/entry/3/response/status") == "204 No Content");
  CHECK(b.str("/entry/4/response/status") == "400 Bad Request");
  CHECK(b.str("/entry/4/response/outcome/resourceType") == "OperationOutcome");
  CHECK(b.str("/entry/5/response/status") == "200 OK");
  CHECK(b.str("/entry/5/resource/type") == "searchset");
  CHECK(b.str("/entry/6/response/status") == "200 OK");
  CHECK(b.str("/entry/7/response/status") == "400 Bad Request");
  CHECK(b.str("/entry/8/response/status") == "412 Precondition Failed");

  // Their effects are those of the same requests sent one by one.
  CHECK(c->get(base + "/Patient/batch-put").status == 200);
  CHECK(c->get(base + "/Patient/batch-gone").status == 410);
}

TEST_CASE("batch: bundles that are not batches", "[e2e][batch]") {
  auto c = shared_node().client();
  const header_list json_type{{"Content-Type", "application/fhir+json"}};
  auto empty_transaction =
    c->post(base, R"({"resourceType":"Bundle","type":"transaction"})", json_type);
  CHECK(empty_transaction.status == 200);
  CHECK(json{empty_transaction.body}.str("/type") == "transaction-response");
  // The Bundle itself is checked against R4's structure: no empty arrays,
  // no members Bundle does not have, entry.request.method required. In a
  // transaction a malformed entry fails the Bundle; in a batch, that entry.
  CHECK(c->post(base, R"({"resourceType":"Bundle","type":"transaction","entry":[]})", json_type)
          .status == 400);
  const std::string unknown_member = R"("entry":[{"request":{"method":"GET","url":"Patient","foo":1}}]})";
  auto unknown = c->post(base, R"({"resourceType":"Bundle","type":"transaction",)" + unknown_member,
                         json_type);
  CHECK(unknown.status == 400);
  CHECK(json{unknown.body}.str("/issue/0/expression/0") == "Bundle.entry[0].request.foo");
  auto unknown_in_batch =
    c->post(base, R"({"resourceType":"Bundle","type":"batch",)" + unknown_member, json_type);
  REQUIRE(unknown_in_batch.status == 200);
  CHECK(json{unknown_in_batch.body}.str("/entry/0/response/status") == "400 Bad Request");
  CHECK(json{unknown_in_batch.body}.str("/entry/0/response/outcome/issue/0/expression/0") ==
        "Bundle.entry[0].request.foo");
  CHECK(c->post(base, R"({"resourceType":"Bundle","type":"transaction","entry":[{"request":)"
                      R"({"url":"Patient"}}]})", json_type).status == 400);
  CHECK(c->post(base, R"({"resourceType":"Bundle","type":"batch","timestamp":"2020-01-01",)"
                      R"("entry":[{"request":{"method":"GET","url":"Patient"}}]})", json_type)
          .status == 400);
  CHECK(c->post(base, R"({"resourceType":"Bundle","type":"collection"})", json_type).status ==
        400);
  CHECK(c->post(base, R"({"resourceType":"Patient"})", json_type).status == 400);
  CHECK(c->post(base, R"({"resourceType":"Bundle","type":"batch"})", json_type).status == 200);
  CHECK(c->post(base, "{", json_type).status == 400);
}

TEST_CASE("batch: PATCH entries of both flavours", "[e2e][batch][patch]") {
  auto c = shared_node().client();
  put(*c, "Patient", "batch-patch", R"({"resourceType":"Patient","id":"batch-patch","active":true})");
  // [{"op":"replace","path":"/active","value":false}]
  const std::string json_patch =
    R"({"resourceType":"Binary","contentType":"application/json-patch+json",)"
    R"("data":"W3sib3AiOiJyZXBsYWNlIiwicGF0aCI6Ii9hY3RpdmUiLCJ2YWx1ZSI6ZmFsc2V9XQ=="})";
  const std::string fhirpath_patch =
    R"({"resourceType":"Parameters","parameter":[{"name":"operation","part":[)"
    R"({"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},)"
    R"({"name":"name","valueString":"gender"},{"name":"value","valueCode":"other"}]}]})";
  auto r = c->post(base,
                   R"({"resourceType":"Bundle","type":"batch","entry":[{"resource":)" + json_patch +
                     R"(,"request":{"method":"PATCH","url":"Patient/batch-patch"}},{"resource":)" +
                     fhirpath_patch +
                     R"(,"request":{"method":"PATCH","url":"Patient/batch-patch"}},)"
                     R"({"resource":{"resourceType":"Patient"},"request":{"method":"PATCH","url":"Patient/batch-patch"}}]})",
                   {{"Content-Type", "application/fhir+json"}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  json b{r.body};
  CHECK(b.str("/entry/0/response/status") == "200 OK");
  CHECK(b.str("/entry/1/response/status") == "200 OK");
  CHECK(b.str("/entry/2/response/status") == "400 Bad Request");
  auto now = json{c->get(base + "/Patient/batch-patch").body};
  CHECK(now.str("/meta/versionId") == "3");
  CHECK(now.str("/gender") == "other");
}

TEST_CASE("batch and transaction: the Bundle's Prefer applies to every write entry",
          "[e2e][batch]") {
  auto c = shared_node().client();
  auto bundle = [](const std::string& type, const std::string& id) {
    return R"({"resourceType":"Bundle","type":")" + type + R"(","entry":[{"resource":)"
           R"({"resourceType":"Patient","id":")" + id + R"("},"request":{"method":"PUT",)"
           R"("url":"Patient/)" + id + R"("}}]})";
  };
  for (auto type : {"batch", "transaction"}) {
    INFO(type);
    const std::string t = type;
    auto post = [&](const std::string& id, const std::string& prefer) {
      header_list headers{{"Content-Type", "application/fhir+json"}};
      if (!prefer.empty()) headers.emplace_back("Prefer", prefer);
      auto r = c->post(base, bundle(t, id), headers);
      REQUIRE(r.status == 200);
      return r;
    };
    json m{post("prefer-" + t + "-1", "return=minimal").body};
    CHECK(m.str("/entry/0/response/status") == "201 Created");
    CHECK_FALSE(m.has("/entry/0/resource"));
    json o{post("prefer-" + t + "-2", "return=OperationOutcome").body};
    CHECK(o.str("/entry/0/response/outcome/resourceType") == "OperationOutcome");
    CHECK_FALSE(o.has("/entry/0/resource"));
    auto whole = post("prefer-" + t + "-3", "");
    CHECK(json{whole.body}.str("/entry/0/resource/id") == "prefer-" + t + "-3");
  }
}

TEST_CASE("batch: an entry that refers to another entry's fullUrl is refused alone",
          "[e2e][batch]") {
  // R4: a batch's entries have no interdependencies, and servers check it;
  // stored, the reference would dangle.
  auto c = shared_node().client();
  const std::string bundle = R"({"resourceType":"Bundle","type":"batch","entry":[
    {"fullUrl":"urn:uuid:71110000-0000-4000-8000-000000000001",
     "resource":{"resourceType":"Patient","name":[{"family":"Batchdep"}]},
     "request":{"method":"POST","url":"Patient"}},
    {"resource":{"resourceType":"Observation","status":"final","code":{"text":"batchdep"},
                 "subject":{"reference":"urn:uuid:71110000-0000-4000-8000-000000000001"}},
     "request":{"method":"POST","url":"Observation"}}
  ]})";
  auto r = c->post(base, bundle, {{"Content-Type", "application/fhir+json"}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  json b{r.body};
  CHECK(b.str("/entry/0/response/status") == "201 Created");
  CHECK(b.str("/entry/1/response/status") == "400 Bad Request");
  CHECK(b.str("/entry/1/response/outcome/issue/0/diagnostics").find("independent") !=
        std::string::npos);
  CHECK(checked_search(*c, "Observation", {{"code:text", "batchdep"}}).match_set().empty());
}

TEST_CASE("batch: an entry whose request is malformed fails alone", "[e2e][batch]") {
  auto c = shared_node().client();
  const std::string bundle = R"({"resourceType":"Bundle","type":"batch","entry":[
    {"resource":{"resourceType":"Patient","name":[{"family":"Batchalone"}]},
     "request":{"url":"Patient"}},
    {"request":{"method":"FETCH","url":"Patient"}},
    {"request":{"method":"GET","url":"Patient","ifModifiedSince":"Sat, 28 Nov 2026 10:00:00 GMT"}},
    {"resource":{"resourceType":"Patient","name":[{"family":"Batchalone"}]},
     "request":{"method":"POST","url":"Patient"}}
  ]})";
  auto r = c->post(base, bundle, {{"Content-Type", "application/fhir+json"}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  json b{r.body};
  CHECK(b.str("/entry/0/response/status") == "400 Bad Request");
  CHECK(b.str("/entry/0/response/outcome/issue/0/diagnostics").find("request.method") !=
        std::string::npos);
  CHECK(b.str("/entry/1/response/status") == "400 Bad Request");
  CHECK(b.str("/entry/2/response/status") == "400 Bad Request");
  CHECK(b.str("/entry/3/response/status") == "201 Created");
  CHECK(checked_search(*c, "Patient", {{"family", "batchalone"}}).match_set().size() == 1);
  // In a transaction the same malformed entry fails the whole Bundle.
  auto tx = bundle;
  tx.replace(tx.find("\"batch\""), 7, "\"transaction\"");
  CHECK(c->post(base, tx, {{"Content-Type", "application/fhir+json"}}).status == 400);
  CHECK(checked_search(*c, "Patient", {{"family", "batchalone"}}).match_set().size() == 1);
}
