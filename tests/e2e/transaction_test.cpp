// Transaction Bundles: all or nothing (a failing entry in the middle leaves
// no resource, version or index entry behind), urn:uuid and conditional
// references resolved, ifNoneExist/ifMatch, PATCH entries, versions and ETags
// in the response, concurrent transactions over the same resources, and an
// acknowledged transaction surviving kill -9.
#include <atomic>
#include <mutex>
#include <set>
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

std::string transaction(const std::vector<std::string>& entries) {
  std::string out = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
  for (std::size_t i = 0; i < entries.size(); ++i) out += (i ? "," : "") + entries[i];
  return out + "]}";
}

std::string entry(const std::string& method, const std::string& url, const std::string& resource,
                  const std::string& full_url = {}, const std::string& extra = {}) {
  std::string out = "{";
  if (!full_url.empty()) out += R"("fullUrl":")" + full_url + R"(",)";
  if (!resource.empty()) out += R"("resource":)" + resource + ",";
  out += R"("request":{"method":")" + method + R"(","url":")" + url + "\"" + extra + "}}";
  return out;
}

/// "Patient/abc" from a response location ".../Patient/abc/_history/1".
std::string reference_of(const std::string& location) {
  auto h = location.find("/_history/");
  auto path = location.substr(0, h);
  auto type_start = path.rfind('/', path.rfind('/') - 1) + 1;
  return path.substr(type_start);
}

std::int64_t history_total(http_client& c) {
  auto r = c.get(base + "/_history?_count=1000");
  REQUIRE(r.status == 200);
  return static_cast<std::int64_t>(json{r.body}.count("/entry"));
}

} // namespace

TEST_CASE("transaction: a failing entry in the middle leaves no trace", "[e2e][transaction]") {
  node n;
  auto c = n.client();
  put(*c, "Patient", "tx-existing", R"({"resourceType":"Patient","id":"tx-existing","active":true})");
  const auto before = history_total(*c);
  auto body = transaction({
    entry("POST", "Patient", R"({"resourceType":"Patient","name":[{"family":"Txatomic"}]})",
          "urn:uuid:11111111-1111-1111-1111-111111111111"),
    entry("POST", "Observation",
          R"({"resourceType":"Observation","status":"final","code":{"text":"txatomic"},)"
          R"("subject":{"reference":"urn:uuid:11111111-1111-1111-1111-111111111111"}})"),
    entry("PUT", "Patient/tx-existing",
          R"({"resourceType":"Patient","id":"tx-existing","name":[{"family":"Txatomic"}]})", {},
          R"(,"ifMatch":"W/\"7\"")"),
    entry("PUT", "Patient/tx-new", R"({"resourceType":"Patient","id":"tx-new"})"),
  });
  auto r = c->post(base, body, fhir_json);
  INFO(r.body);
  CHECK(r.status == 412);
  json outcome{r.body};
  CHECK(outcome.str("/resourceType") == "OperationOutcome");
  // Named by the entry the partition refused, as the plan names its own refusals.
  CHECK(outcome.str("/issue/0/expression/0") == "Bundle.entry[2]");
  CHECK(outcome.str("/issue/0/diagnostics").starts_with("Bundle.entry[2] (PUT Patient/tx-existing): "));

  // Nothing of it: no resource, no version, no index entry.
  CHECK(history_total(*c) == before);
  CHECK(c->get(base + "/Patient/tx-new").status == 404);
  CHECK(checked_search(*c, "Patient", {{"family", "Txatomic"}}).matches.empty());
  CHECK(checked_search(*c, "Observation", {{"code:text", "txatomic"}}).matches.empty());
  auto existing = c->get(base + "/Patient/tx-existing");
  CHECK(json{existing.body}.str("/meta/versionId") == "1");

  // An invalid resource fails the same way, with 400.
  auto invalid = c->post(base, transaction({
    entry("PUT", "Patient/tx-new", R"({"resourceType":"Patient","id":"tx-new"})"),
    entry("POST", "Patient", R"({"resourceType":"Observation"})"),
  }), fhir_json);
  CHECK(invalid.status == 400);
  CHECK(invalid.body.find("Bundle.entry[1]") != std::string::npos);
  CHECK(c->get(base + "/Patient/tx-new").status == 404);
  CHECK(history_total(*c) == before);

  // Nothing stays held: plain writes of the same resources go through.
  CHECK(c->put(base + "/Patient/tx-new", R"({"resourceType":"Patient","id":"tx-new"})").status ==
        201);
  CHECK(c->put(base + "/Patient/tx-existing", R"({"resourceType":"Patient","id":"tx-existing"})")
          .status == 200);
}

