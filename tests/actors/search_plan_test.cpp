// The search executor's two ways to decide clauses and sorts — scans of the
// index and per-candidate manifests (exec_context::decide_limit) — must give
// the same pages. Resources go through the real
// partitions and writer, with index entries extracted as the edge does.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "actors/fhir/search_exec.hpp"
#include "harness.hpp"
#include "protocols/fhir/resource_json.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "protocols/fhir/search/extract.hpp"
#include "protocols/http/query.hpp"
#include "storage/index_entries.hpp"

using namespace atrium;
using namespace atrium::actors;
using atrium::testing::actor_harness;
namespace fs = atrium::fhir::search;

namespace {

constexpr std::uint32_t svc = 3;

std::string observation(int i) {
  // Two patients; dates over several years, some at day and some at second
  // precision; values spread; every seventh without a value or date.
  std::string body = R"({"resourceType":"Observation","id":"o)" + std::to_string(i) +
                     R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":")" +
                     (i % 3 ? "2339-0" : "8867-4") + R"("}]},"subject":{"reference":"Patient/p)" +
                     std::to_string(i % 2) + R"("})";
  if (i % 7 != 0) {
    const int year = 2015 + i % 9, month = 1 + i % 12, day = 1 + i % 28;
    char date[40];
    std::snprintf(date, sizeof date, i % 2 ? "%04d-%02d-%02d" : "%04d-%02d-%02dT10:%02d:00Z",
                  year, month, day, i % 60);
    body += R"(,"effectiveDateTime":")" + std::string{date} + R"(","valueQuantity":{"value":)" +
            std::to_string(50 + (i * 37) % 150) +
            R"(,"system":"http://unitsofmeasure.org","code":"mg/dL"})";
  }
  return body + "}";
}

fhir_request create(const std::string& type_name, const std::string& id, const std::string& body) {
  auto type = *fhir::find_resource_type(type_name);
  auto t = fhir::prepare_resource(body, type_name, id, fhir::id_rule::must_match);
  REQUIRE(t);
  auto values = fs::extract(body, type_name, fs::param_registry::r4());
  REQUIRE(values);
  fhir_request r;
  r.op = fhir_op::update; // a client-chosen id
  r.service = svc;
  r.type = type;
  r.id = id;
  r.head = t->head;
  r.tail = t->tail;
  r.index = storage::index::entries_for(svc, type, id, *values);
  return r;
}

/// Every page's ids, following cursors.
std::vector<std::string> search_all(storage::store& db, std::size_t decide_limit,
                                    const std::string& query,
                                    const std::string& type = "Observation",
                                    std::vector<std::string>* included = nullptr) {
  auto params = http::parse_query(query);
  REQUIRE(params);
  std::vector<std::string> ids;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    auto q = fs::parse_query(*params);
    REQUIRE(q);
    REQUIRE(fs::bind_query(*q, type, fs::param_registry::r4()));
    INFO(query << " problems: " << (q->problems.empty() ? "" : q->problems[0]));
    REQUIRE(q->problems.empty());
    q->cursor = cursor;
    auto view = db.view();
    search::exec_context ctx{*view, svc, fs::param_registry::r4(), decide_limit};
    auto p = search::run_search(ctx, type, *q);
    INFO(query << ": " << (p ? "" : p.error().message()));
    REQUIRE(p);
    for (auto& h : p->hits)
      if (!h.included)
        ids.push_back(h.id);
      else if (included)
        included->push_back(h.id);
    if (p->next_cursor.empty())
      break;
    cursor = p->next_cursor;
  }
  return ids;
}

} // namespace

TEST_CASE("clauses and sorts: scans and manifests agree") {
  actor_harness h;
  std::vector<fhir_request> writes;
  for (int i = 0; i < 300; ++i)
    writes.push_back(create("Observation", "o" + std::to_string(i), observation(i)));
  auto type = *fhir::find_resource_type("Observation");
  for (auto& w : writes) {
    auto reply = h.ask<fhir_reply>(h.dir->fhir_partition(svc, type, w.id), w);
    REQUIRE(reply.status.ok());
  }

  for (std::string q : {
         "subject=Patient/p1&date=ge2018-01-01&date=lt2020-06-01",
         "subject=Patient/p0&date=2019",
         "code=2339-0&date=gt2021-03-05T10:00:00Z",
         "subject=Patient/p1&date=ne2017",
         "subject=Patient/p0&date=sa2022-01&date=eb2023-12-31",
         "code=8867-4&value-quantity=gt120",
         "code=2339-0&value-quantity=le100|http://unitsofmeasure.org|mg/dL,ap180",
         "subject=Patient/p1&value-quantity=87",
         "subject=Patient/p0&date:missing=true",
         "subject=Patient/p1&value-quantity:missing=false&_count=7",
         "subject=Patient/p1&_sort=-date&_count=9",
         "code=8867-4&subject=Patient/p0",
         "date=ge2016&subject=Patient/p1&code=http://loinc.org|2339-0",
         "value-quantity=lt150&code=http://loinc.org|",
         "code=2339-0,8867-4&subject=Patient/p0,Patient/p1&date=le2019",
         "code=2339-0&_sort=date,-value-quantity&_count=11",
         "subject=Patient/p0&_sort=value-quantity,-_id&_count=13",
       }) {
    INFO(q);
    auto scanned = search_all(h.db(), 0, q);
    auto decided = search_all(h.db(), 100000, q);
    CHECK_FALSE(decided.empty());
    CHECK(scanned == decided);
  }
}

