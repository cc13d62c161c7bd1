// Identifiers as search criteria: token :of-type (an Identifier's type and
// value) and reference :identifier (a logical reference's identifier). A
// node of its own with a handful of resources.
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

struct identifier_node {
  node n;
  identifier_node() {
    auto c = n.client();
    put(*c, "Patient", "mr-1", patient("mr-1", "MR", "12345"));
    put(*c, "Patient", "dl-1", patient("dl-1", "DL", "12345")); // same value, other type
    put(*c, "Patient", "mr-2", patient("mr-2", "MR", "67890"));
    put(*c, "Observation", "o-1", observation("o-1", "http://example.org/lanr", "111"));
    put(*c, "Observation", "o-2", observation("o-2", "http://example.org/npi", "111"));
  }
};

identifier_node& fixture() {
  static identifier_node in;
  return in;
}

id_set run(http_client& c, const std::string& type, const std::string& param,
           const std::string& value) {
  return checked_search(c, type, {{param, value}}).match_set();
}

} // namespace

TEST_CASE("token :of-type matches an identifier's type and value together", "[e2e][search]") {
  auto c = fixture().n.client();
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
  auto c = fixture().n.client();
  CHECK(run(*c, "Observation", "performer:identifier", "http://example.org/lanr|111") ==
        ids({"o-1"}));
  CHECK(run(*c, "Observation", "performer:identifier", "111") == ids({"o-1", "o-2"}));
  CHECK(run(*c, "Observation", "performer:identifier", "http://example.org/npi|") == ids({"o-2"}));
  CHECK(run(*c, "Observation", "performer:identifier", "http://example.org/npi|222").empty());
  // An update that drops the identifier drops the match.
  put(*c, "Observation", "o-2", observation("o-2", "http://example.org/npi", "333"));
  CHECK(run(*c, "Observation", "performer:identifier", "111") == ids({"o-1"}));
}
