// _sort, paging by next links (also while other resources come and go),
// _count limits, _total and _summary=count. One node of its own with the
// shared dataset (search_data.hpp); the only other writes are to Device and
// to temporary male Patients that no paging query here matches.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"
#include "tests/e2e/search_data.hpp"

using namespace e2e;
using namespace e2e::search_data;

namespace {

search_result run(http_client& c, const std::string& type, const param_list& params) {
  auto r = checked_search(c, type, params, /*quiet=*/false);
  CHECK(r.links_ok);
  return r;
}


std::string list(const std::vector<std::string>& v) {
  std::string out;
  for (auto& s : v)
    out += (out.empty() ? "" : " ") + s;
  return out;
}

/// The ids of `r` in order must satisfy `before_or_same(prev, cur)` pairwise.
template <class Ok>
void check_order(const std::vector<std::string>& order, Ok ok) {
  INFO("order: " << list(order));
  for (std::size_t i = 1; i < order.size(); ++i) {
    INFO(order[i - 1] << " then " << order[i]);
    CHECK(ok(patient(order[i - 1]), patient(order[i])));
  }
}

} // namespace

TEST_CASE("search: _sort ascending, descending, multi-field and by _id", "[e2e][search]") {
  auto c = fixture().n.client();

  SECTION("birthdate ascending: by start of the date's range, missing values last") {
    auto r = run(*c, "Patient", {{"_sort", "birthdate"}, {"_count", "100"}});
    REQUIRE(r.matches.size() == patients().size());
    CHECK(r.match_set() == all_patients());
    INFO(list(r.matches));
    CHECK(r.matches[28] == "pat-18");
    CHECK(r.matches[29] == "pat-20");
    std::vector<std::string> dated(r.matches.begin(), r.matches.begin() + 28);
    check_order(dated, [](const patient_spec& a, const patient_spec& b) {
      return !a.birth.empty() && !b.birth.empty() &&
             day_range(a.birth).first <= day_range(b.birth).first;
    });
    CHECK(r.matches.front() == "pat-15"); // 1958
    CHECK(r.matches[27] == "pat-08");     // 2001-07-04

    // The same order page by page.
    auto paged = run(*c, "Patient", {{"_sort", "birthdate"}, {"_count", "4"}});
    CHECK(paged.matches == r.matches);
    CHECK(paged.pages == 8);
  }

  SECTION("birthdate descending: by end of the date's range, missing values last") {
    auto r = run(*c, "Patient", {{"_sort", "-birthdate"}, {"_count", "100"}});
    REQUIRE(r.matches.size() == patients().size());
    CHECK(r.match_set() == all_patients());
    INFO(list(r.matches));
    CHECK(r.matches[28] == "pat-18");
    CHECK(r.matches[29] == "pat-20");
    std::vector<std::string> dated(r.matches.begin(), r.matches.begin() + 28);
    check_order(dated, [](const patient_spec& a, const patient_spec& b) {
      return !a.birth.empty() && !b.birth.empty() &&
             day_range(a.birth).second >= day_range(b.birth).second;
    });
    CHECK(r.matches.front() == "pat-08");
    CHECK(r.matches[27] == "pat-15");

    auto paged = run(*c, "Patient", {{"_sort", "-birthdate"}, {"_count", "3"}});
    CHECK(paged.matches == r.matches);
  }

  SECTION("sorting a filtered set keeps every match") {
    auto r = run(*c, "Patient", {{"gender", "female"}, {"_sort", "birthdate"}, {"_count", "2"}});
    CHECK(r.match_set() == patients_where([](auto& p) { return p.gender == "female"; }));
    CHECK(r.matches.back() == "pat-18"); // the only female without a birthDate
  }

  SECTION("family, then birthdate descending") {
    auto r = run(*c, "Patient", {{"_sort", "family,-birthdate"}, {"_count", "100"}});
    REQUIRE(r.matches.size() == patients().size());
    check_order(r.matches, [](const patient_spec& a, const patient_spec& b) {
      if (a.family_key != b.family_key)
        return a.family_key < b.family_key;
      if (b.birth.empty())
        return true; // missing last
      if (a.birth.empty())
        return false;
      return day_range(a.birth).second >= day_range(b.birth).second;
    });
    auto pos = [&](const std::string& id) {
      return std::find(r.matches.begin(), r.matches.end(), id) - r.matches.begin();
    };
    CHECK(pos("pat-19") + 1 == pos("pat-20")); // Brown 1995, Brown (no date)
    CHECK(pos("pat-10") + 1 == pos("pat-09")); // García 1980 (ends Dec 31), García 1980-02-29
    CHECK(pos("pat-03") + 1 == pos("pat-01")); // Muller 1980-05, Müller 1980-05-17
    CHECK(pos("pat-12") + 1 == pos("pat-11")); // Nunez 2000, Núñez 1999
    CHECK(pos("pat-05") + 1 == pos("pat-24")); // "smith" before "smith jr"

    auto paged = run(*c, "Patient", {{"_sort", "family,-birthdate"}, {"_count", "7"}});
    CHECK(paged.matches == r.matches);
  }

  SECTION("_id ascending and descending") {
    std::vector<std::string> sorted;
    for (auto& p : patients())
      sorted.push_back(p.id);
    std::sort(sorted.begin(), sorted.end());
    auto up = run(*c, "Patient", {{"_sort", "_id"}, {"_count", "7"}});
    CHECK(up.matches == sorted);
    auto down = run(*c, "Patient", {{"_sort", "-_id"}, {"_count", "7"}});
    std::reverse(sorted.begin(), sorted.end());
    CHECK(down.matches == sorted);
    // _id first: ids are unique, so a second key changes nothing.
    auto id_first = run(*c, "Patient", {{"_sort", "-_id,birthdate"}, {"_count", "7"}});
    CHECK(id_first.matches == sorted);
    // _id as a secondary key: within one gender, ids descending.
    auto two = run(*c, "Patient", {{"gender", "female,male"}, {"_sort", "gender,-_id"}, {"_count", "100"}});
    std::vector<std::string> want;
    for (std::string g : {"female", "male"}) {
      std::vector<std::string> part;
      for (auto& p : patients())
        if (p.gender == g)
          part.push_back(p.id);
      std::sort(part.rbegin(), part.rend());
      want.insert(want.end(), part.begin(), part.end());
    }
    CHECK(two.matches == want);
  }
}

