// The search request itself: unknown parameters (lenient warning, strict
// 400), malformed values (400), POST _search with a form body, and what the
// Bundle says about itself. One node of its own with the shared dataset.
#include <string>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"
#include "tests/e2e/search_data.hpp"

using namespace e2e;
using namespace e2e::search_data;

namespace {

id_set females() {
  return patients_where([](auto& p) { return p.gender == "female"; });
}

const header_list strict = {{"Prefer", "handling=strict"}};
const header_list lenient = {{"Prefer", "handling=lenient"}};
const header_list form = {{"Content-Type", "application/x-www-form-urlencoded"}};

/// A 400 with an OperationOutcome body.
void expect_400(http_client& c, const std::string& target, const header_list& headers = {}) {
  auto res = c.get(base + "/" + target, headers);
  INFO("GET " << target << " -> " << res.status << " " << res.body.substr(0, 1000));
  CHECK(res.status == 400);
  if (res.status == 400) {
    json b{res.body};
    CHECK(b.str("/resourceType") == "OperationOutcome");
    CHECK(b.str("/issue/0/severity") == "error");
  }
}

/// Follows next links from a POST's first page.
search_result post_search(http_client& c, const std::string& type, const std::string& target_query,
                          const std::string& body, const header_list& headers = form) {
  search_result r;
  auto res = c.post(base + "/" + type + "/_search" + (target_query.empty() ? "" : "?" + target_query),
                    body, headers);
  r.status = res.status;
  r.first_body = res.body;
  if (res.status != 200)
    return r;
  json page{res.body};
  r.total = page.num("/total", -1);
  ++r.pages;
  auto next = collect_page(r, page);
  if (!next.empty()) {
    auto rest = search(c, type, next.substr(next.find('?') + 1));
    REQUIRE(rest.status == 200);
    r.matches.insert(r.matches.end(), rest.matches.begin(), rest.matches.end());
    r.includes.insert(r.includes.end(), rest.includes.begin(), rest.includes.end());
    r.pages += rest.pages;
  }
  return r;
}

} // namespace

TEST_CASE("search: unknown parameters are ignored with a warning, or refused when strict",
          "[e2e][search]") {
  auto c = fixture().n.client();

  for (std::string q : {"gender=female&foo=bar", "gender=female&_has:Nope:x:y=1",
                        "gender=female&organization.nosuch=1", "gender=female&_sort=nosuch",
                        "gender=female&_include=Patient:nosuch", "gender=female&_elements=colour"}) {
    INFO(q);
    auto r = search(*c, "Patient", q);
    INFO(r.first_body.substr(0, 2000));
    REQUIRE(r.status == 200);
    CHECK(r.match_set() == females());
    // One outcome entry per page, each with a warning.
    REQUIRE(r.outcomes.size() == r.pages);
    for (auto& s : r.outcomes)
      CHECK(s == "warning");
    json b{r.first_body};
    auto last = "/entry/" + std::to_string(b.count("/entry") - 1);
    CHECK(b.str(last + "/search/mode") == "outcome");
    CHECK(b.str(last + "/resource/resourceType") == "OperationOutcome");
    CHECK_FALSE(b.has(last + "/fullUrl"));
    // The self link shows the search that ran: what was ignored whole is
    // not in it (a _sort or _elements value is kept as sent).
    auto self = bundle_link(b, "self");
    CHECK(self.find("gender=female") != std::string::npos);
    const auto second = q.substr(q.find('&') + 1);
    const bool kept = second.starts_with("_sort") || second.starts_with("_elements");
    CHECK((self.find(second.substr(0, second.find('='))) != std::string::npos) == kept);

    auto lenient_r = search(*c, "Patient", q, lenient);
    CHECK(lenient_r.status == 200);
    CHECK(lenient_r.match_set() == females());

    expect_400(*c, "Patient?" + q, strict);
  }
  // The warning names the parameter.
  auto r = search(*c, "Patient", "foo=bar");
  REQUIRE(r.outcome_text.size() == r.pages); // the same warning on every page
  CHECK(r.outcome_text[0].find("foo") != std::string::npos);
  CHECK(r.match_set() == patients_where([](auto&) { return true; }));
  // Known parameters are fine under strict handling.
  auto ok = search(*c, "Patient", "gender=female&_sort=birthdate", strict);
  CHECK(ok.status == 200);
  CHECK(ok.match_set() == females());
  CHECK(ok.outcomes.empty());
}

