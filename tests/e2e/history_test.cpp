// History at instance, type and system level: order, paging by next links,
// _since and _at. One node of its own, so the system history holds exactly
// what this test wrote.
#include <chrono>
#include <ctime>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "protocols/http/query.hpp"
#include "tests/e2e/harness.hpp"

using namespace e2e;

namespace {

const std::string base = "/default/fhir";

using version_key = std::pair<std::string, std::string>; // ("Patient/x", "W/\"2\"")


std::vector<version_key> entries_of(const json& bundle) {
  std::vector<version_key> out;
  for (std::size_t i = 0; i < bundle.count("/entry"); ++i) {
    auto at = "/entry/" + std::to_string(i);
    auto full = bundle.str(at + "/fullUrl");
    auto slash = full.rfind('/', full.rfind('/') - 1);
    out.emplace_back(full.substr(slash + 1), bundle.str(at + "/response/etag"));
  }
  return out;
}

/// Follows next links from `first`, returning every entry in page order.
/// Bounded: a server that loops on its cursor fails the test, not hangs it.
std::vector<version_key> walk(http_client& c, const std::string& first, std::size_t& pages) {
  std::vector<version_key> all;
  std::string target = first;
  pages = 0;
  while (!target.empty()) {
    REQUIRE(++pages < 100);
    auto res = c.get(target);
    INFO(target << " -> " << res.body);
    REQUIRE(res.status == 200);
    json page{res.body};
    REQUIRE(page.str("/type") == "history");
    auto got = entries_of(page);
    all.insert(all.end(), got.begin(), got.end());
    auto next = bundle_link(page, "next");
    target = next.empty() ? std::string{} : target_of(next);
  }
  return all;
}

void check_newest_first(const json& bundle) {
  for (std::size_t i = 1; i < bundle.count("/entry"); ++i) {
    auto prev = bundle.str("/entry/" + std::to_string(i - 1) + "/response/lastModified");
    auto cur = bundle.str("/entry/" + std::to_string(i) + "/response/lastModified");
    CHECK(prev >= cur); // fixed-width UTC instants order as strings
  }
}

std::string patient(const std::string& id, const std::string& family) {
  return R"({"resourceType":"Patient","id":")" + id + R"(","name":[{"family":")" + family +
         R"("}]})";
}

} // namespace