TEST_CASE("search: paging by next links visits every match once", "[e2e][search]") {
  auto c = fixture().n.client();

  SECTION("_count=3 over all patients and over a filtered set") {
    auto r = run(*c, "Patient", {{"_count", "3"}});
    CHECK(r.match_set() == all_patients());
    CHECK(r.matches.size() == 30);
    CHECK(r.pages == 10);
    for (auto n : r.page_sizes)
      CHECK(n == 3);

    // The first page has self and next links; next keeps the query.
    auto first = c->get(base + "/Patient?gender=female&_count=3");
    REQUIRE(first.status == 200);
    json page{first.body};
    auto self = bundle_link(page, "self");
    auto next = bundle_link(page, "next");
    CHECK(self.find("gender=female") != std::string::npos);
    CHECK(next.find("gender=female") != std::string::npos);
    CHECK(next.find("_count=3") != std::string::npos);
    // The self link of a page fetches that page again.
    auto again = c->get(target_of(self));
    REQUIRE(again.status == 200);
    json page2{again.body};
    CHECK(page2.str("/entry/0/resource/id") == page.str("/entry/0/resource/id"));
    CHECK(page2.str("/entry/2/resource/id") == page.str("/entry/2/resource/id"));

    auto f = run(*c, "Patient", {{"gender", "female"}, {"_count", "3"}});
    CHECK(f.match_set() == patients_where([](auto& p) { return p.gender == "female"; }));
    auto one = run(*c, "Patient", {{"gender", "female"}, {"_count", "1"}});
    CHECK(one.matches == f.matches);
  }

  SECTION("while another client creates and deletes resources that do not match") {
    std::atomic<bool> stop{false};
    std::atomic<int> writes{0};
    std::string writer_error;
    std::thread writer([&] {
      try {
        auto w = fixture().n.client();
        // Ids that sort between the dataset's, so that they land between the
        // pages' cursors.
        auto tmp_id = [](int i) {
          return "pat-" + std::string(i % 2 ? "1" : "0") + std::to_string(i % 10) + "-tmp-" +
                 std::to_string(i);
        };
        auto remove = [&](const std::string& id) {
          auto d = w->del(base + "/Patient/" + id);
          if (d.status != 204 && d.status != 200)
            throw std::runtime_error("DELETE " + id + " -> " + std::to_string(d.status));
        };
        int i = 0;
        for (; !stop.load(); ++i) {
          auto id = tmp_id(i);
          auto body = R"({"resourceType":"Patient","id":")" + id +
                      R"(","gender":"male","birthDate":"1980-05-17","name":[{"family":"Muller"}]})";
          auto res = w->put(base + "/Patient/" + id, body);
          if (res.status != 201)
            throw std::runtime_error("PUT " + id + " -> " + std::to_string(res.status));
          if (i > 0)
            remove(tmp_id(i - 1));
          ++writes;
        }
        if (i > 0)
          remove(tmp_id(i - 1)); // leave the dataset as it was
      } catch (const std::exception& e) {
        writer_error = e.what();
      }
    });

    auto females = patients_where([](auto& p) { return p.gender == "female"; });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
    int walks = 0;
    // At least six walks, and on until the writer has done a hundred rounds.
    for (; (walks < 6 || writes.load() < 100) && std::chrono::steady_clock::now() < deadline;
         ++walks) {
      for (param_list q : {param_list{{"gender", "female"}, {"_count", "2"}},
                           param_list{{"gender", "female"}, {"_sort", "birthdate"}, {"_count", "2"}},
                           param_list{{"gender", "female"}, {"_sort", "-family"}, {"_count", "3"}},
                           param_list{{"gender:not", "male"}, {"_sort", "-_id"}, {"_count", "2"}}}) {
        auto r = run(*c, "Patient", q);
        if (q.front().first == "gender:not")
          CHECK(r.match_set() == patients_where([](auto& p) { return p.gender != "male"; }));
        else
          CHECK(r.match_set() == females);
      }
    }
    stop = true;
    writer.join();
    CHECK(writer_error.empty());
    CHECK(writes.load() >= 100); // the writer really ran alongside
    INFO("walks " << walks << ", writes " << writes.load());
    CHECK(walks >= 2);
  }
}

