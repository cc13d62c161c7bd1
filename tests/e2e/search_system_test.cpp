// System-level search ([base]?_type=…, POST [base]/_search): several types
// in one result, paged across types, each match once; parameters that do
// not apply to every type are refused. One node of its own with the shared
// dataset (search_data.hpp).
#include <string>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"
#include "tests/e2e/search_data.hpp"

using namespace e2e;
using namespace e2e::search_data;

namespace {

id_set all_organizations() {
  id_set out;
  for (auto& o : organizations())
    out.insert(o.id);
  return out;
}

id_set with(id_set a, const id_set& b) {
  a.insert(b.begin(), b.end());
  return a;
}

} // namespace

TEST_CASE("system search: _type lists the types, pages run across them", "[e2e][search]") {
  auto c = fixture().n.client();
  const auto expected = with(all_patients(), all_organizations());
  for (std::string count : {"2", "3", "7", "100"}) {
    INFO("_count=" << count);
    auto r = search(*c, "", "_type=Patient,Organization&_total=accurate&_count=" + count);
    REQUIRE(r.status == 200);
    CHECK(r.unique());
    CHECK(r.match_set() == expected);
    CHECK(r.total == static_cast<std::int64_t>(expected.size()));
    CHECK(r.links_ok);
    for (auto s : r.page_sizes)
      CHECK(s > 0); // no empty page behind a next link
    // Types come in _type's order.
    auto first_org = std::find(r.match_types.begin(), r.match_types.end(), "Organization");
    CHECK(std::all_of(first_org, r.match_types.end(), [](auto& t) { return t == "Organization"; }));
  }
}

TEST_CASE("system search: criteria common to the types, and includes", "[e2e][search]") {
  auto c = fixture().n.client();
  // subject applies to Observation and Encounter alike.
  auto r = search(*c, "", "_type=Observation,Encounter&subject=Patient/pat-01&_count=1"
                          "&_include=Observation:subject&_include=Encounter:subject");
  REQUIRE(r.status == 200);
  id_set expected = observations_where([](auto& o) { return o.subject == "pat-01"; });
  for (auto& e : encounters())
    if (e.subject == "pat-01")
      expected.insert(e.id);
  CHECK(r.match_set() == expected);
  CHECK(r.include_set() == id_set{"Patient/pat-01"});

  // Resource-level parameters need no _type.
  auto by_id = search(*c, "", "_id=pat-02,enc-2");
  REQUIRE(by_id.status == 200);
  CHECK(by_id.match_set() == ids({"pat-02", "enc-2"}));

  // POST [base]/_search with a form body.
  auto posted = c->post(base + "/_search", "_type=Patient&_id=pat-03",
                        {{"Content-Type", "application/x-www-form-urlencoded"}});
  REQUIRE(posted.status == 200);
  json b{posted.body};
  CHECK(b.str("/entry/0/resource/id") == "pat-03");
  CHECK(b.count("/entry") == 1);
}

TEST_CASE("system search: parameters must apply to every type", "[e2e][search]") {
  auto c = fixture().n.client();
  // gender is a Patient parameter, not an Observation one.
  auto mixed = c->get(base + "?_type=Patient,Observation&gender=female");
  CHECK(mixed.status == 400);
  CHECK(mixed.body.find("Observation") != std::string::npos);
  // Unknown everywhere: ignored with a warning, like on a type.
  auto unknown = search(*c, "", "_type=Patient&foo=bar");
  REQUIRE(unknown.status == 200);
  CHECK(unknown.match_set() == all_patients());
  CHECK_FALSE(unknown.outcomes.empty());
  // Unknown types are reported; none known is 400.
  auto some = search(*c, "", "_type=Patient,Nope");
  REQUIRE(some.status == 200);
  CHECK(some.match_set() == all_patients());
  CHECK(c->get(base + "?_type=Nope").status == 400);
  CHECK(c->get(base + "?_type=Patient&_cursor=zz").status == 400);
}
