// Reference parameters narrowed to one target type (param_registry::narrowed_of):
// Observation `patient` is `subject` to a Patient, Encounter `practitioner` is
// `participant` to a Practitioner. Their local references are read from the
// parent's entries, the rest (absolute URLs, contained and logical
// references) from their own; every way of reading references must see both
// and nothing of the parent's other targets. A node of its own.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"
#include "tests/e2e/search_data.hpp"

using namespace e2e;
using namespace e2e::search_data;

namespace {

std::string observation(const std::string& id, const std::string& code,
                        const std::string& subject, const std::string& extra = "") {
  return R"({"resourceType":"Observation","id":")" + id + R"(","status":"final",)" + extra +
         R"("code":{"coding":[{"system":"urn:narrowed","code":")" + code + R"("}]})" +
         (subject.empty() ? "" : R"(,"subject":)" + subject) + "}";
}

std::string ref(const std::string& target) { return R"({"reference":")" + target + R"("})"; }

std::string encounter(const std::string& id, const std::string& individual) {
  return R"({"resourceType":"Encounter","id":")" + id +
         R"(","status":"finished","class":{"code":"AMB"},"participant":[{"individual":)" +
         ref(individual) + "}]}";
}

struct narrowed_node {
  node n;
  narrowed_node() {
    auto c = n.client();
    put(*c, "Patient", "p1", R"({"resourceType":"Patient","id":"p1","name":[{"given":["Ada"]}]})");
    put(*c, "Patient", "p2", R"({"resourceType":"Patient","id":"p2","name":[{"given":["Bo"]}]})");
    put(*c, "Group", "g1", R"({"resourceType":"Group","id":"g1","type":"person","actual":true})");
    put(*c, "Observation", "o-p1", observation("o-p1", "c1", ref("Patient/p1")));
    put(*c, "Observation", "o-p2", observation("o-p2", "c1", ref("Patient/p2")));
    put(*c, "Observation", "o-group", observation("o-group", "c1", ref("Group/g1")));
    put(*c, "Observation", "o-abs",
        observation("o-abs", "c2", ref("http://other.example.org/fhir/Patient/p1")));
    put(*c, "Observation", "o-contained",
        observation("o-contained", "c2", ref("#cp"),
                    R"("contained":[{"resourceType":"Patient","id":"cp"}],)"));
    put(*c, "Observation", "o-logical",
        observation("o-logical", "c2",
                    R"({"type":"Patient","identifier":{"system":"urn:mrn","value":"42"}})"));
    put(*c, "Observation", "o-none", observation("o-none", "c2", ""));
    put(*c, "Encounter", "e-dr", encounter("e-dr", "Practitioner/dr1"));
    put(*c, "Encounter", "e-rp", encounter("e-rp", "RelatedPerson/rp1"));
  }
};

id_set matches(http_client& c, const std::string& type, const param_list& params) {
  return checked_search(c, type, params).match_set();
}

} // namespace

TEST_CASE("narrowed references: values, :missing, :identifier and chains", "[e2e][search]") {
  auto c = fixture<narrowed_node>().n.client();
  CHECK(matches(*c, "Observation", {{"patient", "p1"}}) == ids({"o-p1"}));
  CHECK(matches(*c, "Observation", {{"patient", "Patient/p1"}}) == ids({"o-p1"}));
  CHECK(matches(*c, "Observation", {{"patient", "http://other.example.org/fhir/Patient/p1"}}) ==
        ids({"o-abs"}));
  // Another type than the narrowed one is refused, as the parameter's targets say.
  CHECK(c->get(base + "/Observation?patient=Group/g1").status == 400);
  CHECK(matches(*c, "Observation", {{"subject", "Group/g1"}}) == ids({"o-group"}));
  CHECK(matches(*c, "Observation", {{"patient:identifier", "urn:mrn|42"}}) == ids({"o-logical"}));
  CHECK(matches(*c, "Observation", {{"patient.given", "ada"}}) == ids({"o-p1"}));
  CHECK(matches(*c, "Patient", {{"_has:Observation:patient:code", "c1"}}) == ids({"p1", "p2"}));

  // A Group subject is no patient; a contained Patient and a logical one are.
  CHECK(matches(*c, "Observation", {{"patient:missing", "true"}}) == ids({"o-group", "o-none"}));
  CHECK(matches(*c, "Observation", {{"patient:missing", "false"}}) ==
        ids({"o-p1", "o-p2", "o-abs", "o-contained", "o-logical"}));
  // With a narrow clause first, the rest is decided from the matches' manifests.
  CHECK(matches(*c, "Observation", {{"code", "urn:narrowed|c1"}, {"patient:missing", "true"}}) ==
        ids({"o-group"}));
  CHECK(matches(*c, "Observation", {{"code", "urn:narrowed|c1"}, {"patient", "Patient/p2"}}) ==
        ids({"o-p2"}));

  CHECK(matches(*c, "Encounter", {{"practitioner", "dr1"}}) == ids({"e-dr"}));
  CHECK(c->get(base + "/Encounter?practitioner=RelatedPerson/rp1").status == 400);
  CHECK(matches(*c, "Encounter", {{"participant", "RelatedPerson/rp1"}}) == ids({"e-rp"}));
  CHECK(matches(*c, "Encounter", {{"practitioner:missing", "true"}}) == ids({"e-rp"}));
}

TEST_CASE("narrowed references: _include, _revinclude and _sort", "[e2e][search]") {
  auto c = fixture<narrowed_node>().n.client();
  auto included = checked_search(*c, "Observation",
                                 {{"code", "urn:narrowed|c1"}, {"_include", "Observation:patient"}});
  CHECK(included.match_set() == ids({"o-p1", "o-p2", "o-group"}));
  CHECK(included.include_set() == ids({"Patient/p1", "Patient/p2"}));

  auto revincluded = checked_search(*c, "Patient",
                                    {{"_id", "p1"}, {"_revinclude", "Observation:patient"}});
  CHECK(revincluded.include_set() == ids({"Observation/o-p1"}));
  auto of_group = checked_search(*c, "Group", {{"_id", "g1"}, {"_revinclude", "Observation:patient"}});
  CHECK(of_group.include_set().empty());
  of_group = checked_search(*c, "Group", {{"_id", "g1"}, {"_revinclude", "Observation:subject"}});
  CHECK(of_group.include_set() == ids({"Observation/o-group"}));

  auto sorted = checked_search(*c, "Observation",
                               {{"code", "urn:narrowed|c1"}, {"_sort", "-patient"}});
  REQUIRE(sorted.matches.size() == 3);
  CHECK(sorted.matches[0] == "o-p2");
  CHECK(sorted.matches[1] == "o-p1");
}

TEST_CASE("narrowed references: an update moves the match", "[e2e][search]") {
  auto c = fixture<narrowed_node>().n.client();
  put(*c, "Observation", "o-moved", observation("o-moved", "c3", ref("Patient/p1")));
  CHECK(matches(*c, "Observation", {{"patient", "p1"}, {"code", "urn:narrowed|c3"}}) ==
        ids({"o-moved"}));
  put(*c, "Observation", "o-moved", observation("o-moved", "c3", ref("Group/g1")));
  CHECK(matches(*c, "Observation", {{"patient", "p1"}, {"code", "urn:narrowed|c3"}}).empty());
  CHECK(matches(*c, "Observation", {{"code", "urn:narrowed|c3"}, {"patient:missing", "true"}}) ==
        ids({"o-moved"}));
}