TEST_CASE("transaction: urn:uuid references resolved everywhere, answers in entry order",
          "[e2e][transaction]") {
  auto c = shared_node().client();
  put(*c, "Patient", "tx-gone", R"({"resourceType":"Patient","id":"tx-gone"})");
  put(*c, "Patient", "tx-upd", R"({"resourceType":"Patient","id":"tx-upd"})");
  const std::string pat = "urn:uuid:22222222-2222-2222-2222-222222222222";
  const std::string enc_url = "urn:uuid:33333333-3333-3333-3333-333333333333";
  auto body = transaction({
    entry("GET", "Patient?family=Txurn", ""),
    entry("POST", "Encounter",
          R"({"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},)"
          R"("text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">)"
          R"(<a href=\")" + pat + R"(\">the patient</a></div>"},)"
          R"("subject":{"reference":")" + pat + R"("}})",
          enc_url),
    entry("POST", "Observation",
          R"({"resourceType":"Observation","status":"final","code":{"text":"txurn"},)"
          R"("subject":{"reference":")" + pat + R"("},"encounter":{"reference":")" + enc_url +
            R"("},"extension":[{"url":"http://example.org/x","valueReference":{"reference":")" +
            pat + R"("}}],"contained":[{"resourceType":"Provenance","target":[{"reference":")" +
            pat + R"("}],"recorded":"2020-01-01T00:00:00Z","agent":[{"who":{"reference":")" + pat +
            R"("}}]}],"valueQuantity":{"value":1.50,"unit":"mg"}})"),
    entry("DELETE", "Patient/tx-gone", ""),
    entry("POST", "Patient", R"({"resourceType":"Patient","name":[{"family":"Txurn"}],)"
          R"("link":[{"type":"seealso","other":{"reference":"Patient/abs-1"}},)"
          R"({"type":"refer","other":{"reference":"\u0075rn:uuid:22222222-2222-2222-2222-222222222222"}}]})", pat),
    entry("POST", "Patient", R"({"resourceType":"Patient","name":[{"family":"Txabs"}]})",
          "http://example.org/fhir/Patient/abs-1"),
    entry("PUT", "Patient/tx-upd", R"({"resourceType":"Patient","id":"tx-upd","active":false})"),
  });
  auto r = c->post(base, body, fhir_json);
  INFO(r.body.substr(0, 4000));
  REQUIRE(r.status == 200);
  json b{r.body};
  CHECK(b.str("/type") == "transaction-response");
  REQUIRE(b.count("/entry") == 7);
  // The read runs after the writes and sees them.
  CHECK(b.str("/entry/0/response/status") == "200 OK");
  CHECK(b.str("/entry/0/resource/entry/0/resource/name/0/family") == "Txurn");
  for (int i : {1, 2, 4, 5}) {
    CHECK(b.str("/entry/" + std::to_string(i) + "/response/status") == "201 Created");
    CHECK(b.str("/entry/" + std::to_string(i) + "/response/etag") == "W/\"1\"");
    CHECK_FALSE(b.str("/entry/" + std::to_string(i) + "/response/lastModified").empty());
  }
  CHECK(b.str("/entry/3/response/status") == "204 No Content");
  CHECK(b.str("/entry/6/response/status") == "200 OK");
  CHECK(b.str("/entry/6/response/etag") == "W/\"2\"");
  // A relative reference to an absolute fullUrl's resource, and an escaped
  // urn:uuid, both rewritten.
  CHECK(b.str("/entry/4/resource/link/0/other/reference") ==
        reference_of(b.str("/entry/5/response/location")));
  CHECK(b.str("/entry/4/resource/link/1/other/reference") ==
        reference_of(b.str("/entry/4/response/location")));

  const auto patient_ref = reference_of(b.str("/entry/4/response/location"));
  const auto encounter_ref = reference_of(b.str("/entry/1/response/location"));
  REQUIRE(patient_ref.starts_with("Patient/"));
  CHECK(b.str("/entry/1/resource/subject/reference") == patient_ref);
  // Narrative links to a fullUrl are rewritten too.
  CHECK(b.str("/entry/1/resource/text/div").find("href=\"" + patient_ref + "\"") !=
        std::string::npos);
  auto obs = c->get(base + "/" + reference_of(b.str("/entry/2/response/location")));
  REQUIRE(obs.status == 200);
  json o{obs.body};
  CHECK(o.str("/subject/reference") == patient_ref);
  CHECK(o.str("/encounter/reference") == encounter_ref);
  CHECK(o.str("/extension/0/valueReference/reference") == patient_ref);
  CHECK(o.str("/contained/0/target/0/reference") == patient_ref);
  CHECK(o.str("/contained/0/agent/0/who/reference") == patient_ref);
  CHECK(obs.body.find("urn:uuid") == std::string::npos);
  CHECK(obs.body.find("1.50") != std::string::npos); // decimals as written
  // Indexed by the rewritten reference.
  auto by_subject = checked_search(*c, "Observation", {{"subject", patient_ref}});
  CHECK(by_subject.matches.size() == 1);
  CHECK(c->get(base + "/Patient/tx-gone").status == 410);

  // A urn:uuid no entry declares fails the whole transaction.
  auto dangling = c->post(base, transaction({entry(
    "POST", "Observation",
    R"({"resourceType":"Observation","status":"final","code":{"text":"x"},)"
    R"("subject":{"reference":"urn:uuid:99999999-9999-9999-9999-999999999999"}})")}), fhir_json);
  CHECK(dangling.status == 400);
  CHECK(dangling.body.find("urn:uuid:99999999") != std::string::npos);

  // Two entries with one fullUrl are refused.
  auto twice = c->post(base, transaction({
    entry("POST", "Patient", R"({"resourceType":"Patient"})", "urn:uuid:66666666-6666-6666-6666-666666666666"),
    entry("POST", "Patient", R"({"resourceType":"Patient"})", "urn:uuid:66666666-6666-6666-6666-666666666666"),
  }), fhir_json);
  CHECK(twice.status == 400);

  // Prefer: return=minimal leaves the resources out.
  auto headers = fhir_json;
  headers.emplace_back("Prefer", "return=minimal");
  auto minimal = c->post(base, transaction({entry("POST", "Patient",
                                                  R"({"resourceType":"Patient"})")}), headers);
  REQUIRE(minimal.status == 200);
  json m{minimal.body};
  CHECK(m.str("/entry/0/response/status") == "201 Created");
  CHECK_FALSE(m.has("/entry/0/resource"));
}

