// What matches after updates, deletes and undeletes; older versions never
// match; _lastUpdated; references to resources that are gone. One node of its
// own with the shared dataset (search_data.hpp) plus resources made here.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"
#include "tests/e2e/search_data.hpp"

using namespace e2e;
using namespace e2e::search_data;

namespace {

search_result run(http_client& c, const std::string& type, const param_list& params) {
  return checked_search(c, type, params);
}

void expect(http_client& c, const std::string& type, const param_list& params, const id_set& want) {
  auto r = run(c, type, params);
  INFO("GET " << type << "?" << query(params) << "\nfirst page: " << r.first_body.substr(0, 3000));
  CHECK(r.match_set() == want);
}

/// Bundle.total of _total=accurate, and the matches, on one page of 100.
std::pair<std::int64_t, id_set> total_and_matches(http_client& c, const std::string& type,
                                                  param_list params) {
  params.emplace_back("_total", "accurate");
  params.emplace_back("_count", "100");
  auto r = run(c, type, params);
  return {r.total, r.match_set()};
}


std::string person(const std::string& id, const std::string& family, const std::string& gender,
                   const std::string& birth) {
  std::string j = R"({"resourceType":"Patient","id":")" + id + R"(","name":[{"family":")" + family +
                  R"("}],"gender":")" + gender + R"(")";
  if (!birth.empty())
    j += R"(,"birthDate":")" + birth + R"(")";
  return j + "}";
}

std::string heart_rate(const std::string& id, const std::string& subject, const std::string& code) {
  return R"({"resourceType":"Observation","id":")" + id +
         R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":")" + code +
         R"("}]},"subject":{"reference":")" + subject +
         R"("},"valueQuantity":{"value":61,"system":"http://unitsofmeasure.org","code":"/min"}})";
}

} // namespace

TEST_CASE("search: updates, deletes and undeletes change what matches", "[e2e][search]") {
  auto c = fixture().n.client();

  put(*c, "Patient", "upd-1", person("upd-1", "Oldfamily", "female", "1944-04-04"));
  put(*c, "Observation", "upd-obs-1", heart_rate("upd-obs-1", "Patient/upd-1", "upd-code-1"));
  expect(*c, "Patient", {{"family", "oldfamily"}}, ids({"upd-1"}));
  expect(*c, "Patient", {{"birthdate", "1944"}}, ids({"upd-1"}));
  expect(*c, "Observation", {{"subject:Patient.name", "oldfamily"}}, ids({"upd-obs-1"}));
  expect(*c, "Patient", {{"_has:Observation:patient:code", "upd-code-1"}}, ids({"upd-1"}));

  // Version 2: another family name and gender, no birthDate.
  put(*c, "Patient", "upd-1", person("upd-1", "Newfamily", "male", ""));
  expect(*c, "Patient", {{"family", "oldfamily"}}, ids({}));
  expect(*c, "Patient", {{"family:exact", "Oldfamily"}}, ids({}));
  expect(*c, "Patient", {{"family:contains", "oldfam"}}, ids({}));
  expect(*c, "Patient", {{"family", "newfamily"}}, ids({"upd-1"}));
  expect(*c, "Patient", {{"birthdate", "1944"}}, ids({}));
  expect(*c, "Patient", {{"birthdate:missing", "true"}}, ids({"pat-18", "pat-20", "upd-1"}));
  expect(*c, "Patient", {{"gender", "male"}, {"family", "newfamily"}}, ids({"upd-1"}));
  expect(*c, "Patient", {{"gender", "female"}, {"_id", "upd-1"}}, ids({}));
  expect(*c, "Observation", {{"subject:Patient.name", "oldfamily"}}, ids({}));
  expect(*c, "Observation", {{"subject:Patient.name", "newfamily"}}, ids({"upd-obs-1"}));
  // The first version is still readable, but history never matches.
  REQUIRE(c->get(base + "/Patient/upd-1/_history/1").status == 200);
  {
    auto [total, got] = total_and_matches(*c, "Patient", {{"family", "oldfamily,newfamily"}});
    CHECK(got == ids({"upd-1"}));
    CHECK(total == 1);
  }

  // Deleted: it matches nothing, not even an empty search of its type.
  REQUIRE(c->del(base + "/Patient/upd-1").status == 204);
  expect(*c, "Patient", {{"family", "newfamily"}}, ids({}));
  expect(*c, "Patient", {{"_id", "upd-1"}}, ids({}));
  expect(*c, "Patient", {{"birthdate:missing", "true"}}, ids({"pat-18", "pat-20"}));
  expect(*c, "Patient", {{"gender:not", "female"}},
         patients_where([](auto& p) { return p.gender != "female"; }));
  expect(*c, "Observation", {{"subject:Patient.name", "newfamily"}}, ids({}));
  {
    auto [total, got] = total_and_matches(*c, "Patient", {});
    CHECK(got == patients_where([](auto&) { return true; }));
    CHECK(total == 30);
  }
  // The Observation still refers to it, but cannot include it.
  expect(*c, "Observation", {{"subject", "Patient/upd-1"}}, ids({"upd-obs-1"}));
  {
    auto r = run(*c, "Observation", {{"_id", "upd-obs-1"}, {"_include", "Observation:subject"}});
    CHECK(r.match_set() == ids({"upd-obs-1"}));
    CHECK(r.includes.empty());
  }
  // A reverse chain to a deleted Patient finds no Patient, and counts none.
  {
    auto [total, got] =
        total_and_matches(*c, "Patient", {{"_has:Observation:patient:code", "upd-code-1"}});
    CHECK(got == ids({}));
    CHECK(total == 0);
  }

  // Undeleted by an update: it matches again, as the new version says.
  put(*c, "Patient", "upd-1", person("upd-1", "Revived", "female", "1955"));
  expect(*c, "Patient", {{"family", "revived"}}, ids({"upd-1"}));
  expect(*c, "Patient", {{"family", "newfamily"}}, ids({}));
  expect(*c, "Patient", {{"_id", "upd-1"}}, ids({"upd-1"}));
  expect(*c, "Patient", {{"birthdate", "1955"}}, ids({"upd-1"}));
  expect(*c, "Observation", {{"subject:Patient.name", "revived"}}, ids({"upd-obs-1"}));
  expect(*c, "Patient", {{"_has:Observation:patient:code", "upd-code-1"}}, ids({"upd-1"}));

  // Deleting the referring Observation ends the reverse chain and the revinclude.
  REQUIRE(c->del(base + "/Observation/upd-obs-1").status == 204);
  expect(*c, "Patient", {{"_has:Observation:patient:code", "upd-code-1"}}, ids({}));
  {
    auto r = run(*c, "Patient", {{"_id", "upd-1"}, {"_revinclude", "Observation:subject"}});
    CHECK(r.match_set() == ids({"upd-1"}));
    CHECK(r.includes.empty());
  }

  // Clean up, so that other tests in this file see the dataset only.
  REQUIRE(c->del(base + "/Patient/upd-1").status == 204);
}

