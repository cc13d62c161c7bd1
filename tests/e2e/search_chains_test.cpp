// Forward chains, reverse chains (_has, nested), _include, _revinclude and
// :iterate. One node of its own with the shared dataset (search_data.hpp).
#include <string>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"
#include "tests/e2e/search_data.hpp"

using namespace e2e;
using namespace e2e::search_data;

namespace {

search_result run(http_client& c, const std::string& type, const param_list& params) {
  return checked_search(c, type, params);
}

/// Exact match ids; and when `includes` is given, the exact included
/// "Type/id" set, each included resource listed once per page at most.
void expect(http_client& c, const std::string& type, const param_list& params,
            const id_set& matches, std::optional<id_set> includes = std::nullopt) {
  auto r = run(c, type, params);
  INFO("GET " << type << "?" << query(params) << "\nfirst page: " << r.first_body.substr(0, 3000));
  CHECK(r.match_set() == matches);
  for (auto& t : r.match_types)
    CHECK(t == type);
  if (includes) {
    CHECK(r.include_set() == *includes);
    if (r.pages == 1)
      CHECK(r.includes.size() == r.include_set().size());
  } else {
    CHECK(r.includes.empty());
  }
}

id_set observations_of(std::initializer_list<std::string> pats) {
  id_set want{pats};
  return observations_where([&](const observation_spec& o) { return want.count(o.subject) > 0; });
}

id_set patients_at(std::initializer_list<std::string> orgs) {
  id_set want{orgs};
  return patients_where([&](const patient_spec& p) { return want.count(p.org) > 0; });
}

} // namespace

TEST_CASE("search: forward chains, one and two levels", "[e2e][search]") {
  auto c = fixture().n.client();

  auto mullers = observations_of({"pat-01", "pat-03", "pat-04"});
  REQUIRE(mullers == ids({"obs-01", "obs-02", "obs-16", "obs-05", "obs-06", "obs-07"}));
  expect(*c, "Observation", {{"subject:Patient.name", "muller"}}, mullers);
  expect(*c, "Observation", {{"subject.name", "muller"}}, mullers);
  expect(*c, "Observation", {{"patient.family", "MÜLLER"}}, mullers);
  expect(*c, "Observation", {{"patient.family:exact", "Müller"}}, observations_of({"pat-01"}));
  expect(*c, "Observation", {{"patient.family", "garcia"}}, ids({"obs-12", "obs-13"}));
  expect(*c, "Observation", {{"subject:Patient.gender", "female"}, {"code", "2339-0"}},
         ids({"obs-03", "obs-05", "obs-07"}));
  expect(*c, "Observation", {{"subject:Patient.identifier", mrn_system + "|MRN-1005"}},
         ids({"obs-08", "obs-09"}));
  expect(*c, "Encounter", {{"subject:Patient.birthdate", "1980"}}, ids({"enc-1", "enc-3"}));
  expect(*c, "Observation", {{"subject:Patient.name", "nobody-has-this-name"}}, ids({}));

  // Two levels: Observation → Patient → Organization.
  expect(*c, "Observation", {{"subject:Patient.organization.name", "acme"}},
         observations_of({"pat-01", "pat-02", "pat-08", "pat-15", "pat-19", "pat-24"}));
  expect(*c, "Observation", {{"subject.organization.name", "Beta"}},
         observations_of({"pat-03", "pat-04", "pat-09", "pat-13", "pat-17", "pat-26"}));
  expect(*c, "Patient", {{"organization.name", "gamma"}}, patients_at({"org-gamma"}));
  expect(*c, "Patient", {{"organization.name", "Acme Health,gamma"}},
         patients_at({"org-acme", "org-gamma"}));
  expect(*c, "Patient", {{"organization:Organization.name", "beta"}}, patients_at({"org-beta"}));
  // Patient → Organization → Organization (partOf).
  expect(*c, "Patient", {{"organization.partof.name", "acme"}}, patients_at({"org-gamma"}));
  // Three levels from Observation.
  expect(*c, "Observation", {{"subject:Patient.organization.partof.name", "acme"}},
         observations_of({"pat-05", "pat-06", "pat-11", "pat-12", "pat-29"}));
  // A chain ANDed with a plain parameter and with another chain.
  expect(*c, "Observation",
         {{"subject:Patient.organization.name", "acme"}, {"subject:Patient.gender", "male"},
          {"code", "8867-4"}},
         ids({"obs-02", "obs-11", "obs-18"}));
}