TEST_CASE("transaction: conditional references, ifNoneExist, conditional targets",
          "[e2e][transaction]") {
  auto c = shared_node().client();
  put(*c, "Practitioner", "tx-pr-1",
      R"({"resourceType":"Practitioner","id":"tx-pr-1","identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"tx-111"}]})");
  put(*c, "Practitioner", "tx-pr-2",
      R"({"resourceType":"Practitioner","id":"tx-pr-2","identifier":[{"system":"urn:dup","value":"same"}]})");
  put(*c, "Practitioner", "tx-pr-3",
      R"({"resourceType":"Practitioner","id":"tx-pr-3","identifier":[{"system":"urn:dup","value":"same"}]})");
  auto encounter = [](const std::string& reference) {
    return R"({"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},)"
           R"("participant":[{"individual":{"reference":")" + reference + R"("}}]})";
  };
  auto ok = c->post(base, transaction({entry("POST", "Encounter",
      encounter("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|tx-111"))}), fhir_json);
  INFO(ok.body.substr(0, 3000));
  REQUIRE(ok.status == 200);
  CHECK(json{ok.body}.str("/entry/0/resource/participant/0/individual/reference") ==
        "Practitioner/tx-pr-1");

  // A resolution is not reused once the practitioners change: the
  // identifier moves to another one, then goes away.
  put(*c, "Practitioner", "tx-pr-1",
      R"({"resourceType":"Practitioner","id":"tx-pr-1","identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"tx-moved"}]})");
  put(*c, "Practitioner", "tx-pr-9",
      R"({"resourceType":"Practitioner","id":"tx-pr-9","identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"tx-111"}]})");
  auto moved = c->post(base, transaction({entry("POST", "Encounter",
      encounter("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|tx-111"))}), fhir_json);
  REQUIRE(moved.status == 200);
  CHECK(json{moved.body}.str("/entry/0/resource/participant/0/individual/reference") ==
        "Practitioner/tx-pr-9");
  CHECK(c->del(base + "/Practitioner/tx-pr-9").status == 204);
  auto deleted = c->post(base, transaction({entry("POST", "Encounter",
      encounter("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|tx-111"))}), fhir_json);
  CHECK(deleted.status == 404);

  auto none = c->post(base, transaction({entry("POST", "Encounter",
      encounter("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|tx-000"))}), fhir_json);
  CHECK(none.status == 404);
  auto several = c->post(base, transaction({entry("POST", "Encounter",
      encounter("Practitioner?identifier=urn:dup|same"))}), fhir_json);
  CHECK(several.status == 412);
  auto unknown = c->post(base, transaction({entry("POST", "Encounter",
      encounter("Practitioner?no-such-param=1"))}), fhir_json);
  CHECK(unknown.status == 400);

  // A conditional URL whose search value is a URI ("system|value") is still
  // relative to the base: upsert by an identifier with an http system.
  const std::string upsert_url = "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|tx-up";
  const std::string upserted =
    R"({"resourceType":"Practitioner","identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"tx-up"}]})";
  auto upsert = c->post(base, transaction({entry("PUT", upsert_url, upserted)}), fhir_json);
  INFO(upsert.body.substr(0, 2000));
  CHECK(upsert.status == 200);
  CHECK(json{upsert.body}.str("/entry/0/response/status").starts_with("201"));
  auto again = c->post(base, transaction({entry("PUT", upsert_url, upserted)}), fhir_json);
  CHECK(json{again.body}.str("/entry/0/response/status").starts_with("200"));
  auto absolute = c->post(base, transaction({entry("PUT", "http://example.org/fhir/Practitioner/tx-abs",
      R"({"resourceType":"Practitioner","id":"tx-abs"})")}), fhir_json);
  CHECK(absolute.status == 400); // an absolute URL is still refused

  // ifNoneExist: the match is the answer (200, no new version), and its
  // fullUrl resolves to it in the other entries.
  const std::string org = R"({"resourceType":"Organization","identifier":[{"system":"urn:txorg","value":"o-1"}],"name":"Tx Org"})";
  auto conditional_create = [&] {
    return c->post(base, transaction({
      entry("POST", "Organization", org, "urn:uuid:44444444-4444-4444-4444-444444444444",
            R"(,"ifNoneExist":"identifier=urn:txorg|o-1")"),
      entry("POST", "Patient",
            R"({"resourceType":"Patient","managingOrganization":{"reference":"urn:uuid:44444444-4444-4444-4444-444444444444"}})"),
    }), fhir_json);
  };
  auto first = conditional_create();
  REQUIRE(first.status == 200);
  json f{first.body};
  CHECK(f.str("/entry/0/response/status") == "201 Created");
  auto org_ref = reference_of(f.str("/entry/0/response/location"));
  auto second = conditional_create();
  REQUIRE(second.status == 200);
  json s{second.body};
  CHECK(s.str("/entry/0/response/status") == "200 OK");
  CHECK(reference_of(s.str("/entry/0/response/location")) == org_ref);
  CHECK(s.str("/entry/0/response/etag") == "W/\"1\"");
  CHECK(s.str("/entry/1/resource/managingOrganization/reference") == org_ref);

  // Two entries creating by the same criteria are refused.
  auto same = c->post(base, transaction({
    entry("POST", "Organization", org, {}, R"(,"ifNoneExist":"identifier=urn:txorg|o-9")"),
    entry("POST", "Organization", org, {}, R"(,"ifNoneExist":"identifier=urn:txorg|o-9")"),
  }), fhir_json);
  CHECK(same.status == 400);

  // Conditional update and delete by criteria.
  auto upd = c->post(base, transaction({
    entry("PUT", "Organization?identifier=urn:txorg|o-1",
          R"({"resourceType":"Organization","identifier":[{"system":"urn:txorg","value":"o-1"}],"name":"Renamed"})"),
  }), fhir_json);
  REQUIRE(upd.status == 200);
  json u{upd.body};
  CHECK(reference_of(u.str("/entry/0/response/location")) == org_ref);
  CHECK(u.str("/entry/0/response/etag") == "W/\"2\"");
  // No match, and the body's id names another resource: 409, not an overwrite.
  put(*c, "Organization", "tx-org-other", R"({"resourceType":"Organization","id":"tx-org-other"})");
  auto clash = c->post(base, transaction({
    entry("PUT", "Organization?identifier=urn:txorg|nobody",
          R"({"resourceType":"Organization","id":"tx-org-other","name":"Clash"})"),
  }), fhir_json);
  CHECK(clash.status == 409);
  CHECK(c->put(base + "/Organization?identifier=urn:txorg|nobody",
               R"({"resourceType":"Organization","id":"tx-org-other","name":"Clash"})",
               fhir_json).status == 409);
  CHECK(json{c->get(base + "/Organization/tx-org-other").body}.str("/meta/versionId") == "1");

  // DELETE is processed before POST: an ifNoneExist that only the deleted
  // resource matches creates.
  put(*c, "Organization", "tx-org-old",
      R"({"resourceType":"Organization","id":"tx-org-old","identifier":[{"system":"urn:txorg","value":"o-2"}]})");
  auto replaced = c->post(base, transaction({
    entry("POST", "Organization",
          R"({"resourceType":"Organization","identifier":[{"system":"urn:txorg","value":"o-2"}]})",
          {}, R"(,"ifNoneExist":"identifier=urn:txorg|o-2")"),
    entry("DELETE", "Organization/tx-org-old", ""),
  }), fhir_json);
  REQUIRE(replaced.status == 200);
  json rp{replaced.body};
  CHECK(rp.str("/entry/0/response/status") == "201 Created");
  CHECK(rp.str("/entry/1/response/status") == "204 No Content");
  CHECK(c->get(base + "/Organization/tx-org-old").status == 410);

  auto del = c->post(base, transaction({entry("DELETE", "Organization?identifier=urn:txorg|o-1", "")}),
                     fhir_json);
  REQUIRE(del.status == 200);
  CHECK(c->get(base + "/" + org_ref).status == 410);
}

