// token:in and token:not-in against ValueSets stored in the service: listed
// concepts, expansions, whole code systems, exclusions and nested ValueSets.
// One node of its own with the shared dataset (search_data.hpp).
#include <string>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"
#include "tests/e2e/search_data.hpp"

using namespace e2e;
using namespace e2e::search_data;

namespace {

std::string value_set(const std::string& id, const std::string& body) {
  return R"({"resourceType":"ValueSet","id":")" + id + R"(","url":"http://example.org/vs/)" + id +
         R"(","version":"1","status":"active",)" + body + "}";
}

std::string concepts(const std::vector<std::string>& codes) {
  std::string out = R"({"system":"http://loinc.org","concept":[)";
  for (auto& c : codes)
    out += (out.back() == '[' ? "" : ",") + std::string{R"({"code":")"} + c + R"("})";
  return out + "]}";
}

struct valueset_node : loaded_node {
  valueset_node() {
    auto c = n.client();
    put(*c, "ValueSet", "labs", value_set("labs", R"("compose":{"include":[)" +
                                                      concepts({"2339-0", "8867-4"}) + "]}"));
    put(*c, "ValueSet", "weight",
        value_set("weight", R"("expansion":{"timestamp":"2026-01-01","contains":[{"system":)"
                            R"("http://loinc.org","code":"29463-7"}]})"));
    put(*c, "ValueSet", "all-loinc",
        value_set("all-loinc", R"("compose":{"include":[{"system":"http://loinc.org"}]})"));
    put(*c, "ValueSet", "loinc-but-glucose",
        value_set("loinc-but-glucose", R"("compose":{"include":[{"system":"http://loinc.org"}],)"
                                       R"("exclude":[)" + concepts({"2339-0"}) + "]}"));
    put(*c, "ValueSet", "nested",
        value_set("nested", R"("compose":{"include":[{"valueSet":["http://example.org/vs/labs"]},)" +
                                concepts({"8310-5"}) + "]}"));
    put(*c, "ValueSet", "filtered",
        value_set("filtered", R"("compose":{"include":[{"system":"http://loinc.org","filter":[)"
                              R"({"property":"COMPONENT","op":"=","value":"Glucose"}]}]})"));
  }
};

id_set coded(std::initializer_list<std::string> codes) {
  return observations_where([&](const observation_spec& o) {
    return o.code_system == loinc && std::find(codes.begin(), codes.end(), o.code) != codes.end();
  });
}

id_set run(http_client& c, const std::string& param, const std::string& value) {
  return checked_search(c, "Observation", {{param, value}}).match_set();
}

} // namespace

TEST_CASE("token :in matches the codes a stored ValueSet names", "[e2e][search]") {
  auto c = fixture<valueset_node>().n.client();
  const std::string vs = "http://example.org/vs/";
  CHECK(run(*c, "code:in", vs + "labs") == coded({"2339-0", "8867-4"}));
  CHECK(run(*c, "code:in", "ValueSet/labs") == coded({"2339-0", "8867-4"}));
  CHECK(run(*c, "code:in", vs + "labs|1") == coded({"2339-0", "8867-4"}));
  CHECK(run(*c, "code:in", vs + "weight") == coded({"29463-7"}));
  CHECK(run(*c, "code:in", vs + "nested") == coded({"2339-0", "8867-4", "8310-5"}));
  auto all_loinc = observations_where([](auto& o) { return o.code_system == loinc; });
  CHECK(run(*c, "code:in", vs + "all-loinc") == all_loinc);
  auto no_glucose = all_loinc;
  for (auto& id : coded({"2339-0"}))
    no_glucose.erase(id);
  CHECK(run(*c, "code:in", vs + "loinc-but-glucose") == no_glucose);
  // OR of two value sets.
  CHECK(run(*c, "code:in", vs + "weight," + vs + "labs") == coded({"2339-0", "8867-4", "29463-7"}));
}

TEST_CASE("token :not-in keeps resources with no code in the ValueSet", "[e2e][search]") {
  auto c = fixture<valueset_node>().n.client();
  auto outside = observations_where([](const observation_spec& o) {
    return !(o.code_system == loinc && (o.code == "2339-0" || o.code == "8867-4"));
  });
  CHECK(run(*c, "code:not-in", "http://example.org/vs/labs") == outside);
}

TEST_CASE("token :in: unknown, mismatched and filtered ValueSets are errors", "[e2e][search]") {
  auto c = fixture<valueset_node>().n.client();
  CHECK(c->get(base + "/Observation?code:in=http://example.org/vs/nope").status == 400);
  CHECK(c->get(base + "/Observation?code:in=http://example.org/vs/labs%7C2").status == 400);
  auto filtered = c->get(base + "/Observation?code:in=http://example.org/vs/filtered");
  CHECK(filtered.status == 501);
  CHECK(filtered.body.find("filter") != std::string::npos);
}

namespace {

/// The dataset plus a fragment of LOINC stored as a CodeSystem, so that
/// ValueSet filters over it can be evaluated.
struct filter_node : loaded_node {
  filter_node() {
    auto c = n.client();
    put(*c, "CodeSystem", "loinc-part",
        R"({"resourceType":"CodeSystem","id":"loinc-part","url":"http://loinc.org",)"
        R"("status":"active","content":"fragment","concept":[)"
        R"({"code":"vitals","concept":[)"
        R"({"code":"8867-4","property":[{"code":"class","valueString":"HRTRATE"}]},)"
        R"({"code":"8310-5"},)"
        R"({"code":"29463-7","property":[{"code":"class","valueString":"BDYWGT"}]}]},)"
        R"({"code":"chem","concept":[)"
        R"({"code":"2339-0","property":[{"code":"class","valueString":"CHEM"}]}]}]})");
    auto filtered = [&](const std::string& id, const std::string& property, const std::string& op,
                        const std::string& value) {
      put(*c, "ValueSet", id,
          value_set(id, R"("compose":{"include":[{"system":"http://loinc.org","filter":[)"
                        R"({"property":")" + property + R"(","op":")" + op + R"(","value":")" +
                            value + R"("}]}]})"));
    };
    filtered("is-a-vitals", "concept", "is-a", "vitals");
    filtered("below-vitals", "concept", "descendent-of", "vitals");
    filtered("not-vitals", "concept", "is-not-a", "vitals");
    filtered("class-chem", "class", "=", "CHEM");
    filtered("starts-8", "concept", "regex", "8.*");
    filtered("listed", "concept", "in", "2339-0,29463-7");
    filtered("above-glucose", "concept", "generalizes", "2339-0");
    filtered("has-class", "class", "exists", "true");
    filtered("bad-regex", "concept", "regex", "(");
  }
};

} // namespace