TEST_CASE("a descending date sort takes each resource's latest end, scanned or decided") {
  actor_harness h;
  // Encounters with one to three location periods: narrow (hours) and wide
  // (days), the latest end not always in the period that starts last.
  auto type = *fhir::find_resource_type("Encounter");
  std::vector<std::pair<std::string, std::int64_t>> latest; // id, day of the latest end
  for (int i = 0; i < 60; ++i) {
    std::string locations;
    int last_end = 0;
    for (int k = 0; k <= i % 3; ++k) {
      const int start = 1 + (i * 7 + k * 11) % 25, end = start + (k == 0 ? 3 : 0);
      last_end = std::max(last_end, end);
      char period[120];
      std::snprintf(period, sizeof period,
                    R"({"start":"2020-01-%02dT10:00:00Z","end":"2020-01-%02dT%02d:00:00Z"})", start,
                    end, 11 + k);
      locations += std::string(k ? "," : "") +
                   R"({"location":{"reference":"Location/l"},"period":)" + period + "}";
    }
    auto id = "e" + std::to_string(i);
    auto reply = h.ask<fhir_reply>(
      h.dir->fhir_partition(svc, type, id),
      create("Encounter", id,
             R"({"resourceType":"Encounter","id":")" + id +
               R"(","status":"finished","class":{"code":"AMB"},"location":[)" + locations + "]}"));
    REQUIRE(reply.status.ok());
    latest.emplace_back(id, last_end);
  }
  auto scanned = search_all(h.db(), 0, "_sort=-location-period&_count=7", "Encounter");
  auto decided = search_all(h.db(), 100000, "_sort=-location-period&_count=7", "Encounter");
  CHECK(scanned == decided);
  REQUIRE(scanned.size() == latest.size());
  std::map<std::string, std::int64_t> day_of(latest.begin(), latest.end());
  for (std::size_t i = 1; i < scanned.size(); ++i) {
    INFO(scanned[i - 1] << " before " << scanned[i]);
    CHECK(day_of[scanned[i - 1]] >= day_of[scanned[i]]);
  }
}

TEST_CASE("a store indexed before patient narrowed subject answers the same") {
  // Until patient read subject's entries (param_registry::narrowed_of), each
  // Observation had a patient entry of its own for "Patient/…" too: stores
  // written then keep both, and no match or include may come twice.
  actor_harness h;
  const auto type = *fhir::find_resource_type("Observation");
  const auto* patient = fs::param_registry::r4().find("Observation", "patient");
  REQUIRE(patient);
  for (std::string id : {"p0", "p1"}) {
    auto w = create("Patient", id, R"({"resourceType":"Patient","id":")" + id + R"("})");
    auto reply = h.ask<fhir_reply>(h.dir->fhir_partition(svc, w.type, w.id), w);
    REQUIRE(reply.status.ok());
  }
  for (int i = 0; i < 40; ++i) {
    const auto id = "o" + std::to_string(i);
    auto w = create("Observation", id, observation(i));
    fs::index_value before;
    before.k = fs::index_value::kind::reference;
    before.text = "Patient/p" + std::to_string(i % 2);
    before.param = patient;
    for (auto& e : storage::index::entries_for(svc, type, id, {before}))
      w.index.push_back(std::move(e));
    std::sort(w.index.begin(), w.index.end(), [](auto& a, auto& b) { return a.key < b.key; });
    auto reply = h.ask<fhir_reply>(h.dir->fhir_partition(svc, type, w.id), w);
    REQUIRE(reply.status.ok());
  }
  for (auto [q, count] : std::vector<std::pair<std::string, std::size_t>>{
         {"patient=Patient/p1", 20},
         {"patient=p0&_sort=-date", 20},
         {"patient:missing=false", 40},
         {"patient:missing=true", 0},
         {"code=8867-4&patient=Patient/p1", 7},
         {"_sort=patient,_id&_count=7", 40},
       }) {
    INFO(q);
    auto scanned = search_all(h.db(), 0, q);
    auto decided = search_all(h.db(), 100000, q);
    CHECK(scanned.size() == count);
    CHECK(std::set<std::string>(scanned.begin(), scanned.end()).size() == count);
    CHECK(scanned == decided);
  }
  std::vector<std::string> included;
  search_all(h.db(), 0, "_id=o1,o3&_include=Observation:patient", "Observation", &included);
  CHECK(included == std::vector<std::string>{"p1"});
}