TEST_CASE("transaction: PATCH entries and ETags", "[e2e][transaction]") {
  auto c = shared_node().client();
  put(*c, "Patient", "tx-patch", R"({"resourceType":"Patient","id":"tx-patch","active":true})");
  // [{"op":"replace","path":"/active","value":false}] in base64.
  const std::string patch_b64 = "W3sib3AiOiJyZXBsYWNlIiwicGF0aCI6Ii9hY3RpdmUiLCJ2YWx1ZSI6ZmFsc2V9XQ==";
  auto binary = R"({"resourceType":"Binary","contentType":"application/json-patch+json","data":")" +
                patch_b64 + R"("})";
  auto r = c->post(base, transaction({entry("PATCH", "Patient/tx-patch", binary, {},
                                            R"(,"ifMatch":"W/\"1\"")")}), fhir_json);
  INFO(r.body);
  REQUIRE(r.status == 200);
  json b{r.body};
  CHECK(b.str("/entry/0/response/status") == "200 OK");
  CHECK(b.str("/entry/0/response/etag") == "W/\"2\"");
  auto now = c->get(base + "/Patient/tx-patch");
  CHECK(now.body.find("\"active\":false") != std::string::npos);
  // The same If-Match again no longer holds.
  auto stale = c->post(base, transaction({entry("PATCH", "Patient/tx-patch", binary, {},
                                                R"(,"ifMatch":"W/\"1\"")")}), fhir_json);
  CHECK(stale.status == 412);
  // Writing one resource twice is refused.
  auto twice = c->post(base, transaction({
    entry("PUT", "Patient/tx-patch", R"({"resourceType":"Patient","id":"tx-patch"})"),
    entry("DELETE", "Patient/tx-patch", ""),
  }), fhir_json);
  CHECK(twice.status == 400);
}

TEST_CASE("transaction: concurrent transactions over the same resources all apply",
          "[e2e][transaction]") {
  node n;
  {
    auto c = n.client();
    put(*c, "Patient", "tx-a", R"({"resourceType":"Patient","id":"tx-a"})");
    put(*c, "Patient", "tx-b", R"({"resourceType":"Patient","id":"tx-b"})");
  }
  // Each thread updates both, half of them in the opposite order: without
  // refusing to wait for a held id, two of them could deadlock.
  constexpr int threads = 6, rounds = 15;
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      auto c = n.client();
      for (int i = 0; i < rounds; ++i) {
        std::vector<std::string> entries{
          entry("PUT", "Patient/tx-a", R"({"resourceType":"Patient","id":"tx-a"})"),
          entry("PUT", "Patient/tx-b", R"({"resourceType":"Patient","id":"tx-b"})")};
        if (t % 2) std::swap(entries[0], entries[1]);
        auto r = c->post(base, transaction(entries), fhir_json);
        (r.status == 200 ? ok : failed)++;
      }
    });
  for (auto& t : pool) t.join();
  CHECK(failed == 0);
  CHECK(ok == threads * rounds);
  auto c = n.client();
  for (auto id : {"tx-a", "tx-b"}) {
    auto r = c->get(base + "/Patient/" + id);
    CHECK(json{r.body}.str("/meta/versionId") == std::to_string(1 + threads * rounds));
  }
}

TEST_CASE("transaction: transactions and plain writes of the same resources interleave",
          "[e2e][transaction]") {
  node n;
  {
    auto c = n.client();
    put(*c, "Patient", "tx-m", R"({"resourceType":"Patient","id":"tx-m"})");
  }
  // Plain PUTs and PATCHes queue behind a held id and pipeline otherwise;
  // every write is applied once, in some order, none lost.
  constexpr int rounds = 25;
  std::atomic<int> failed{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t)
    pool.emplace_back([&, t] {
      auto c = n.client();
      for (int i = 0; i < rounds; ++i) {
        int status = 0;
        if (t == 0)
          status = c->post(base, transaction({entry("PUT", "Patient/tx-m",
                                                    R"({"resourceType":"Patient","id":"tx-m"})")}),
                           fhir_json).status;
        else if (t == 1)
          status = c->request("PATCH", base + "/Patient/tx-m",
                              R"([{"op":"add","path":"/active","value":true}])",
                              {{"Content-Type", "application/json-patch+json"}}).status;
        else
          status = c->put(base + "/Patient/tx-m", R"({"resourceType":"Patient","id":"tx-m"})")
                     .status;
        if (status != 200) failed++;
      }
    });
  for (auto& t : pool) t.join();
  CHECK(failed == 0);
  auto c = n.client();
  CHECK(json{c->get(base + "/Patient/tx-m").body}.str("/meta/versionId") ==
        std::to_string(1 + 4 * rounds));
  auto history = c->get(base + "/Patient/tx-m/_history?_count=1000");
  CHECK(json{history.body}.count("/entry") == 1 + 4 * rounds);
}

TEST_CASE("transaction: concurrent ifNoneExist transactions create one", "[e2e][transaction]") {
  auto& n = shared_node();
  std::atomic<int> created{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 6; ++t)
    pool.emplace_back([&] {
      auto c = n.client();
      auto r = c->post(base, transaction({entry(
        "POST", "Patient", R"({"resourceType":"Patient","identifier":[{"system":"urn:txrace","value":"r-1"}]})",
        {}, R"(,"ifNoneExist":"identifier=urn:txrace|r-1")")}), fhir_json);
      if (r.status == 200 && json{r.body}.str("/entry/0/response/status") == "201 Created")
        created++;
    });
  for (auto& t : pool) t.join();
  CHECK(created == 1);
  auto c = n.client();
  CHECK(checked_search(*c, "Patient", {{"identifier", "urn:txrace|r-1"}}).matches.size() == 1);
}

TEST_CASE("transaction: an acknowledged transaction survives kill -9", "[e2e][transaction]") {
  node n;
  std::string location;
  {
    auto c = n.client();
    auto r = c->post(base, transaction({
      entry("POST", "Patient", R"({"resourceType":"Patient","name":[{"family":"Txdurable"}]})",
            "urn:uuid:55555555-5555-5555-5555-555555555555"),
      entry("PUT", "Patient/tx-durable", R"({"resourceType":"Patient","id":"tx-durable",)"
            R"("link":[{"type":"seealso","other":{"reference":"urn:uuid:55555555-5555-5555-5555-555555555555"}}]})"),
    }), fhir_json);
    REQUIRE(r.status == 200);
    location = json{r.body}.str("/entry/0/response/location");
  }
  n.kill();
  n.start();
  auto c = n.client();
  CHECK(c->get(base + "/" + reference_of(location)).status == 200);
  auto linked = c->get(base + "/Patient/tx-durable");
  REQUIRE(linked.status == 200);
  CHECK(json{linked.body}.str("/link/0/other/reference") == reference_of(location));
  CHECK(checked_search(*c, "Patient", {{"family", "Txdurable"}}).matches.size() == 1);
}

TEST_CASE("transaction: the entry limit is configurable", "[e2e][transaction]") {
  node n({"--bundle-entries", "2"});
  auto c = n.client();
  auto two = transaction({entry("POST", "Patient", R"({"resourceType":"Patient"})"),
                          entry("POST", "Patient", R"({"resourceType":"Patient"})")});
  CHECK(c->post(base, two, fhir_json).status == 200);
  auto three = transaction({entry("POST", "Patient", R"({"resourceType":"Patient"})"),
                            entry("POST", "Patient", R"({"resourceType":"Patient"})"),
                            entry("POST", "Patient", R"({"resourceType":"Patient"})")});
  auto refused = c->post(base, three, fhir_json);
  CHECK(refused.status == 400);
  CHECK(refused.body.find("at most 2") != std::string::npos);
}

TEST_CASE("transaction: kill -9 under load leaves every transaction whole or absent",
          "[e2e][transaction][durability]") {
  node n;
  constexpr int threads = 4, per_bundle = 10;
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::vector<std::string> acked;   // transaction tags the node acknowledged
  std::vector<std::string> started; // every tag sent
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      try {
        http_client c{n.port(), std::chrono::seconds{5}};
        for (int i = 0; !stop; ++i) {
          const auto tag = std::to_string(t) + "-" + std::to_string(i);
          std::vector<std::string> entries;
          for (int k = 0; k < per_bundle; ++k)
            entries.push_back(entry("POST", "Patient",
                                    R"({"resourceType":"Patient","identifier":[{"system":"urn:txkill","value":")" +
                                      tag + R"("}]})"));
          {
            std::lock_guard lock{mutex};
            started.push_back(tag);
          }
          auto r = c.post(base, transaction(entries),
                          {{"Content-Type", "application/fhir+json"}, {"Prefer", "return=minimal"}});
          if (r.status != 200) return;
          std::lock_guard lock{mutex};
          acked.push_back(tag);
        }
      } catch (const std::exception&) {
        // the node went away: what was not acknowledged may be lost
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds{1200});
  n.kill();
  stop = true;
  for (auto& t : pool) t.join();
  REQUIRE(acked.size() > 5); // the node did real work before it went down

  n.start();
  auto c = n.client();
  std::set<std::string> acked_set(acked.begin(), acked.end());
  std::size_t partial = 0, lost = 0;
  std::string first_bad;
  for (const auto& tag : started) {
    auto r = c->get(base + "/Patient?identifier=urn:txkill|" + tag + "&_count=100&_total=accurate");
    REQUIRE(r.status == 200);
    const auto found = json{r.body}.count("/entry");
    if (found != 0 && found != per_bundle && partial++ == 0) first_bad = tag;
    if (acked_set.contains(tag) && found != per_bundle && lost++ == 0) first_bad = tag;
  }
  INFO("first transaction found partial or lost: " << first_bad);
  CHECK(partial == 0);
  CHECK(lost == 0);
}