TEST_CASE("token :in evaluates ValueSet filters over a CodeSystem stored in the service",
          "[e2e][search]") {
  auto c = fixture<filter_node>().n.client();
  const std::string vs = "http://example.org/vs/";
  CHECK(run(*c, "code:in", vs + "is-a-vitals") == coded({"8867-4", "8310-5", "29463-7"}));
  CHECK(run(*c, "code:in", vs + "below-vitals") == coded({"8867-4", "8310-5", "29463-7"}));
  CHECK(run(*c, "code:in", vs + "not-vitals") == coded({"2339-0"}));
  CHECK(run(*c, "code:in", vs + "class-chem") == coded({"2339-0"}));
  CHECK(run(*c, "code:in", vs + "starts-8") == coded({"8867-4", "8310-5"}));
  CHECK(run(*c, "code:in", vs + "listed") == coded({"2339-0", "29463-7"}));
  CHECK(run(*c, "code:in", vs + "above-glucose") == coded({"2339-0"}));
  CHECK(run(*c, "code:in", vs + "has-class") == coded({"8867-4", "29463-7", "2339-0"}));
  // An op R4 does not have is refused when the ValueSet is stored: the
  // filter operators are a required binding.
  auto unknown = c->put(base + "/ValueSet/unknown-op",
                        value_set("unknown-op", R"("compose":{"include":[{"system":"http://loinc.org",)"
                                                R"("filter":[{"property":"concept","op":"sounds-like",)"
                                                R"("value":"vitals"}]}]})"));
  CHECK(unknown.status == 400);
  CHECK(unknown.body.find("filter[0].op") != std::string::npos);
  CHECK(c->get(base + "/Observation?code:in=" + vs + "bad-regex").status == 400);
}