TEST_CASE("history: instance, type and system levels with paging, _since and _at",
          "[e2e][history]") {
  node n;
  auto c = n.client();
  std::set<version_key> before_t, after_t;

  // Phase A: five patients, two of them updated.
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto res = c->post(base + "/Patient", patient("", "A" + std::to_string(i)));
    REQUIRE(res.status == 201);
    ids.push_back(json{res.body}.str("/id"));
    before_t.insert({"Patient/" + ids.back(), "W/\"1\""});
  }
  for (int i = 0; i < 2; ++i) {
    REQUIRE(c->put(base + "/Patient/" + ids[i], patient(ids[i], "A2")).status == 200);
    before_t.insert({"Patient/" + ids[i], "W/\"2\""});
  }

  // An instant strictly between the phases; the node's clock is this
  // machine's clock, and the margins are far above its resolution.
  std::this_thread::sleep_for(std::chrono::milliseconds{30});
  auto t = instant_now(1);
  auto t_utc = instant_now(0);
  std::this_thread::sleep_for(std::chrono::milliseconds{30});

  // Phase B: an update, a second version, a deletion, and another type.
  REQUIRE(c->put(base + "/Patient/" + ids[0], patient(ids[0], "B")).status == 200);
  after_t.insert({"Patient/" + ids[0], "W/\"3\""});
  REQUIRE(c->put(base + "/Patient/" + ids[2], patient(ids[2], "B")).status == 200);
  after_t.insert({"Patient/" + ids[2], "W/\"2\""});
  REQUIRE(c->del(base + "/Patient/" + ids[3]).status == 204);
  after_t.insert({"Patient/" + ids[3], "W/\"2\""});
  REQUIRE(c->put(base + "/Observation/hist-obs",
                 R"({"resourceType":"Observation","id":"hist-obs","status":"final",)"
                 R"("code":{"text":"x"}})")
            .status == 201);
  after_t.insert({"Observation/hist-obs", "W/\"1\""});

  std::set<version_key> all = before_t;
  all.insert(after_t.begin(), after_t.end());
  std::set<version_key> patients;
  for (auto& k : all)
    if (k.first.starts_with("Patient/"))
      patients.insert(k);

  SECTION("instance history is newest first") {
    auto res = c->get(base + "/Patient/" + ids[0] + "/_history");
    REQUIRE(res.status == 200);
    json h{res.body};
    CHECK(h.str("/resourceType") == "Bundle");
    CHECK(h.str("/type") == "history");
    REQUIRE(h.count("/entry") == 3);
    CHECK(h.str("/entry/0/resource/meta/versionId") == "3");
    CHECK(h.str("/entry/1/resource/meta/versionId") == "2");
    CHECK(h.str("/entry/2/resource/meta/versionId") == "1");
    CHECK(h.str("/entry/2/request/method") == "POST");
    CHECK(h.str("/entry/1/request/method") == "PUT");
    check_newest_first(h);
  }

  SECTION("type and system history hold every version, newest first") {
    auto type = c->get(base + "/Patient/_history?_count=100");
    REQUIRE(type.status == 200);
    json th{type.body};
    CHECK(th.str("/type") == "history");
    auto got = entries_of(th);
    CHECK(std::set<version_key>(got.begin(), got.end()) == patients);
    CHECK(got.size() == patients.size());
    check_newest_first(th);

    auto system = c->get(base + "/_history?_count=100");
    REQUIRE(system.status == 200);
    json sh{system.body};
    auto sys = entries_of(sh);
    CHECK(std::set<version_key>(sys.begin(), sys.end()) == all);
    CHECK(sys.size() == all.size());
    check_newest_first(sh);
    // The newest write of all is the Observation.
    CHECK(sh.str("/entry/0/resource/resourceType") == "Observation");
  }

  SECTION("_count pages, and next links visit every version exactly once") {
    auto first = c->get(base + "/_history?_count=2");
    REQUIRE(first.status == 200);
    json page{first.body};
    CHECK(page.count("/entry") == 2);
    CHECK_FALSE(bundle_link(page, "next").empty());
    CHECK_FALSE(bundle_link(page, "self").empty());

    for (std::string start : {base + "/_history?_count=2", base + "/_history?_count=3",
                              base + "/Patient/_history?_count=2",
                              base + "/Patient/_history?_count=1"}) {
      INFO(start);
      std::size_t pages = 0;
      auto got = walk(*c, start, pages);
      std::set<version_key> unique(got.begin(), got.end());
      CHECK(unique.size() == got.size()); // no duplicates
      CHECK(unique == (start.find("/Patient/") != std::string::npos ? patients : all));
    }

    // _count=0 asks for no entries at all.
    auto none = c->get(base + "/_history?_count=0");
    REQUIRE(none.status == 200);
    CHECK(json{none.body}.count("/entry") == 0);
    // A cursor the server did not make is a client error, not a crash.
    CHECK(c->get(base + "/_history?_count=2&_cursor=zz").status == 400);
    CHECK(c->get(base + "/Patient/" + ids[0] + "/_history?_cursor=x").status == 400);
    // The history of what never existed is not an empty list.
    CHECK(c->get(base + "/Patient/never-was/_history").status == 404);

    std::size_t pages = 0;
    auto inst = walk(*c, base + "/Patient/" + ids[0] + "/_history?_count=2", pages);
    CHECK(inst == std::vector<version_key>{{"Patient/" + ids[0], "W/\"3\""},
                                           {"Patient/" + ids[0], "W/\"2\""},
                                           {"Patient/" + ids[0], "W/\"1\""}});
  }

  SECTION("_since returns only later versions, also across pages") {
    INFO("_since=" << t);
    auto sys = c->get(base + "/_history?_since=" + atrium::http::percent_encode(t));
    REQUIRE(sys.status == 200);
    auto got = entries_of(json{sys.body});
    CHECK(std::set<version_key>(got.begin(), got.end()) == after_t);
    CHECK(got.size() == after_t.size());

    std::set<version_key> patient_after;
    for (auto& k : after_t)
      if (k.first.starts_with("Patient/"))
        patient_after.insert(k);
    auto type = c->get(base + "/Patient/_history?_since=" + atrium::http::percent_encode(t));
    REQUIRE(type.status == 200);
    got = entries_of(json{type.body});
    CHECK(std::set<version_key>(got.begin(), got.end()) == patient_after);

    auto inst = c->get(base + "/Patient/" + ids[0] + "/_history?_since=" + atrium::http::percent_encode(t));
    REQUIRE(inst.status == 200);
    got = entries_of(json{inst.body});
    CHECK(got == std::vector<version_key>{{"Patient/" + ids[0], "W/\"3\""}});

    // The next links must carry _since on (its '+' escaped, or it would
    // arrive as a space).
    std::size_t pages = 0;
    auto paged = walk(*c, base + "/_history?_count=1&_since=" + atrium::http::percent_encode(t), pages);
    CHECK(std::set<version_key>(paged.begin(), paged.end()) == after_t);
    CHECK(paged.size() == after_t.size());

    // The same instant written in UTC means the same thing.
    auto utc = c->get(base + "/_history?_since=" + atrium::http::percent_encode(t_utc));
    REQUIRE(utc.status == 200);
    CHECK(json{utc.body}.count("/entry") == after_t.size());

    // A malformed instant is a client error.
    auto bad = c->get(base + "/_history?_since=yesterday");
    CHECK(bad.status == 400);
  }

  SECTION("_at returns the version current at that time") {
    INFO("_at=" << t);
    auto inst = c->get(base + "/Patient/" + ids[0] + "/_history?_at=" + atrium::http::percent_encode(t));
    REQUIRE(inst.status == 200);
    CHECK(entries_of(json{inst.body}) ==
          std::vector<version_key>{{"Patient/" + ids[0], "W/\"2\""}});

    // The deleted patient was still alive at t.
    auto alive = c->get(base + "/Patient/" + ids[3] + "/_history?_at=" + atrium::http::percent_encode(t));
    REQUIRE(alive.status == 200);
    CHECK(entries_of(json{alive.body}) ==
          std::vector<version_key>{{"Patient/" + ids[3], "W/\"1\""}});

    auto type = c->get(base + "/Patient/_history?_count=100&_at=" + atrium::http::percent_encode(t));
    REQUIRE(type.status == 200);
    auto got = entries_of(json{type.body});
    std::set<version_key> expected{{"Patient/" + ids[0], "W/\"2\""},
                                   {"Patient/" + ids[1], "W/\"2\""},
                                   {"Patient/" + ids[2], "W/\"1\""},
                                   {"Patient/" + ids[3], "W/\"1\""},
                                   {"Patient/" + ids[4], "W/\"1\""}};
    CHECK(std::set<version_key>(got.begin(), got.end()) == expected);
    CHECK(got.size() == expected.size());

    // The Observation did not exist yet.
    auto obs = c->get(base + "/Observation/hist-obs/_history?_at=" + atrium::http::percent_encode(t));
    REQUIRE(obs.status == 200);
    CHECK(json{obs.body}.count("/entry") == 0);
  }

  SECTION("_at with a date returns every version current during that day") {
    json all{c->get(base + "/Patient/" + ids[0] + "/_history").body};
    const auto n = all.count("/entry");
    REQUIRE(n >= 2);
    // The day the newest version was written (UTC): the versions written
    // that day, and the one that was current when it began.
    const auto day = all.str("/entry/0/resource/meta/lastUpdated").substr(0, 10);
    std::vector<version_key> expected;
    for (std::size_t i = 0; i < n; ++i) {
      auto at = "/entry/" + std::to_string(i);
      const bool that_day = all.str(at + "/resource/meta/lastUpdated").substr(0, 10) == day;
      expected.emplace_back("Patient/" + ids[0], all.str(at + "/response/etag"));
      if (!that_day)
        break;
    }
    auto got = c->get(base + "/Patient/" + ids[0] + "/_history?_at=" + day);
    REQUIRE(got.status == 200);
    CHECK(entries_of(json{got.body}) == expected);
    CHECK(expected.size() >= 2);
  }
}