TEST_CASE("search: malformed values and modifiers are 400", "[e2e][search]") {
  auto c = fixture().n.client();
  for (std::string q :
       {"Patient?birthdate=1980-13", "Patient?birthdate=not-a-date", "Patient?birthdate=ge19800",
        "Patient?birthdate=1980-02-30", "Encounter?date=2020-01-32", "Patient?birthdate=gt",
        "Patient?_lastUpdated=yesterday", "Observation?value-quantity=abc",
        "Observation?value-quantity=gtabc", "Observation?value-quantity=5|mg",
        "Observation?value-quantity=1.2.3", "Patient?_count=abc", "Patient?_count=-1",
        "Patient?_total=maybe", "Patient?_summary=everything", "Patient?family:nosuch=x",
        "Patient?gender:exact=female", "Patient?birthdate:missing=maybe",
        "Patient?_include=nonsense", "Patient?_sort=", "Observation?subject=Organization/org-acme",
        "Patient?family=%zz"}) {
    expect_400(*c, q);
  }
  // A prefix on a string is text, not a comparison.
  auto r = search(*c, "Patient", "family=ge1980");
  CHECK(r.status == 200);
  CHECK(r.matches.empty());
  // An unknown resource type is not a search.
  auto res = c->get(base + "/NotAType?x=1");
  CHECK((res.status == 404 || res.status == 400));
}

TEST_CASE("search: POST _search with a form body equals GET", "[e2e][search]") {
  auto c = fixture().n.client();

  struct one {
    std::string type;
    param_list params;
  };
  for (auto& q : std::vector<one>{
           {"Patient", {{"gender", "female"}, {"_count", "3"}}},
           {"Patient", {{"family", "Müller"}}},
           {"Patient", {{"birthdate", "ge1980"}, {"birthdate", "lt1990"}, {"_sort", "-birthdate"}}},
           {"Patient", {{"identifier", "urn:odd|A\\,B"}}},
           {"Observation", {{"code", loinc + "|2339-0"}, {"_include", "Observation:subject"}}},
           {"Observation", {{"subject:Patient.organization.name", "acme"}, {"_count", "2"}}},
           {"Encounter", {{"date", "ge2020-01-12T10:30:00+01:00"}}},
       }) {
    auto body = query(q.params);
    INFO(q.type << " with " << body);
    auto get = search(*c, q.type, body);
    REQUIRE(get.status == 200);
    auto post = post_search(*c, q.type, "", body);
    INFO(post.first_body.substr(0, 2000));
    REQUIRE(post.status == 200);
    CHECK(post.matches == get.matches);
    CHECK(post.include_set() == get.include_set());
    CHECK(post.outcomes.empty());
  }

  // Form encoding: '+' is a space.
  auto plus = post_search(*c, "Patient", "", "family:exact=Smith%5C%2C+Jr");
  REQUIRE(plus.status == 200);
  CHECK(plus.match_set() == ids({"pat-24"}));
  // Parameters in the URL and in the body are combined (ANDed).
  auto both = post_search(*c, "Patient", "gender=female", "family=muller");
  REQUIRE(both.status == 200);
  CHECK(both.match_set() == ids({"pat-03", "pat-04"}));
  // An empty body searches everything.
  auto empty = post_search(*c, "Patient", "", "");
  REQUIRE(empty.status == 200);
  CHECK(empty.match_set() == patients_where([](auto&) { return true; }));
  // Strict handling applies to POST too.
  auto strict_post = post_search(*c, "Patient", "", "foo=bar",
                                 {{"Content-Type", "application/x-www-form-urlencoded"},
                                  {"Prefer", "handling=strict"}});
  CHECK(strict_post.status == 400);
  // Anything but a form body is refused.
  auto json_body = c->post(base + "/Patient/_search", R"({"gender":"female"})",
                           {{"Content-Type", "application/fhir+json"}});
  CHECK(json_body.status == 415);
}