TEST_CASE("search: _include, _revinclude and _has follow a reference an update moves",
          "[e2e][search]") {
  auto c = fixture().n.client();
  auto includes = [&](const std::string& type, const param_list& params) {
    return run(*c, type, params).include_set();
  };
  put(*c, "Patient", "ref-a", person("ref-a", "Refa", "female", ""));
  put(*c, "Patient", "ref-b", person("ref-b", "Refb", "male", ""));
  put(*c, "Observation", "ref-obs", heart_rate("ref-obs", "Patient/ref-a", "ref-code"));
  CHECK(includes("Observation", {{"_id", "ref-obs"}, {"_include", "Observation:subject"}}) ==
        ids({"Patient/ref-a"}));
  expect(*c, "Patient", {{"_has:Observation:patient:code", "ref-code"}}, ids({"ref-a"}));

  // The update moves the reference: what the old version referred to is gone.
  put(*c, "Observation", "ref-obs", heart_rate("ref-obs", "Patient/ref-b", "ref-code"));
  CHECK(includes("Observation", {{"_id", "ref-obs"}, {"_include", "Observation:subject"}}) ==
        ids({"Patient/ref-b"}));
  CHECK(includes("Observation", {{"_id", "ref-obs"}, {"_include", "*"}}) == ids({"Patient/ref-b"}));
  expect(*c, "Patient", {{"_has:Observation:patient:code", "ref-code"}}, ids({"ref-b"}));
  CHECK(includes("Patient", {{"_id", "ref-a"}, {"_revinclude", "Observation:subject"}}).empty());
  CHECK(includes("Patient", {{"_id", "ref-b"}, {"_revinclude", "Observation:subject"}}) ==
        ids({"Observation/ref-obs"}));

  // Deleted, the Observation refers to nothing any more.
  REQUIRE(c->del(base + "/Observation/ref-obs").status == 204);
  expect(*c, "Patient", {{"_has:Observation:patient:code", "ref-code"}}, ids({}));
  CHECK(includes("Patient", {{"_id", "ref-b"}, {"_revinclude", "Observation:subject"}}).empty());
  REQUIRE(c->del(base + "/Patient/ref-a").status == 204);
  REQUIRE(c->del(base + "/Patient/ref-b").status == 204);
}

