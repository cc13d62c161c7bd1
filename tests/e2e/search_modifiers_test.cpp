// Modifiers that need more than the value: token :of-type (an Identifier's
// type and value), reference :identifier (a logical reference's identifier),
// token :below/:above (a stored CodeSystem's hierarchy) and reference
// :below/:above (a hierarchy of resources, Location.partOf). A node of its
// own with a handful of resources.
#include <string>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"
#include "tests/e2e/search_data.hpp"

using namespace e2e;
using namespace e2e::search_data;

namespace {

const std::string v2 = "http://terminology.hl7.org/CodeSystem/v2-0203";

std::string patient(const std::string& id, const std::string& type_code, const std::string& value) {
  return R"({"resourceType":"Patient","id":")" + id + R"(","identifier":[{"type":{"coding":[{"system":")" +
         v2 + R"(","code":")" + type_code + R"("}]},"system":"urn:example:ids","value":")" + value +
         R"("}]})";
}

std::string observation(const std::string& id, const std::string& performer_system,
                        const std::string& performer_value) {
  return R"({"resourceType":"Observation","id":")" + id +
         R"(","status":"final","code":{"text":"note"},"performer":[{"identifier":{"system":")" +
         performer_system + R"(","value":")" + performer_value + R"("}}]})";
}

const std::string body_cs = "http://example.org/cs/body";

/// limb > arm > hand > finger (the last by a "parent" property); limb > leg.
std::string code_system() {
  return R"({"resourceType":"CodeSystem","id":"body","url":")" + body_cs +
         R"(","status":"active","content":"complete","concept":[{"code":"limb","concept":[)"
         R"({"code":"arm","concept":[{"code":"hand"}]},{"code":"leg"}]},)"
         R"({"code":"finger","property":[{"code":"parent","valueCode":"hand"}]}]})";
}

std::string coded(const std::string& id, const std::string& system, const std::string& code) {
  return R"({"resourceType":"Condition","id":")" + id + R"(","subject":{"reference":"Patient/mr-1"},)"
         R"("code":{"coding":[{"system":")" + system + R"(","code":")" + code + R"("}]}})";
}

std::string location(const std::string& id, const std::string& part_of) {
  return R"({"resourceType":"Location","id":")" + id + R"(")" +
         (part_of.empty() ? "" : R"(,"partOf":{"reference":"Location/)" + part_of + R"("})") + "}";
}

struct identifier_node {
  node n;
  identifier_node() {
    auto c = n.client();
    // root > a > a1, root > b; x alone; c1 and c2 part of each other.
    for (auto [id, parent] : std::vector<std::pair<std::string, std::string>>{
           {"root", ""}, {"a", "root"}, {"b", "root"}, {"a1", "a"}, {"x", ""}, {"c1", "c2"},
           {"c2", "c1"}})
      put(*c, "Location", id, location(id, parent));
    put(*c, "CodeSystem", "body", code_system());
    put(*c, "Condition", "c-hand", coded("c-hand", body_cs, "hand"));
    put(*c, "Condition", "c-leg", coded("c-leg", body_cs, "leg"));
    put(*c, "Condition", "c-finger", coded("c-finger", body_cs, "finger"));
    put(*c, "Condition", "c-limb", coded("c-limb", body_cs, "limb"));
    put(*c, "Condition", "c-other", coded("c-other", "http://example.org/other", "hand"));
    put(*c, "Patient", "mr-1", patient("mr-1", "MR", "12345"));
    put(*c, "Patient", "dl-1", patient("dl-1", "DL", "12345")); // same value, other type
    put(*c, "Patient", "mr-2", patient("mr-2", "MR", "67890"));
    put(*c, "Observation", "o-1", observation("o-1", "http://example.org/lanr", "111"));
    put(*c, "Observation", "o-2", observation("o-2", "http://example.org/npi", "111"));
  }
};

id_set run(http_client& c, const std::string& type, const std::string& param,
           const std::string& value) {
  return checked_search(c, type, {{param, value}}).match_set();
}

} // namespace

TEST_CASE("token :of-type matches an identifier's type and value together", "[e2e][search]") {
  auto c = fixture<identifier_node>().n.client();
  CHECK(run(*c, "Patient", "identifier:of-type", v2 + "|MR|12345") == ids({"mr-1"}));
  CHECK(run(*c, "Patient", "identifier:of-type", v2 + "|DL|12345") == ids({"dl-1"}));
  CHECK(run(*c, "Patient", "identifier:of-type", v2 + "|MR|67890,"+ v2 + "|DL|12345") ==
        ids({"mr-2", "dl-1"}));
  CHECK(run(*c, "Patient", "identifier:of-type", v2 + "|PPN|12345").empty());
  // The plain token still sees both.
  CHECK(run(*c, "Patient", "identifier", "12345") == ids({"mr-1", "dl-1"}));
  // of-type needs all three parts.
  CHECK(c->get(base + "/Patient?identifier:of-type=MR|12345").status == 400);
}

