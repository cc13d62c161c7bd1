// Custom search parameters: a SearchParameter posted to the service is
// checked when written, becomes searchable after a $reindex job (status URL,
// existing resources re-indexed, new writes indexed), survives a restart,
// and stops being searchable once deleted and re-indexed again.
#include <chrono>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"
#include "tests/e2e/search_data.hpp"

using namespace e2e;
using namespace e2e::search_data;

namespace {

const std::string maiden_ext = "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName";

std::string search_parameter(const std::string& code, const std::string& base_type,
                             const std::string& type, const std::string& expression) {
  return R"({"resourceType":"SearchParameter","url":"http://example.org/sp/)" + code +
         R"(","name":")" + code + R"(","description":"test","status":"active","code":")" + code + R"(","base":[")" +
         base_type + R"("],"type":")" + type + R"(","expression":")" + expression + R"("})";
}

const std::string maiden_param = search_parameter(
  "mothers-maiden-name", "Patient", "string",
  "Patient.extension.where(url='" + maiden_ext + "').value");

std::string patient(const std::string& id, const std::string& maiden) {
  std::string ext = maiden.empty() ? ""
                                   : R"(,"extension":[{"url":")" + maiden_ext +
                                       R"(","valueString":")" + maiden + R"("}])";
  return R"({"resourceType":"Patient","id":")" + id + R"(","name":[{"family":"Custom"}])" + ext +
         "}";
}