TEST_CASE("search: reverse chains with _has, nested", "[e2e][search]") {
  auto c = fixture().n.client();

  expect(*c, "Patient", {{"_has:Observation:patient:code", "8867-4"}},
         ids({"pat-01", "pat-03", "pat-08", "pat-15"}));
  expect(*c, "Patient", {{"_has:Observation:subject:code", loinc + "|2339-0"}},
         ids({"pat-01", "pat-02", "pat-03", "pat-04", "pat-06", "pat-09", "pat-24"}));
  expect(*c, "Patient", {{"_has:Observation:patient:value-quantity", "gt100"}},
         ids({"pat-02", "pat-04", "pat-06"}));
  expect(*c, "Patient", {{"_has:Observation:patient:code", "8867-4"}, {"gender", "male"}},
         ids({"pat-01", "pat-08", "pat-15"}));
  expect(*c, "Patient", {{"_has:Encounter:patient:date", "2020-01"}}, ids({"pat-01", "pat-05"}));
  expect(*c, "Patient",
         {{"_has:Observation:patient:code", "8867-4"}, {"_has:Observation:patient:code", "2339-0"}},
         ids({"pat-01", "pat-03"}));
  expect(*c, "Patient", {{"_has:Observation:patient:code", "8867-4,29463-7"}},
         ids({"pat-01", "pat-02", "pat-03", "pat-05", "pat-08", "pat-09", "pat-15", "pat-25"}));
  expect(*c, "Patient", {{"_has:Observation:patient:code", "no-such-code"}}, ids({}));
  // Nested: organizations with a patient who has a heart-rate observation.
  expect(*c, "Organization", {{"_has:Patient:organization:_has:Observation:patient:code", "8867-4"}},
         ids({"org-acme", "org-beta"}));
  // _has with a string parameter inside.
  expect(*c, "Organization", {{"_has:Patient:organization:name", "brown"}}, ids({"org-acme"}));
}