TEST_CASE("conditional reads: If-None-Match and If-Modified-Since, alone and in a Bundle",
          "[e2e][transaction]") {
  auto c = shared_node().client();
  put(*c, "Patient", "cr-1", R"({"resourceType":"Patient","id":"cr-1"})");
  auto current = c->get(base + "/Patient/cr-1", {{"If-None-Match", "W/\"1\""}});
  CHECK(current.status == 304);
  CHECK(current.body.empty());
  CHECK(current.header("etag").value_or("") == "W/\"1\"");
  CHECK(c->get(base + "/Patient/cr-1", {{"If-None-Match", "W/\"7\""}}).status == 200);
  CHECK(c->get(base + "/Patient/cr-1", {{"If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"}})
          .status == 200);
  CHECK(c->get(base + "/Patient/cr-1", {{"If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT"}})
          .status == 304);

  auto b = c->post(base, transaction({
    entry("GET", "Patient/cr-1", "", {}, R"(,"ifNoneMatch":"W/\"1\"")"),
    entry("GET", "Patient/cr-1", "", {}, R"(,"ifModifiedSince":"2000-01-01T00:00:00Z")"),
  }), fhir_json);
  REQUIRE(b.status == 200);
  json r{b.body};
  CHECK(r.str("/entry/0/response/status") == "304 Not Modified");
  CHECK_FALSE(r.has("/entry/0/resource"));
  CHECK(r.str("/entry/1/response/status") == "200 OK");

  // If-None-Match wins over If-Modified-Since (RFC 9110 §13.1.3); it may
  // list ETags, or be *.
  const auto later = "Fri, 01 Jan 2100 00:00:00 GMT";
  CHECK(c->get(base + "/Patient/cr-1", {{"If-None-Match", "W/\"7\""}, {"If-Modified-Since", later}})
          .status == 200);
  CHECK(c->get(base + "/Patient/cr-1", {{"If-None-Match", "W/\"6\", W/\"1\""}}).status == 304);
  CHECK(c->get(base + "/Patient/cr-1", {{"If-None-Match", "*"}}).status == 304);
  CHECK(c->get(base + "/Patient/cr-1/_history/1", {{"If-None-Match", "W/\"1\""}}).status == 304);
  CHECK(c->get(base + "/Patient/cr-1/_history/1", {{"If-Modified-Since", later}}).status == 304);

  // An entry's ifModifiedSince is a FHIR instant; anything else is refused.
  auto instants = c->post(base, transaction({
    entry("GET", "Patient/cr-1", "", {}, R"(,"ifModifiedSince":"2100-01-01T00:00:00Z")"),
    entry("GET", "Patient/cr-1", "", {}, R"(,"ifModifiedSince":"2000-01-01T00:00:00Z")"),
  }), fhir_json);
  REQUIRE(instants.status == 200);
  json i{instants.body};
  CHECK(i.str("/entry/0/response/status") == "304 Not Modified");
  CHECK(i.str("/entry/1/response/status") == "200 OK");
  auto garbage = c->post(base, transaction({
    entry("GET", "Patient/cr-1", "", {}, R"(,"ifModifiedSince":"garbage")")}), fhir_json);
  CHECK(garbage.status == 400);
  CHECK(garbage.body.find("ifModifiedSince") != std::string::npos);
}

TEST_CASE("If-None-Match on PUT: * creates only, a listed version fails", "[e2e][transaction]") {
  auto c = shared_node().client();
  const std::string body = R"({"resourceType":"Patient","id":"inm-put"})";
  const header_list only_new{{"Content-Type", "application/fhir+json"}, {"If-None-Match", "*"}};
  CHECK(c->put(base + "/Patient/inm-put", body, only_new).status == 201);
  CHECK(c->put(base + "/Patient/inm-put", body, only_new).status == 412);
  CHECK(c->put(base + "/Patient/inm-put", body,
               {{"Content-Type", "application/fhir+json"}, {"If-None-Match", "W/\"1\""}})
          .status == 412);
  CHECK(c->put(base + "/Patient/inm-put", body,
               {{"Content-Type", "application/fhir+json"}, {"If-None-Match", "W/\"7\""}})
          .status == 200);
  // In a Bundle entry too.
  auto r = c->post(base, transaction({entry("PUT", "Patient/inm-put", body, {},
                                            R"(,"ifNoneMatch":"*")")}), fhir_json);
  CHECK(r.status == 412);
  CHECK(c->get(base + "/Patient/inm-put").header("etag") == "W/\"2\"");
}

TEST_CASE("HEAD answers like GET without the body", "[e2e][transaction]") {
  auto c = shared_node().client();
  put(*c, "Patient", "head-1", R"({"resourceType":"Patient","id":"head-1"})");
  auto got = c->get(base + "/Patient/head-1");
  auto head = c->request("HEAD", base + "/Patient/head-1", "", {});
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.header("etag") == got.header("etag"));
  CHECK(head.header("content-length") == std::to_string(got.body.size()));
  CHECK(c->request("HEAD", base + "/Patient/head-none", "", {}).status == 404);
  CHECK(c->request("HEAD", base + "/metadata", "", {}).status == 200);
  // The connection is still in step: the next answer is the next request's.
  CHECK(c->get(base + "/Patient/head-1").body == got.body);
}

TEST_CASE("transaction: references in PATCH entries are resolved", "[e2e][transaction]") {
  auto c = shared_node().client();
  put(*c, "Patient", "tx-pref", R"({"resourceType":"Patient","id":"tx-pref"})");
  put(*c, "Patient", "tx-pref2", R"({"resourceType":"Patient","id":"tx-pref2"})");
  const std::string org_urn = "urn:uuid:7d9c0e9e-0000-4000-8000-00000000a001";
  // FHIRPath Patch: a valueReference to the Organization the Bundle creates.
  auto fhirpath = R"({"resourceType":"Parameters","parameter":[{"name":"operation","part":[)"
                  R"({"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},)"
                  R"({"name":"name","valueString":"managingOrganization"},)"
                  R"({"name":"value","valueReference":{"reference":")" + org_urn + R"("}}]}]})";
  // JSON Patch, as the client wrote it (spaces included), base64:
  // [{"op": "add", "path": "/managingOrganization", "value": {"reference": "<org_urn>"}}]
  const std::string json_patch = R"([{"op": "add", "path": "/managingOrganization", "value": )"
                                 R"({"reference": ")" + org_urn + R"("}}])";
  static constexpr char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string encoded;
  for (std::size_t i = 0; i < json_patch.size(); i += 3) {
    const auto n = json_patch.size() - i;
    std::uint32_t v = static_cast<unsigned char>(json_patch[i]) << 16;
    if (n > 1) v |= static_cast<unsigned char>(json_patch[i + 1]) << 8;
    if (n > 2) v |= static_cast<unsigned char>(json_patch[i + 2]);
    encoded += b64[(v >> 18) & 63];
    encoded += b64[(v >> 12) & 63];
    encoded += n > 1 ? b64[(v >> 6) & 63] : '=';
    encoded += n > 2 ? b64[v & 63] : '=';
  }
  auto binary = R"({"resourceType":"Binary","contentType":"application/json-patch+json","data":")" +
                encoded + R"("})";
  auto r = c->post(base, transaction({
    entry("POST", "Organization", R"({"resourceType":"Organization","name":"Patched in"})",
          org_urn),
    entry("PATCH", "Patient/tx-pref", fhirpath),
    entry("PATCH", "Patient/tx-pref2", binary),
  }), fhir_json);
  INFO(r.body);
  REQUIRE(r.status == 200);
  const auto org = reference_of(json{r.body}.str("/entry/0/response/location"));
  REQUIRE(org.starts_with("Organization/"));
  for (auto id : {"tx-pref", "tx-pref2"}) {
    json p{c->get(base + "/Patient/" + id).body};
    CHECK(p.str("/managingOrganization/reference") == org);
  }
}