TEST_CASE("search: a reference by this service's absolute URL is the relative reference",
          "[e2e][search]") {
  auto c = fixture().n.client();
  auto includes = [&](const std::string& type, const param_list& params) {
    return run(*c, type, params).include_set();
  };
  // Any host: a proxy's name, an address, localhost all reach the same service.
  const std::string here = "https://fhir.hospital.example" + base + "/";
  const std::string elsewhere = "https://other.example/r4/";
  put(*c, "Patient", "abs-a", person("abs-a", "Absolutea", "female", ""));
  put(*c, "Observation", "abs-obs-1", heart_rate("abs-obs-1", here + "Patient/abs-a", "abs-code"));
  put(*c, "Observation", "abs-obs-2", heart_rate("abs-obs-2", "Patient/abs-a", "abs-code"));
  put(*c, "Observation", "abs-obs-3",
      heart_rate("abs-obs-3", here + "Patient/abs-a/_history/1", "abs-code"));
  put(*c, "Observation", "abs-obs-4", heart_rate("abs-obs-4", elsewhere + "Patient/abs-a", "abs-code"));

  const auto local = ids({"abs-obs-1", "abs-obs-2", "abs-obs-3"});
  expect(*c, "Observation", {{"subject", "Patient/abs-a"}, {"code", "abs-code"}}, local);
  expect(*c, "Observation", {{"subject", here + "Patient/abs-a"}, {"code", "abs-code"}}, local);
  expect(*c, "Observation",
         {{"subject", "http://127.0.0.1:1" + base + "/Patient/abs-a"}, {"code", "abs-code"}}, local);
  expect(*c, "Observation", {{"patient", "abs-a"}, {"code", "abs-code"}}, local);
  // Decided from the candidates' own entries once an earlier clause narrowed them.
  expect(*c, "Observation", {{"code", "abs-code"}, {"subject", here + "Patient/abs-a"}}, local);
  expect(*c, "Observation", {{"code", "abs-code"}, {"subject", "Patient/abs-a"}}, local);
  expect(*c, "Observation", {{"_id", "abs-obs-1,abs-obs-4"}, {"subject", here + "Patient/abs-a"}},
         ids({"abs-obs-1"}));
  expect(*c, "Observation", {{"subject", elsewhere + "Patient/abs-a"}}, ids({"abs-obs-4"}));
  expect(*c, "Observation", {{"subject:Patient.name", "absolutea"}, {"code", "abs-code"}}, local);
  expect(*c, "Patient", {{"_has:Observation:subject:code", "abs-code"}}, ids({"abs-a"}));
  CHECK(includes("Observation", {{"_id", "abs-obs-1"}, {"_include", "Observation:subject"}}) ==
        ids({"Patient/abs-a"}));
  CHECK(includes("Patient", {{"_id", "abs-a"}, {"_revinclude", "Observation:subject"}}) ==
        ids({"Observation/abs-obs-1", "Observation/abs-obs-2", "Observation/abs-obs-3"}));
  for (auto id : {"abs-obs-1", "abs-obs-2", "abs-obs-3", "abs-obs-4"})
    REQUIRE(c->del(base + "/Observation/" + id).status == 204);
  REQUIRE(c->del(base + "/Patient/abs-a").status == 204);
}

TEST_CASE("search: a parameter with the same values as another finds what it finds",
          "[e2e][search]") {
  // R4's Patient phonetic has Patient name's expression, so it is served by
  // name's entries (param_registry::indexed_as); so are sort and :missing.
  auto c = fixture().n.client();
  put(*c, "Patient", "twin-1", person("twin-1", "Twinfamily", "female", ""));
  expect(*c, "Patient", {{"name", "twinfam"}}, ids({"twin-1"}));
  expect(*c, "Patient", {{"phonetic", "twinfam"}}, ids({"twin-1"}));
  expect(*c, "Patient", {{"phonetic:exact", "Twinfamily"}}, ids({"twin-1"}));
  expect(*c, "Patient", {{"phonetic", "twinfamily"}, {"name:missing", "false"}}, ids({"twin-1"}));
  put(*c, "Patient", "twin-1", person("twin-1", "Otherfamily", "female", ""));
  expect(*c, "Patient", {{"phonetic", "twinfam"}}, ids({}));
  expect(*c, "Patient", {{"phonetic", "otherfam"}}, ids({"twin-1"}));
  auto by_name = run(*c, "Patient", {{"_sort", "name"}, {"_count", "100"}});
  auto by_phonetic = run(*c, "Patient", {{"_sort", "phonetic"}, {"_count", "100"}});
  CHECK(by_name.matches == by_phonetic.matches);
  REQUIRE(c->del(base + "/Patient/twin-1").status == 204);
}