TEST_CASE("search: previous links walk back over the same pages", "[e2e][search]") {
  auto c = fixture().n.client();
  for (std::string q : {"_count=4", "gender=female&_sort=-birthdate,family&_count=3",
                        "_sort=family&_count=7"}) {
    INFO(q);
    // Forward: each page's ids, and no previous link on the first.
    std::vector<std::vector<std::string>> pages;
    std::string target = base + "/Patient?" + q;
    while (!target.empty()) {
      auto res = c->get(target);
      REQUIRE(res.status == 200);
      json page{res.body};
      CHECK(bundle_link(page, "previous").empty() == pages.empty());
      pages.emplace_back();
      for (std::size_t i = 0; i < page.count("/entry"); ++i)
        pages.back().push_back(page.str("/entry/" + std::to_string(i) + "/resource/id"));
      auto next = bundle_link(page, "next");
      target = next.empty() ? "" : target_of(next);
      if (target.empty()) { // the last page: walk back from here
        std::string body = res.body;
        for (auto back = pages.size() - 1; back > 0; --back) {
          auto prev = bundle_link(json{body}, "previous");
          REQUIRE_FALSE(prev.empty());
          auto res2 = c->get(target_of(prev));
          REQUIRE(res2.status == 200);
          body = res2.body;
          json earlier{body};
          std::vector<std::string> ids;
          for (std::size_t i = 0; i < earlier.count("/entry"); ++i)
            ids.push_back(earlier.str("/entry/" + std::to_string(i) + "/resource/id"));
          CHECK(ids == pages[back - 1]);
          CHECK_FALSE(bundle_link(earlier, "next").empty());
        }
        CHECK(bundle_link(json{body}, "previous").empty());
      }
    }
    CHECK(pages.size() >= 3);
  }
}