TEST_CASE("transaction: two entries creating by the same criteria are refused",
          "[e2e][transaction]") {
  auto c = shared_node().client();
  auto body = R"({"resourceType":"Patient","identifier":[{"system":"urn:dupc","value":"1"}]})";
  auto two_puts = c->post(base, transaction({
    entry("PUT", "Patient?identifier=urn:dupc|1", body),
    entry("PUT", "Patient?identifier=urn:dupc|1", body),
  }), fhir_json);
  CHECK(two_puts.status == 400);
  CHECK(two_puts.body.find("same criteria") != std::string::npos);
  auto put_and_post = c->post(base, transaction({
    entry("PUT", "Patient?identifier=urn:dupc|1", body),
    entry("POST", "Patient", body, {}, R"(,"ifNoneExist":"identifier=urn:dupc|1")"),
  }), fhir_json);
  CHECK(put_and_post.status == 400);
  CHECK(checked_search(*c, "Patient", {{"identifier", "urn:dupc|1"}}).match_set().empty());
  // Once one exists, both update it... and writing one resource twice is refused.
  REQUIRE(c->post(base + "/Patient", body, fhir_json).status == 201);
  CHECK(c->post(base, transaction({
    entry("PUT", "Patient?identifier=urn:dupc|1", body),
    entry("PUT", "Patient?identifier=urn:dupc|1", body),
  }), fhir_json).status == 400);
  CHECK(checked_search(*c, "Patient", {{"identifier", "urn:dupc|1"}}).match_set().size() == 1);
}

TEST_CASE("transaction: a failing read fails it, before anything is written",
          "[e2e][transaction]") {
  auto c = shared_node().client();
  const auto before = history_total(*c);
  auto missing = c->post(base, transaction({
    entry("POST", "Patient", R"({"resourceType":"Patient","active":true})"),
    entry("GET", "Patient/tx-read-none", ""),
  }), fhir_json);
  CHECK(missing.status == 404);
  CHECK(missing.body.find("Bundle.entry[1]") != std::string::npos);
  auto unsupported = c->post(base, transaction({
    entry("POST", "Patient", R"({"resourceType":"Patient","active":true})"),
    entry("GET", "Patient?_content=x", ""),
  }), fhir_json);
  CHECK(unsupported.status == 501);
  CHECK(history_total(*c) == before); // nothing written

  // Reads run after the writes, so a read of what the Bundle itself deletes
  // would fail inside a committed transaction: the transaction fails
  // instead, before anything is written, by id or by criteria.
  put(*c, "Patient", "tx-read-del",
      R"({"resourceType":"Patient","id":"tx-read-del","identifier":[{"system":"urn:rd","value":"1"}]})");
  for (const auto& url : {std::string{"Patient/tx-read-del"}, std::string{"Patient?identifier=urn:rd|1"}}) {
    auto deleted = c->post(base, transaction({
      entry("DELETE", url, ""),
      entry("GET", "Patient/tx-read-del", ""),
    }), fhir_json);
    INFO(deleted.body);
    CHECK(deleted.status == 410);
    CHECK(deleted.body.find("Bundle.entry[1]") != std::string::npos);
    CHECK(c->get(base + "/Patient/tx-read-del").status == 200);
  }
  // With its history gone, a read of an old version fails too (404); a
  // search of the deleted resource's type does not.
  auto hard = c->post(base, transaction({
    entry("DELETE", "Patient/tx-read-del?hardDelete=true", ""),
    entry("GET", "Patient/tx-read-del/_history/1", ""),
  }), fhir_json);
  CHECK(hard.status == 404);
  CHECK(c->get(base + "/Patient/tx-read-del").status == 200);
  auto searched = c->post(base, transaction({
    entry("DELETE", "Patient/tx-read-del", ""),
    entry("GET", "Patient?_id=tx-read-del", ""),
  }), fhir_json);
  REQUIRE(searched.status == 200);
  CHECK(json{searched.body}.str("/entry/0/response/status") == "204 No Content");
  CHECK(c->get(base + "/Patient/tx-read-del").status == 410);
}

TEST_CASE("transaction: a conditional reference matches nothing the Bundle deletes",
          "[e2e][transaction]") {
  auto c = shared_node().client();
  put(*c, "Patient", "tx-cref-gone",
      R"({"resourceType":"Patient","id":"tx-cref-gone","identifier":[{"system":"urn:cref","value":"z"}]})");
  auto obs = R"({"resourceType":"Observation","status":"final","code":{"text":"x"},)"
             R"("subject":{"reference":"Patient?identifier=urn:cref|z"}})";
  // DELETE runs first (R4), so the reference finds no patient: the whole
  // transaction fails and the patient stays.
  auto r = c->post(base, transaction({
    entry("POST", "Observation", obs),
    entry("DELETE", "Patient/tx-cref-gone", ""),
  }), fhir_json);
  CHECK(r.status == 404);
  CHECK(r.body.find("matches no resource") != std::string::npos);
  CHECK(c->get(base + "/Patient/tx-cref-gone").status == 200);
}