TEST_CASE("search: a reverse chain to a Patient that never existed counts no match",
          "[e2e][search]") {
  auto c = fixture().n.client();
  // Observations may refer to a Patient the server does not have.
  put(*c, "Observation", "ghost-obs-1", heart_rate("ghost-obs-1", "Patient/ghost-1", "ghost-code"));
  put(*c, "Observation", "ghost-obs-2", heart_rate("ghost-obs-2", "Patient/pat-30", "ghost-code"));

  auto [total, got] = total_and_matches(*c, "Patient", {{"_has:Observation:patient:code", "ghost-code"}});
  CHECK(got == ids({"pat-30"}));
  CHECK(total == 1);

  // Paging one at a time: no empty page.
  auto r = run(*c, "Patient", {{"_has:Observation:patient:code", "ghost-code"}, {"_count", "1"}});
  CHECK(r.match_set() == ids({"pat-30"}));
  INFO("page sizes of " << r.pages << " pages");
  for (auto n : r.page_sizes)
    CHECK(n == 1);

  REQUIRE(c->del(base + "/Observation/ghost-obs-1").status == 204);
  REQUIRE(c->del(base + "/Observation/ghost-obs-2").status == 204);
}

TEST_CASE("search: _lastUpdated", "[e2e][search]") {
  auto c = fixture().n.client();
  // An instant strictly between the dataset and what follows; the node's
  // clock is this machine's clock, the margins far above its resolution.
  std::this_thread::sleep_for(std::chrono::milliseconds{30});
  auto t = instant_now(1);
  std::this_thread::sleep_for(std::chrono::milliseconds{30});

  put(*c, "Patient", "late-1", person("late-1", "Late", "female", "2010"));
  put(*c, "Patient", "late-2", person("late-2", "Later", "male", "2011"));
  // An update of a dataset Patient counts as new too.
  auto p29 = patient("pat-29");
  p29.city = "Galway";
  put(*c, "Patient", "pat-29", patient_json(p29));

  expect(*c, "Patient", {{"_lastUpdated", "gt" + t}}, ids({"late-1", "late-2", "pat-29"}));
  expect(*c, "Patient", {{"_lastUpdated", "ge" + t}}, ids({"late-1", "late-2", "pat-29"}));
  expect(*c, "Patient", {{"_lastUpdated", "gt" + t}, {"gender", "male"}}, ids({"late-2", "pat-29"}));
  auto before = patients_where([](auto& p) { return p.id != "pat-29"; });
  expect(*c, "Patient", {{"_lastUpdated", "lt" + t}}, before);
  expect(*c, "Patient", {{"_lastUpdated", "le" + t}}, before);
  // _lastUpdated has only by-start entries; eb reads them as by-end ones.
  expect(*c, "Patient", {{"_lastUpdated", "eb" + t}}, before);
  expect(*c, "Patient", {{"_lastUpdated", "sa" + t}}, ids({"late-1", "late-2", "pat-29"}));
  // By day: everything was written in the last day or so.
  expect(*c, "Patient", {{"_lastUpdated", "gt2000-01-01"}},
         [&] {
           auto all = patients_where([](auto&) { return true; });
           all.insert("late-1");
           all.insert("late-2");
           return all;
         }());
  expect(*c, "Patient", {{"_lastUpdated", "lt2000-01-01"}}, ids({}));
  {
    auto r = run(*c, "Patient", {{"_lastUpdated", "gt" + t}, {"_sort", "-_lastUpdated"}});
    CHECK(r.matches == std::vector<std::string>{"pat-29", "late-2", "late-1"});
  }

  REQUIRE(c->del(base + "/Patient/late-1").status == 204);
  REQUIRE(c->del(base + "/Patient/late-2").status == 204);
  expect(*c, "Patient", {{"_lastUpdated", "gt" + t}}, ids({"pat-29"}));
}