TEST_CASE("search: the searchset Bundle describes itself", "[e2e][search]") {
  auto c = fixture().n.client();
  auto res = c->get(base + "/Observation?code=8867-4&_include=Observation:subject&_count=2");
  REQUIRE(res.status == 200);
  CHECK(res.header("content-type").value_or("").starts_with("application/fhir+json"));
  json b{res.body};
  CHECK(b.str("/resourceType") == "Bundle");
  CHECK(b.str("/type") == "searchset");
  CHECK_FALSE(b.has("/total"));
  auto self = bundle_link(b, "self");
  CHECK(self.starts_with("http"));
  CHECK(self.find("/default/fhir/Observation?") != std::string::npos);
  CHECK(self.find("code=8867-4") != std::string::npos);
  CHECK_FALSE(bundle_link(b, "next").empty());
  for (std::size_t i = 0; i < b.count("/entry"); ++i) {
    auto at = "/entry/" + std::to_string(i);
    auto type = b.str(at + "/resource/resourceType");
    auto id = b.str(at + "/resource/id");
    CHECK(b.str(at + "/fullUrl").ends_with("/default/fhir/" + type + "/" + id));
    auto mode = b.str(at + "/search/mode");
    CHECK(mode == (type == "Observation" ? "match" : "include"));
    CHECK(b.has(at + "/resource/meta/versionId"));
    CHECK(b.has(at + "/resource/meta/lastUpdated"));
  }
  // Matches come before includes.
  CHECK(b.str("/entry/0/search/mode") == "match");
  CHECK(b.str("/entry/1/search/mode") == "match");

  // The next link answers with the same kind of Bundle; an unknown cursor is 400.
  auto next = c->get(target_of(bundle_link(b, "next")));
  REQUIRE(next.status == 200);
  CHECK(json{next.body}.str("/type") == "searchset");
  expect_400(*c, "Observation?code=8867-4&_cursor=zz");
  expect_400(*c, "Observation?code=8867-4&_cursor=0");
}

TEST_CASE("search and read: _summary and _elements return marked subsets", "[e2e][search]") {
  auto c = fixture().n.client();
  // A type no other case here searches, with summary (name, active), non-summary
  // (qualification) and narrative (text) elements.
  const std::string practitioner =
    R"({"resourceType":"Practitioner","id":"subset-1","active":true,"name":[{"family":"Okafor"}],)"
    R"("text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Dr O</div>"},)"
    R"("qualification":[{"code":{"text":"MD"}}],"gender":"female"})";
  REQUIRE(c->put(base + "/Practitioner/subset-1", practitioner,
                 {{"Content-Type", "application/fhir+json"}}).status == 201);

  // The one resource of a search page or a read, with the paths that must and
  // must not be there, and the SUBSETTED tag when anything was left out.
  auto expect = [&](const std::string& target, std::vector<std::string> present,
                    std::vector<std::string> absent) {
    auto res = c->get(base + "/" + target);
    INFO(target << " -> " << res.status << " " << res.body.substr(0, 600));
    REQUIRE(res.status == 200);
    json b{res.body};
    std::string at = b.str("/resourceType") == "Bundle" ? "/entry/0/resource" : "";
    REQUIRE(b.has(at + "/id"));
    for (auto& p : present)
      CHECK(b.has(at + "/" + p));
    for (auto& p : absent)
      CHECK_FALSE(b.has(at + "/" + p));
    bool tagged = false;
    for (std::size_t i = 0; i < b.count(at + "/meta/tag"); ++i)
      tagged |= b.str(at + "/meta/tag/" + std::to_string(i) + "/code") == "SUBSETTED";
    CHECK(tagged == !absent.empty());
  };

  const std::string search = "Practitioner?_id=subset-1&";
  expect(search + "_summary=true", {"name", "active", "gender", "meta/versionId"},
         {"text", "qualification"});
  expect(search + "_summary=text", {"text"}, {"name", "active", "qualification"});
  expect(search + "_summary=data", {"name", "qualification"}, {"text"});
  expect(search + "_elements=qualification,Practitioner.gender", {"qualification", "gender"},
         {"name", "active", "text"});
  expect(search + "_summary=false", {"name", "text", "qualification"}, {});

  // Read and vread take them too; without them the resource is whole.
  expect("Practitioner/subset-1?_elements=name", {"name"}, {"gender", "qualification"});
  expect("Practitioner/subset-1/_history/1?_summary=true", {"name"}, {"qualification"});
  expect("Practitioner/subset-1", {"name", "text", "qualification"}, {});
  CHECK(c->get(base + "/Practitioner/subset-1?_summary=maybe").status == 400);

  // An element the type does not have is a warning (lenient) or 400 (strict).
  auto unknown = c->get(base + "/" + search + "_elements=colour");
  REQUIRE(unknown.status == 200);
  CHECK(unknown.body.find("colour") != std::string::npos);
  expect_400(*c, search + "_elements=colour", strict);
}