TEST_CASE("search: _count limits, _total and _summary=count", "[e2e][search]") {
  auto c = fixture().n.client();
  auto females = patients_where([](auto& p) { return p.gender == "female"; });

  SECTION("_count=0 returns no entries") {
    auto res = c->get(base + "/Patient?gender=female&_count=0");
    REQUIRE(res.status == 200);
    json b{res.body};
    CHECK(b.count("/entry") == 0);
    CHECK(bundle_link(b, "next").empty());
    auto with_total = c->get(base + "/Patient?gender=female&_count=0&_total=accurate");
    REQUIRE(with_total.status == 200);
    CHECK(json{with_total.body}.num("/total") == static_cast<std::int64_t>(females.size()));
  }

  SECTION("_total=accurate gives the number of all matches on every page") {
    auto first = c->get(base + "/Patient?gender=female&_count=2&_total=accurate");
    REQUIRE(first.status == 200);
    json b{first.body};
    CHECK(b.num("/total") == static_cast<std::int64_t>(females.size()));
    CHECK(b.count("/entry") == 2);
    auto next = bundle_link(b, "next");
    REQUIRE_FALSE(next.empty());
    auto second = c->get(target_of(next));
    REQUIRE(second.status == 200);
    CHECK(json{second.body}.num("/total") == static_cast<std::int64_t>(females.size()));
    // Without _total (or with none) there is no total.
    auto none = c->get(base + "/Patient?gender=female&_total=none");
    REQUIRE(none.status == 200);
    CHECK_FALSE(json{none.body}.has("/total"));
    auto plain = c->get(base + "/Patient?gender=female");
    REQUIRE(plain.status == 200);
    CHECK_FALSE(json{plain.body}.has("/total"));
    // Chains, _has and includes do not change the count of matches.
    auto inc = c->get(base + "/Observation?code=8867-4&_include=Observation:subject&_total=accurate");
    REQUIRE(inc.status == 200);
    CHECK(json{inc.body}.num("/total") == 4);
  }

  SECTION("_summary=count gives only the total") {
    auto res = c->get(base + "/Patient?gender=female&_summary=count");
    REQUIRE(res.status == 200);
    json b{res.body};
    CHECK(b.str("/type") == "searchset");
    CHECK(b.num("/total") == static_cast<std::int64_t>(females.size()));
    CHECK(b.count("/entry") == 0);
    CHECK(bundle_link(b, "next").empty());
    auto all = c->get(base + "/Patient?_summary=count&_count=2");
    REQUIRE(all.status == 200);
    CHECK(json{all.body}.num("/total") == 30);
    CHECK(json{all.body}.count("/entry") == 0);
  }

  SECTION("_count above the maximum is clamped with a warning") {
    // 1001 Devices: more than the largest page.
    auto w = fixture().n.client();
    for (int i = 0; i < 1001; ++i) {
      char id[32];
      std::snprintf(id, sizeof id, "dev-%04d", i);
      auto res = w->put(base + "/Device/" + id,
                        std::string{R"({"resourceType":"Device","id":")"} + id + R"("})");
      REQUIRE(res.status == 201);
    }
    auto res = c->get(base + "/Device?_count=5000");
    INFO(res.body.substr(0, 500));
    REQUIRE(res.status == 200);
    search_result r;
    json b{res.body};
    auto next = collect_page(r, b);
    CHECK(r.matches.size() == 1000);
    CHECK_FALSE(next.empty());
    REQUIRE(r.outcomes.size() == 1);
    CHECK(r.outcomes[0] == "warning");
    CHECK(r.outcome_text[0].find("1000") != std::string::npos);
    auto whole = run(*c, "Device", {{"_count", "5000"}});
    CHECK(whole.matches.size() == 1001);
    CHECK(whole.pages == 2);
    // Small result sets are not cut, and still say that _count was clamped.
    auto pats = run(*c, "Patient", {{"_count", "5000"}});
    CHECK(pats.match_set() == all_patients());
    CHECK(pats.pages == 1);
    CHECK(pats.outcomes == std::vector<std::string>{"warning"});
  }
}

TEST_CASE("search: _sort=-date over several values per resource takes each one's latest end",
          "[e2e][search]") {
  node n;
  auto c = n.client();
  // Encounter.location.period: a has an early long stay and a late short
  // one; b one stay between them. Descending, a's latest end (03-01T11)
  // comes first; its earliest (01-05) would put it last.
  auto encounter = [&](const std::string& id, const std::vector<std::string>& periods) {
    std::string locations;
    for (const auto& p : periods)
      locations += std::string(locations.empty() ? "" : ",") +
                   R"({"location":{"reference":"Location/l"},"period":)" + p + "}";
    put(*c, "Encounter", id,
        R"({"resourceType":"Encounter","id":")" + id +
          R"(","status":"finished","class":{"code":"AMB"},"location":[)" + locations + "]}");
  };
  encounter("a", {R"({"start":"2020-01-01","end":"2020-01-05"})",
                  R"({"start":"2020-03-01T10:00:00Z","end":"2020-03-01T11:00:00Z"})"});
  encounter("b", {R"({"start":"2020-02-01T08:00:00Z","end":"2020-02-01T09:00:00Z"})"});
  encounter("c", {R"({"start":"2020-01-10","end":"2020-01-10"})"});
  auto down = search(*c, "Encounter", {{"_sort", "-location-period"}});
  CHECK(down.matches == std::vector<std::string>{"a", "b", "c"});
  auto up = search(*c, "Encounter", {{"_sort", "location-period"}});
  CHECK(up.matches == std::vector<std::string>{"a", "c", "b"});
}