/// Starts a $reindex job and waits until its status URL says it is done.
json reindex(http_client& c) {
  auto started = c.post(base + "/$reindex", "");
  INFO(started.body);
  REQUIRE(started.status == 201);
  auto location = started.header("content-location");
  REQUIRE(location);
  {
    json body{started.body};
    CHECK(body.str("/resourceType") == "Parameters");
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (true) {
    auto res = c.get(target_of(*location));
    INFO(res.body);
    REQUIRE(res.status == 200);
    if (res.body.find("\"Running\"") == std::string::npos) return json{res.body};
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string parameter(const json& parameters, const std::string& name) {
  for (std::size_t i = 0; i < parameters.count("/parameter"); ++i) {
    auto at = "/parameter/" + std::to_string(i);
    if (parameters.str(at + "/name") == name) {
      auto s = parameters.str(at + "/valueString");
      return s.empty() ? std::to_string(parameters.num(at + "/valueDecimal")) : s;
    }
  }
  return "";
}

id_set maiden(http_client& c, const std::string& value, const std::string& modifier = "") {
  return checked_search(c, "Patient", {{"mothers-maiden-name" + modifier, value}}).match_set();
}

} // namespace

TEST_CASE("custom search parameters: SearchParameter, $reindex, search, restart",
          "[e2e][search][custom]") {
  node n;
  auto c = n.client();
  put(*c, "Patient", "mm-1", patient("mm-1", "Smith"));
  put(*c, "Patient", "mm-2", patient("mm-2", "Jones"));
  put(*c, "Patient", "mm-3", patient("mm-3", ""));
  put(*c, "Observation", "mm-o", R"({"resourceType":"Observation","id":"mm-o","status":"final",)"
                                 R"("code":{"text":"x"}})");

  auto posted = c->post(base + "/SearchParameter", maiden_param);
  INFO(posted.body);
  REQUIRE(posted.status == 201);
  auto param_location = posted.header("location");
  REQUIRE(param_location);
  auto param_path = target_of(*param_location);
  param_path = param_path.substr(0, param_path.find("/_history"));

  SECTION("before $reindex the parameter is unknown: ignored with a warning, 400 when strict") {
    auto r = search(*c, "Patient", {{"mothers-maiden-name", "Smith"}});
    CHECK(r.status == 200);
    CHECK(r.outcomes.size() == 1);
    auto strict = c->get(base + "/Patient?mothers-maiden-name=Smith",
                         {{"Prefer", "handling=strict"}});
    CHECK(strict.status == 400);
  }

  auto done = reindex(*c);
  CHECK(parameter(done, "status") == "Completed");
  CHECK(parameter(done, "resources") == "Patient");
  CHECK(parameter(done, "resourcesSuccessfullyReindexed") == "3");
  CHECK(done.has("/parameter/2")); // queuedTime, endTime, …

  SECTION("existing resources are found, with the string parameter's modifiers") {
    CHECK(maiden(*c, "Smith") == ids({"mm-1"}));
    CHECK(maiden(*c, "smi") == ids({"mm-1"}));
    CHECK(maiden(*c, "Smith", ":exact") == ids({"mm-1"}));
    CHECK(maiden(*c, "smith", ":exact").empty());
    CHECK(maiden(*c, "true", ":missing") == ids({"mm-3"}));
    CHECK(maiden(*c, "Jones,Smith") == ids({"mm-1", "mm-2"}));
  }

  SECTION("new writes are indexed by it; updates replace its entries") {
    put(*c, "Patient", "mm-4", patient("mm-4", "Smithers"));
    put(*c, "Patient", "mm-1", patient("mm-1", "Brown"));
    CHECK(maiden(*c, "Smith") == ids({"mm-4"}));
    CHECK(maiden(*c, "Brown") == ids({"mm-1"}));
    CHECK(c->del(base + "/Patient/mm-4").status == 204);
    CHECK(maiden(*c, "Smith").empty());
  }

  SECTION("the CapabilityStatement lists it") {
    auto cap = c->get(base + "/metadata");
    CHECK(cap.body.find("\"http://example.org/sp/mothers-maiden-name\"") != std::string::npos);
  }

  SECTION("it survives a restart, for searches and for new writes") {
    REQUIRE(n.stop() == 0);
    n.start();
    c = n.client();
    CHECK(maiden(*c, "Smith") == ids({"mm-1"}));
    put(*c, "Patient", "mm-5", patient("mm-5", "Smith"));
    CHECK(maiden(*c, "Smith") == ids({"mm-1", "mm-5"}));
  }

  SECTION("deleted and re-indexed, it is unknown again") {
    REQUIRE(c->del(param_path).status == 204);
    auto again = reindex(*c);
    CHECK(parameter(again, "status") == "Completed");
    auto r = search(*c, "Patient", {{"mothers-maiden-name", "Smith"}});
    CHECK(r.status == 200);
    CHECK(r.outcomes.size() == 1);
    CHECK(r.match_set() == ids({"mm-1", "mm-2", "mm-3"}));
  }

  SECTION("a changed definition is searched by its new values only, once re-indexed") {
    put(*c, "Patient", "mm-6",
        R"({"resourceType":"Patient","id":"mm-6","name":[{"family":"Custom"}],)"
        R"("extension":[{"url":"http://example.org/ext/birth-surname","valueString":"Smith"}]})");
    auto changed = maiden_param;
    auto at = changed.find(maiden_ext);
    changed.replace(at, maiden_ext.size(), "http://example.org/ext/birth-surname");
    auto id = param_path.substr(param_path.rfind('/') + 1);
    changed.insert(1, R"("id":")" + id + R"(",)");
    REQUIRE(c->put(param_path, changed).status == 200);
    CHECK(maiden(*c, "Smith") == ids({"mm-1"})); // the old definition until the job is done
    auto again = reindex(*c);
    CHECK(parameter(again, "status") == "Completed");
    CHECK(maiden(*c, "Smith") == ids({"mm-6"}));
    CHECK(maiden(*c, "Jones").empty());
  }

  SECTION("a job with nothing to change completes at once") {
    auto again = reindex(*c);
    CHECK(parameter(again, "status") == "Completed");
    CHECK(parameter(again, "resourcesSuccessfullyReindexed") == "0");
    CHECK(maiden(*c, "Smith") == ids({"mm-1"}));
  }
}

TEST_CASE("custom search parameters: bad SearchParameters are refused when written",
          "[e2e][search][custom]") {
  auto c = shared_node().client();
  auto post = [&](const std::string& body) {
    auto res = c->post(base + "/SearchParameter", body);
    INFO(res.body);
    return res.status;
  };
  CHECK(post(search_parameter("bad-expr", "Patient", "string", "Patient.name.where(")) == 400);
  CHECK(post(search_parameter("name", "Patient", "string", "Patient.name.family")) == 400);
  CHECK(post(search_parameter("odd-base", "NotAType", "string", "NotAType.x")) == 400);
  CHECK(post(search_parameter("odd-type", "Patient", "colour", "Patient.name")) == 400);
  CHECK(post(R"({"resourceType":"SearchParameter","url":"http://example.org/sp/no-code",)"
             R"("name":"no-code","description":"test","status":"active","base":["Patient"],"type":"string","expression":"Patient.name"})") ==
        400);
  // A retired parameter is kept as any resource: it is never activated.
  CHECK(post(R"({"resourceType":"SearchParameter","url":"http://example.org/sp/old",)"
             R"("name":"old","description":"test","status":"retired","code":"name","base":["Patient"],"type":"string",)"
             R"("expression":"Patient.name"})") == 201);
  auto status = c->get(base + "/_operations/reindex/no-such-job");
  CHECK(status.status == 404);
  CHECK(c->get(base + "/$reindex").status == 405);
}

TEST_CASE("custom search parameters: a job interrupted by kill -9 resumes after the restart",
          "[e2e][search][custom]") {
  node n;
  auto c = n.client();
  constexpr int count = 3000;
  for (int i = 0; i < count; ++i) {
    auto id = "k-" + std::to_string(i);
    put(*c, "Patient", id, patient(id, i % 3 == 0 ? "Smith" : "Jones"));
  }
  REQUIRE(c->post(base + "/SearchParameter", maiden_param).status == 201);
  auto started = c->post(base + "/$reindex", "");
  REQUIRE(started.status == 201);
  auto location = started.header("content-location");
  REQUIRE(location);
  n.kill(); // wherever the job was: not started, half-way or done
  n.start();
  c = n.client();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::string body;
  while (true) {
    auto res = c->get(target_of(*location));
    REQUIRE(res.status == 200);
    body = res.body;
    if (body.find("\"Running\"") == std::string::npos) break;
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  INFO(body);
  CHECK(body.find("\"Completed\"") != std::string::npos);
  auto r = checked_search(*c, "Patient", {{"mothers-maiden-name", "Smith"}, {"_count", "1000"},
                                          {"_total", "accurate"}});
  CHECK(r.total == count / 3);
  CHECK(r.matches.size() == count / 3);
}

TEST_CASE("parts: family, given, address-city, phone, email read their parent's tagged entries",
          "[e2e][search]") {
  auto c = shared_node().client();
  put(*c, "Patient", "part-1",
      R"({"resourceType":"Patient","id":"part-1","name":[{"family":"Quillfeather","given":["Ada"]}],)"
      R"("address":[{"city":"Thornbury","state":"Avon"}]})");
  put(*c, "Patient", "part-2",
      R"({"resourceType":"Patient","id":"part-2","name":[{"family":"Ada","given":["Quillfeather"]}],)"
      R"("address":[{"city":"Avon","state":"Thornbury"}]})");
  put(*c, "Patient", "part-3",
      R"({"resourceType":"Patient","id":"part-3","name":[{"text":"Quillfeather Ada"}],)"
      R"("telecom":[{"system":"phone","value":"555-0101"},{"system":"fax","value":"555-0102"}]})");
  put(*c, "Patient", "part-4",
      R"({"resourceType":"Patient","id":"part-4","telecom":[{"system":"fax","value":"555-0101"},)"
      R"({"system":"email","value":"q@example.org"}]})");
  auto run = [&](const std::string& param, const std::string& value) {
    return checked_search(*c, "Patient", {{param, value}, {"_id", "part-1,part-2,part-3,part-4"}})
      .match_set();
  };
  CHECK(run("family", "quillfeather") == ids({"part-1"}));
  CHECK(run("given", "quillfeather") == ids({"part-2"}));
  CHECK(run("name", "quillfeather") == ids({"part-1", "part-2", "part-3"}));
  CHECK(run("family:exact", "Ada") == ids({"part-2"}));
  CHECK(run("given:contains", "uillfeat") == ids({"part-2"}));
  CHECK(run("family:missing", "true") == ids({"part-3", "part-4"}));
  CHECK(run("phone", "555-0101") == ids({"part-3"}));
  CHECK(run("telecom", "555-0101") == ids({"part-3", "part-4"}));
  CHECK(run("email", "q@example.org") == ids({"part-4"}));
  CHECK(run("phone", "555-0102").empty()); // a fax number
  CHECK(run("email:missing", "true") == ids({"part-1", "part-2", "part-3"}));
  CHECK(run("phone:not", "555-0101") == ids({"part-1", "part-2", "part-4"}));
  CHECK(run("address-city", "thornbury") == ids({"part-1"}));
  CHECK(run("address-state", "thornbury") == ids({"part-2"}));
  CHECK(run("address", "thornbury") == ids({"part-1", "part-2"}));
  auto sorted = checked_search(*c, "Patient", {{"_id", "part-1,part-2"}, {"_sort", "family"}});
  CHECK(sorted.matches == std::vector<std::string>{"part-2", "part-1"}); // Ada, Quillfeather
  auto by_given = checked_search(*c, "Patient", {{"_id", "part-1,part-2"}, {"_sort", "given"}});
  CHECK(by_given.matches == std::vector<std::string>{"part-1", "part-2"}); // Ada, Quillfeather
}