TEST_CASE("reference :identifier matches logical references", "[e2e][search]") {
  auto c = fixture<identifier_node>().n.client();
  CHECK(run(*c, "Observation", "performer:identifier", "http://example.org/lanr|111") ==
        ids({"o-1"}));
  CHECK(run(*c, "Observation", "performer:identifier", "111") == ids({"o-1", "o-2"}));
  CHECK(run(*c, "Observation", "performer:identifier", "http://example.org/npi|") == ids({"o-2"}));
  CHECK(run(*c, "Observation", "performer:identifier", "http://example.org/npi|222").empty());
  // An update that drops the identifier drops the match.
  put(*c, "Observation", "o-2", observation("o-2", "http://example.org/npi", "333"));
  CHECK(run(*c, "Observation", "performer:identifier", "111") == ids({"o-1"}));
}

TEST_CASE("token :below and :above follow a stored CodeSystem's hierarchy", "[e2e][search]") {
  auto c = fixture<identifier_node>().n.client();
  CHECK(run(*c, "Condition", "code:below", body_cs + "|arm") == ids({"c-hand", "c-finger"}));
  CHECK(run(*c, "Condition", "code:below", body_cs + "|limb") ==
        ids({"c-hand", "c-leg", "c-finger", "c-limb"}));
  CHECK(run(*c, "Condition", "code:below", body_cs + "|leg") == ids({"c-leg"}));
  CHECK(run(*c, "Condition", "code:above", body_cs + "|finger") ==
        ids({"c-finger", "c-hand", "c-limb"}));
  CHECK(run(*c, "Condition", "code:above", body_cs + "|limb") == ids({"c-limb"}));
  // The system is required, and must be a CodeSystem stored here.
  CHECK(c->get(base + "/Condition?code:below=hand").status == 400);
  CHECK(c->get(base + "/Condition?code:below=http://example.org/other%7Chand").status == 400);
}

TEST_CASE("reference :below and :above walk a hierarchy of one type", "[e2e][search]") {
  auto c = fixture<identifier_node>().n.client();
  CHECK(run(*c, "Location", "partof:below", "Location/root") == ids({"a", "b", "a1"}));
  CHECK(run(*c, "Location", "partof:below", "a") == ids({"a1"}));
  CHECK(run(*c, "Location", "partof:below", "Location/x").empty());
  CHECK(run(*c, "Location", "partof:above", "Location/a1") == ids({"a", "root"}));
  CHECK(run(*c, "Location", "partof:above", "Location/root").empty());
  CHECK(run(*c, "Location", "partof:below", "Location/c1") == ids({"c2"})); // a cycle ends
  CHECK(c->get(base + "/Location?partof:below=Organization/1").status == 400);
}

TEST_CASE("_id takes :not and :missing; other modifiers are refused, never ignored",
          "[e2e][search]") {
  auto c = fixture<identifier_node>().n.client();
  CHECK(run(*c, "Patient", "_id:not", "mr-1") == ids({"dl-1", "mr-2"}));
  CHECK(run(*c, "Patient", "_id:not", "mr-1,mr-2") == ids({"dl-1"}));
  CHECK(run(*c, "Patient", "_id:missing", "false") == ids({"mr-1", "dl-1", "mr-2"}));
  CHECK(run(*c, "Patient", "_id:missing", "true").empty());
  CHECK(c->get(base + "/Patient?_id:above=mr-1").status == 400);
  CHECK(c->get(base + "/Patient?_id:text=mr-1").status == 400);
}

TEST_CASE("_text, _content and _query are not claimed and not silently empty",
          "[e2e][search]") {
  auto c = fixture<identifier_node>().n.client();
  // R4 gives them no expression: nothing is indexed for them.
  for (auto param : {"_text", "_content", "_query"}) {
    INFO(param);
    auto r = c->get(base + "/Patient?" + std::string{param} + "=12345");
    CHECK(r.status == 501);
    CHECK(r.body.find("OperationOutcome") != std::string::npos);
  }
  auto meta = c->get(base + "/metadata");
  REQUIRE(meta.status == 200);
  CHECK(meta.body.find(R"("name":"_text")") == std::string::npos);
  CHECK(meta.body.find(R"("name":"_content")") == std::string::npos);
  CHECK(meta.body.find(R"("name":"_id")") != std::string::npos);
  // A conditional delete by an unserved criterion deletes nothing.
  CHECK(c->del(base + "/Patient?_content=12345").status == 501);
  CHECK(run(*c, "Patient", "identifier", "12345") == ids({"mr-1", "dl-1"}));
}