TEST_CASE("batch answers: lastModified under every Prefer, no empty entry array",
          "[e2e][transaction]") {
  auto c = shared_node().client();
  auto batch = transaction({entry("POST", "Patient", R"({"resourceType":"Patient"})"),
                            entry("PUT", "Patient/batch-lm", R"({"resourceType":"Patient","id":"batch-lm"})")});
  batch.replace(batch.find("transaction"), 11, "batch");
  for (auto prefer : {"return=minimal", "return=OperationOutcome", "return=representation"}) {
    INFO(prefer);
    auto headers = fhir_json;
    headers.emplace_back("Prefer", prefer);
    auto r = c->post(base, batch, headers);
    REQUIRE(r.status == 200);
    json answer{r.body};
    REQUIRE(answer.count("/entry") == 2);
    for (int i = 0; i < 2; ++i) {
      auto at = "/entry/" + std::to_string(i) + "/response/lastModified";
      CHECK(answer.str(at).ends_with("Z"));
      CHECK(answer.str(at).size() >= 20);
    }
  }
  for (auto type : {"transaction", "batch"}) {
    auto r = c->post(base, std::string{R"({"resourceType":"Bundle","type":")"} + type + R"("})",
                     fhir_json);
    REQUIRE(r.status == 200);
    CHECK(r.body.find("\"entry\"") == std::string::npos);
    CHECK(json{r.body}.str("/type") == std::string{type} + "-response");
  }
}

TEST_CASE("transaction: a conditional delete with _count removes every match, up to it",
          "[e2e][transaction]") {
  auto c = shared_node().client();
  const std::string system = "http://example.org/tx-multi";
  for (int i = 0; i < 3; ++i) {
    auto body = R"({"resourceType":"Patient","identifier":[{"system":")" + system +
                R"(","value":"m"}]})";
    REQUIRE(c->post(base + "/Patient", body, fhir_json).status == 201);
  }
  const auto criteria = "Patient?identifier=" + system + "|m";
  auto count = [&] {
    return json{c->get(base + "/" + criteria + "&_total=accurate").body}.count("/entry");
  };
  REQUIRE(count() == 3);
  // Without _count, or with too small a one, several matches refuse it whole.
  for (auto url : {criteria, criteria + "&_count=2"}) {
    INFO(url);
    CHECK(c->post(base, transaction({entry("DELETE", url, "")}), fhir_json).status == 412);
    CHECK(count() == 3);
  }
  auto r = c->post(base, transaction({entry("DELETE", criteria + "&_count=10", ""),
                                      entry("POST", "Patient", R"({"resourceType":"Patient"})")}),
                   fhir_json);
  REQUIRE(r.status == 200);
  json answer{r.body};
  CHECK(answer.str("/entry/0/response/status").starts_with("204"));
  CHECK(answer.str("/entry/1/response/status").starts_with("201"));
  CHECK(count() == 0);
}

TEST_CASE("transaction: a conditional reference names what another entry creates by its criteria",
          "[e2e][transaction]") {
  auto c = shared_node().client();
  auto patient = R"({"resourceType":"Patient","identifier":[{"system":"urn:cref-new","value":"1"}]})";
  // The reference writes the same criteria otherwise: escaped, another order.
  auto obs = R"({"resourceType":"Observation","status":"final","code":{"text":"x"},)"
             R"("subject":{"reference":"Patient?_tag:missing=true&identifier=urn:cref-new%7C1"}})";
  auto practitioner = R"({"resourceType":"Practitioner","identifier":[{"system":"urn:cref-new","value":"2"}]})";
  auto encounter = R"({"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},)"
                   R"("participant":[{"individual":{"reference":"Practitioner?identifier=urn:cref-new|2"}}]})";
  auto r = c->post(base, transaction({
    entry("POST", "Observation", obs),
    entry("POST", "Patient", patient, {},
          R"(,"ifNoneExist":"identifier=urn:cref-new|1&_tag:missing=true")"),
    entry("POST", "Encounter", encounter),
    entry("PUT", "Practitioner?identifier=urn:cref-new|2", practitioner),
  }), fhir_json);
  INFO(r.body);
  REQUIRE(r.status == 200);
  json b{r.body};
  const auto patient_ref = reference_of(b.str("/entry/1/response/location"));
  const auto practitioner_ref = reference_of(b.str("/entry/3/response/location"));
  CHECK(json{c->get(base + "/" + reference_of(b.str("/entry/0/response/location"))).body}
          .str("/subject/reference") == patient_ref);
  CHECK(json{c->get(base + "/" + reference_of(b.str("/entry/2/response/location"))).body}
          .str("/participant/0/individual/reference") == practitioner_ref);
  // Sent again, the criteria find the stored patient: no second one.
  auto again = c->post(base, transaction({
    entry("POST", "Observation", obs),
    entry("POST", "Patient", patient, {},
          R"(,"ifNoneExist":"identifier=urn:cref-new|1&_tag:missing=true")"),
  }), fhir_json);
  REQUIRE(again.status == 200);
  CHECK(json{again.body}.str("/entry/1/response/status").starts_with("200"));
  CHECK(checked_search(*c, "Patient", {{"identifier", "urn:cref-new|1"}}).match_set().size() == 1);
}

TEST_CASE("transaction: an entry whose resource breaks R4's structure fails it, named to the element",
          "[e2e][transaction]") {
  auto c = shared_node().client();
  const auto before = history_total(*c);
  auto r = c->post(base, transaction({
    entry("POST", "Patient", R"({"resourceType":"Patient","active":true})"),
    entry("POST", "Observation", R"({"resourceType":"Observation","code":{"text":"x"}})"),
  }), fhir_json);
  CHECK(r.status == 400);
  CHECK(json{r.body}.str("/issue/0/expression/0") == "Bundle.entry[1].resource.status");
  CHECK(history_total(*c) == before); // nothing written
}

TEST_CASE("transaction: fullUrls are rewritten only where R4 says, not in a Bundle stored by it",
          "[e2e][transaction]") {
  auto c = shared_node().client();
  const std::string patient_urn = "urn:uuid:7a000000-0000-4000-8000-000000000001";
  const std::string inner_urn = "urn:uuid:7a000000-0000-4000-8000-000000000002";
  // A document-like Bundle stored by the transaction: its references are to
  // its own entries and stay as written; the transaction's own urn is
  // replaced where it is a reference or a uri, and not in string elements.
  const std::string inner =
    R"({"resourceType":"Bundle","type":"collection","identifier":{"system":"urn:ietf:rfc:3986",)"
    R"("value":")" + patient_urn + R"("},"entry":[{"fullUrl":")" + inner_urn +
    R"(","resource":{"resourceType":"Patient"}},{"resource":{"resourceType":"Observation",)"
    R"("status":"final","code":{"text":"x"},"subject":{"reference":")" + inner_urn + R"("}}}]})";
  auto r = c->post(base, transaction({
    entry("POST", "Patient",
          R"({"resourceType":"Patient","identifier":[{"system":"urn:ietf:rfc:3986","value":")" +
            patient_urn + R"("}],"name":[{"family":")" + patient_urn + R"("}]})",
          patient_urn),
    entry("POST", "Bundle", inner),
    entry("POST", "Basic",
          R"({"resourceType":"Basic","code":{"text":"y"},"subject":{"reference":")" + patient_urn +
            R"("},"implicitRules":")" + patient_urn + R"("})"),
  }), fhir_json);
  INFO(r.body);
  REQUIRE(r.status == 200);
  json answer{r.body};
  const auto patient = reference_of(answer.str("/entry/0/response/location"));
  auto stored_patient = json{c->get(base + "/" + patient).body};
  CHECK(stored_patient.str("/identifier/0/value") == patient_urn); // a string: kept
  CHECK(stored_patient.str("/name/0/family") == patient_urn);
  auto stored_bundle = c->get(base + "/" + reference_of(answer.str("/entry/1/response/location")));
  CHECK(json{stored_bundle.body}.str("/entry/1/resource/subject/reference") == inner_urn);
  CHECK(json{stored_bundle.body}.str("/identifier/value") == patient_urn);
  auto basic = json{c->get(base + "/" + reference_of(answer.str("/entry/2/response/location"))).body};
  CHECK(basic.str("/subject/reference") == patient);
  CHECK(basic.str("/implicitRules") == patient); // a uri: replaced
}