TEST_CASE("search: _include, _revinclude and :iterate", "[e2e][search]") {
  auto c = fixture().n.client();
  auto heart = ids({"obs-02", "obs-06", "obs-11", "obs-18"});
  auto heart_patients =
      ids({"Patient/pat-01", "Patient/pat-03", "Patient/pat-08", "Patient/pat-15"});

  expect(*c, "Observation", {{"code", "8867-4"}, {"_include", "Observation:subject"}}, heart,
         heart_patients);
  expect(*c, "Observation", {{"code", "8867-4"}, {"_include", "Observation:subject:Patient"}},
         heart, heart_patients);
  expect(*c, "Observation", {{"code", "8867-4"}, {"_include", "Observation:patient"}}, heart,
         heart_patients);
  expect(*c, "Observation", {{"code", "8867-4"}, {"_include", "Observation:subject:Group"}},
         heart, id_set{});
  expect(*c, "Observation", {{"_id", "obs-14"}, {"_include", "Observation:subject"}},
         ids({"obs-14"}), id_set{});
  // * follows every reference parameter; the one target is included once.
  expect(*c, "Observation", {{"_id", "obs-01"}, {"_include", "*"}}, ids({"obs-01"}),
         ids({"Patient/pat-01"}));
  expect(*c, "Patient", {{"_id", "pat-01"}, {"_include", "*"}}, ids({"pat-01"}),
         ids({"Organization/org-acme"}));
  // Includes follow each page's matches: with two matches a page, the union
  // over pages is the same.
  expect(*c, "Observation",
         {{"code", "8867-4"}, {"_include", "Observation:subject"}, {"_count", "2"}}, heart,
         heart_patients);
  // A match is never repeated as an include.
  expect(*c, "Organization", {{"_id", "org-acme,org-gamma"}, {"_include", "Organization:partof"}},
         ids({"org-acme", "org-gamma"}), id_set{});

  // _revinclude.
  expect(*c, "Patient", {{"_id", "pat-01,pat-05"}, {"_revinclude", "Observation:subject"}},
         ids({"pat-01", "pat-05"}),
         ids({"Observation/obs-01", "Observation/obs-02", "Observation/obs-16",
              "Observation/obs-08", "Observation/obs-09"}));
  expect(*c, "Patient",
         {{"_id", "pat-01"}, {"_revinclude", "Observation:subject"},
          {"_revinclude", "Encounter:subject"}},
         ids({"pat-01"}),
         ids({"Observation/obs-01", "Observation/obs-02", "Observation/obs-16",
              "Encounter/enc-1"}));
  expect(*c, "Organization", {{"_id", "org-gamma"}, {"_revinclude", "Patient:organization"}},
         ids({"org-gamma"}),
         ids({"Patient/pat-05", "Patient/pat-06", "Patient/pat-11", "Patient/pat-12",
              "Patient/pat-29"}));

  // :iterate: Observation → Patient → Organization (→ Organization).
  expect(*c, "Observation",
         {{"code", "8867-4"}, {"_include", "Observation:subject"},
          {"_include:iterate", "Patient:organization"}},
         heart,
         ids({"Patient/pat-01", "Patient/pat-03", "Patient/pat-08", "Patient/pat-15",
              "Organization/org-acme", "Organization/org-beta"}));
  expect(*c, "Observation",
         {{"_id", "obs-08"}, {"_include", "Observation:subject"},
          {"_include:iterate", "Patient:organization"}, {"_include:iterate", "Organization:partof"}},
         ids({"obs-08"}),
         ids({"Patient/pat-05", "Organization/org-gamma", "Organization/org-acme"}));
  // Without :iterate, Patient:organization applies to the matches only
  // (Observations), so no Organization comes in.
  expect(*c, "Observation",
         {{"_id", "obs-08"}, {"_include", "Observation:subject"},
          {"_include", "Patient:organization"}},
         ids({"obs-08"}), ids({"Patient/pat-05"}));
  // Without :iterate, _revinclude applies to the matches only, not to what
  // _include brought in: no Encounter of the included Patient.
  expect(*c, "Observation",
         {{"_id", "obs-01"}, {"_include", "Observation:subject"},
          {"_revinclude", "Encounter:subject"}},
         ids({"obs-01"}), ids({"Patient/pat-01"}));
  // _revinclude:iterate: Organization ← Patient ← Observation.
  expect(*c, "Organization",
         {{"_id", "org-gamma"}, {"_revinclude", "Patient:organization"},
          {"_revinclude:iterate", "Observation:subject"}},
         ids({"org-gamma"}),
         ids({"Patient/pat-05", "Patient/pat-06", "Patient/pat-11", "Patient/pat-12",
              "Patient/pat-29", "Observation/obs-08", "Observation/obs-09", "Observation/obs-10",
              "Observation/obs-15"}));
}

TEST_CASE("search: patient compartment", "[e2e][search]") {
  auto c = fixture().n.client();
  // GET /Patient/{id}/Observation: the Observations whose subject (a
  // compartment parameter of Observation) is that patient, with further
  // criteria applied as usual.
  auto r = checked_search(*c, "Patient/pat-01/Observation", {});
  CHECK(r.match_set() == observations_of({"pat-01"}));
  for (auto& t : r.match_types)
    CHECK(t == "Observation");
  auto none = checked_search(*c, "Patient/pat-01/Observation", {{"code", "no-such-code"}});
  CHECK(none.match_set().empty());
  auto other = checked_search(*c, "Patient/pat-03/Observation", {{"_count", "1"}});
  CHECK(other.match_set() == observations_of({"pat-03"}));
  // A type outside the compartment has no members; an unknown type is 404.
  CHECK(checked_search(*c, "Patient/pat-01/Organization", {}).match_set().empty());
  CHECK(c->get(base + "/Patient/pat-01/Nonsense").status == 404);
}