TEST_CASE("transaction: a PUT's absolute fullUrl must agree with its resource's id",
          "[e2e][transaction]") {
  auto c = shared_node().client();
  auto r = c->post(base, transaction({
    entry("PUT", "Patient/tx-fu-b", R"({"resourceType":"Patient","id":"tx-fu-b"})",
          "http://example.org/fhir/Patient/tx-fu-a"),
  }), fhir_json);
  CHECK(r.status == 400);
  CHECK(r.body.find("disagrees") != std::string::npos);
  CHECK(c->get(base + "/Patient/tx-fu-b").status == 404);
  CHECK(c->post(base, transaction({
    entry("PUT", "Patient/tx-fu-b", R"({"resourceType":"Patient","id":"tx-fu-b"})",
          "http://example.org/fhir/Patient/tx-fu-b"),
  }), fhir_json).status == 200);
}

TEST_CASE("transaction: a read's url names what the Bundle creates by its urn",
          "[e2e][transaction]") {
  auto c = shared_node().client();
  const std::string urn = "urn:uuid:7a000000-0000-4000-8000-0000000000a1";
  auto r = c->post(base, transaction({
    entry("POST", "Patient", R"({"resourceType":"Patient","name":[{"family":"Txreadurn"}]})", urn),
    entry("POST", "Observation",
          R"({"resourceType":"Observation","status":"final","code":{"text":"txreadurn"},)"
          R"("subject":{"reference":")" + urn + R"("}})"),
    entry("GET", "Observation?subject=" + urn, ""),
  }), fhir_json);
  INFO(r.body);
  REQUIRE(r.status == 200);
  json b{r.body};
  CHECK(b.str("/entry/2/response/status") == "200 OK");
  CHECK(b.count("/entry/2/resource/entry") == 1);
  CHECK(b.str("/entry/2/resource/entry/0/resource/subject/reference") ==
        reference_of(b.str("/entry/0/response/location")));

  // A urn that begins another is no part of it; a percent-encoded one counts.
  r = c->post(base, transaction({
    entry("POST", "Patient", R"({"resourceType":"Patient"})", "urn:oid:1.2.77"),
    entry("POST", "Patient", R"({"resourceType":"Patient"})", "urn:oid:1.2.77.4"),
    entry("POST", "Observation",
          R"({"resourceType":"Observation","status":"final","code":{"text":"txoid"},)"
          R"("subject":{"reference":"urn:oid:1.2.77.4"}})"),
    entry("GET", "Observation?subject=urn:oid:1.2.77.4", ""),
    entry("GET", "Observation?subject=urn%3Aoid%3A1.2.77.4", ""),
  }), fhir_json);
  INFO(r.body);
  REQUIRE(r.status == 200);
  json oids{r.body};
  CHECK(oids.count("/entry/3/resource/entry") == 1);
  CHECK(oids.count("/entry/4/resource/entry") == 1);
  CHECK(oids.str("/entry/3/resource/entry/0/resource/subject/reference") ==
        reference_of(oids.str("/entry/1/response/location")));
}

namespace {

/// Stores `bundle` and checks that its first entry's subject names what its
/// second entry created.
void check_subject_is_second_entry(http_client& c, const std::string& bundle) {
  auto r = c.post(base, bundle, fhir_json);
  INFO(r.body);
  REQUIRE(r.status == 200);
  json b{r.body};
  auto stored = json{c.get(base + "/" + reference_of(b.str("/entry/0/response/location"))).body};
  CHECK(stored.str("/subject/reference") == reference_of(b.str("/entry/1/response/location")));
}

} // namespace

TEST_CASE("transaction: criteria resolved after the POSTs see what the POSTs create",
          "[e2e][transaction]") {
  // R4 runs POSTs first and resolves conditional updates and references
  // after them (criteria are matched against the POSTs' index entries).
  auto c = shared_node().client();
  const auto patient = [](const std::string& value) {
    return R"({"resourceType":"Patient","identifier":[{"system":"urn:txpost","value":")" + value +
           R"("}]})";
  };
  // A conditional PUT that would update what a POST creates: one resource
  // written twice, so the transaction fails and nothing is stored.
  auto overlap = c->post(base, transaction({
    entry("PUT", "Patient?identifier=urn:txpost|1", patient("1")),
    entry("POST", "Patient", patient("1")),
  }), fhir_json);
  CHECK(overlap.status == 400);
  CHECK(overlap.body.find("Bundle.entry[0]") != std::string::npos);
  CHECK(overlap.body.find("which Bundle.entry[1] creates") != std::string::npos);
  CHECK(checked_search(*c, "Patient", {{"identifier", "urn:txpost|1"}}).match_set().empty());

  // A conditional reference names the resource a plain POST creates.
  auto obs = R"({"resourceType":"Observation","status":"final","code":{"text":"txpost"},)"
             R"("subject":{"reference":"Patient?identifier=urn:txpost|2"}})";
  check_subject_is_second_entry(*c, transaction({
    entry("POST", "Observation", obs),
    entry("POST", "Patient", patient("2")),
  }));

  // Stored and created alike: two matches, 412.
  auto twice = c->post(base, transaction({
    entry("POST", "Observation", obs),
    entry("POST", "Patient", patient("2")),
  }), fhir_json);
  CHECK(twice.status == 412);
  CHECK(checked_search(*c, "Patient", {{"identifier", "urn:txpost|2"}}).match_set().size() == 1);
  // So is a conditional PUT whose criteria find a stored one and a created one.
  auto put_twice = c->post(base, transaction({
    entry("PUT", "Patient?identifier=urn:txpost|2", patient("2")),
    entry("POST", "Patient", patient("2")),
  }), fhir_json);
  CHECK(put_twice.status == 412);
}

TEST_CASE("transaction: criteria of any parameter a search decides per resource see the POSTs",
          "[e2e][transaction]") {
  auto c = shared_node().client();
  const auto patient = [](const std::string& family, const std::string& birth) {
    return R"({"resourceType":"Patient","name":[{"family":")" + family +
           R"("}],"birthDate":")" + birth + R"("})";
  };
  // A conditional reference by name and birth date names the Patient a POST
  // of the same Bundle creates.
  auto obs = R"({"resourceType":"Observation","status":"final","code":{"text":"txposts"},)"
             R"("subject":{"reference":"Patient?family=Txpostfam&birthdate=1961-02-03"}})";
  check_subject_is_second_entry(*c, transaction({
    entry("POST", "Observation", obs),
    entry("POST", "Patient", patient("Txpostfam", "1961-02-03")),
    entry("POST", "Patient", patient("Txpostfam", "1977-07-07")),
  }));
  // A conditional PUT whose date criteria match what a POST creates would
  // write one resource twice: refused, nothing stored.
  auto overlap = c->post(base, transaction({
    entry("PUT", "Patient?family=Txpostother&birthdate=ge2000", patient("Txpostother", "2003-01-01")),
    entry("POST", "Patient", patient("Txpostother", "2004-05-06")),
  }), fhir_json);
  CHECK(overlap.status == 400);
  CHECK(overlap.body.find("which Bundle.entry[1] creates") != std::string::npos);
  CHECK(checked_search(*c, "Patient", {{"family", "txpostother"}}).match_set().empty());
}
