// The FHIR service actor: type- and system-level history, which reads the
// change log written by the partitions. Resources are written through the
// partitions (as the edge does), then history is asked of the service actor.
#include <catch2/catch.hpp>

#include <map>
#include <tuple>

#include "harness.hpp"
#include "protocols/fhir/resource_json.hpp"
#include "protocols/fhir/resource_types.hpp"

using namespace atrium;
using namespace atrium::actors;
using atrium::testing::actor_harness;

namespace {

constexpr std::uint32_t svc = 3;
constexpr std::uint32_t other_svc = 4;

std::uint16_t type_of(const std::string& name) { return *fhir::find_resource_type(name); }

/// (type name, id, version) of a history entry, for readable comparisons.
using entry = std::tuple<std::string, std::string, std::uint64_t>;

struct history_fixture {
  actor_harness h;
  // lastUpdated of each write, by "Type/id/version".
  std::map<std::string, std::int64_t> times;

  void put(const std::string& type, const std::string& id, std::uint32_t service = svc) {
    // An Observation needs the two elements R4 requires of it.
    const std::string required = type == "Observation" ? R"(,"status":"final","code":{"text":"c"})" : "";
    auto body = R"({"resourceType":")" + type + R"(","id":")" + id + "\"" + required + "}";
    auto t = fhir::prepare_resource(body, type, id, fhir::id_rule::must_match);
    REQUIRE(t);
    fhir_request r;
    r.op = fhir_op::update;
    r.service = service;
    r.type = type_of(type);
    r.id = id;
    r.head = t->head;
    r.tail = t->tail;
    auto reply = h.ask<fhir_reply>(h.dir->fhir_partition(service, r.type, id), r);
    REQUIRE(reply.status.ok());
    times[type + "/" + id + "/" + std::to_string(reply.record.version)] =
      reply.record.last_updated_micros;
  }

  fhir_reply history(std::optional<std::string> type, std::uint32_t count,
                     std::string cursor = {},
                     std::int64_t since = history_query::unbounded,
                     std::int64_t at = history_query::unbounded) {
    fhir_request r;
    r.op = type ? fhir_op::history_type : fhir_op::history_system;
    r.service = svc;
    r.type = type ? type_of(*type) : 0;
    r.history.count = count;
    r.history.cursor = std::move(cursor);
    r.history.since = since;
    r.history.at = at;
    return h.ask<fhir_reply>(h.dir->fhir_service(svc), r);
  }

  static std::vector<entry> entries(const fhir_reply& r) {
    std::vector<entry> out;
    for (auto& item : r.history)
      out.emplace_back(std::string{fhir::resource_type_name(item.type)}, item.id,
                       item.record.version);
    return out;
  }

  /// Every page of a history, following cursors (bounded, in case a cursor
  /// never ends).
  std::vector<entry> all_pages(std::optional<std::string> type, std::uint32_t count,
                               std::size_t* pages = nullptr) {
    std::vector<entry> out;
    std::string cursor;
    std::size_t n = 0;
    for (; n < 20; ++n) {
      auto page = history(type, count, cursor);
      REQUIRE(page.status.ok());
      CHECK(page.history.size() <= count);
      auto e = entries(page);
      out.insert(out.end(), e.begin(), e.end());
      cursor = page.next_cursor;
      if (cursor.empty())
        break;
    }
    if (pages)
      *pages = n + 1;
    return out;
  }

  // Five versions across two types, in this order (times strictly increase:
  // the node clock never repeats a microsecond).
  void populate() {
    put("Patient", "a");      // Patient/a/1
    put("Observation", "o1"); // Observation/o1/1
    put("Patient", "a");      // Patient/a/2
    put("Observation", "o2"); // Observation/o2/1
    put("Patient", "b");      // Patient/b/1
    // Another service's writes never show up in this one's history.
    put("Patient", "a", other_svc);
  }
};

} // namespace

TEST_CASE_METHOD(history_fixture, "type and system history, newest first") {
  populate();

  auto patients = history("Patient", 50);
  REQUIRE(patients.status.ok());
  CHECK(entries(patients) == std::vector<entry>{{"Patient", "b", 1},
                                                {"Patient", "a", 2},
                                                {"Patient", "a", 1}});
  CHECK(patients.next_cursor.empty());

  auto observations = history("Observation", 50);
  CHECK(entries(observations) == std::vector<entry>{{"Observation", "o2", 1},
                                                    {"Observation", "o1", 1}});

  auto system = history(std::nullopt, 50);
  CHECK(entries(system) == std::vector<entry>{{"Patient", "b", 1},
                                              {"Observation", "o2", 1},
                                              {"Patient", "a", 2},
                                              {"Observation", "o1", 1},
                                              {"Patient", "a", 1}});
  // Entries carry the stored version, not just its key.
  CHECK(system.history[2].record.json.find(R"("versionId":"2")") != std::string::npos);

  // A type with no resources has an empty history, not an error.
  auto none = history("Encounter", 50);
  CHECK(none.status.ok());
  CHECK(none.history.empty());
}

TEST_CASE_METHOD(history_fixture, "paging follows cursors to the same sequence") {
  populate();
  const auto whole = entries(history(std::nullopt, 50));
  REQUIRE(whole.size() == 5);

  std::size_t pages = 0;
  CHECK(all_pages(std::nullopt, 2, &pages) == whole);
  CHECK(pages == 3); // 2 + 2 + 1
  CHECK(all_pages(std::nullopt, 1, &pages) == whole);
  CHECK(pages == 5);
  // A page that ends exactly at the last entry has no next page.
  CHECK(all_pages(std::nullopt, 5, &pages) == whole);
  CHECK(pages == 1);

  CHECK(all_pages("Patient", 2, &pages) == entries(history("Patient", 50)));
  CHECK(pages == 2);
}

TEST_CASE_METHOD(history_fixture, "_since keeps versions at or after the instant") {
  populate();
  const auto t = times.at("Patient/a/2");

  CHECK(entries(history(std::nullopt, 50, {}, t)) ==
        std::vector<entry>{{"Patient", "b", 1}, {"Observation", "o2", 1}, {"Patient", "a", 2}});
  CHECK(entries(history("Patient", 50, {}, t)) ==
        std::vector<entry>{{"Patient", "b", 1}, {"Patient", "a", 2}});
  // One microsecond later excludes the boundary version.
  CHECK(entries(history("Patient", 50, {}, t + 1)) == std::vector<entry>{{"Patient", "b", 1}});

  // Paging under _since: the cursor continues within the same window.
  auto first = history(std::nullopt, 2, {}, t);
  REQUIRE(first.history.size() == 2);
  REQUIRE_FALSE(first.next_cursor.empty());
  auto second = history(std::nullopt, 2, first.next_cursor, t);
  CHECK(entries(second) == std::vector<entry>{{"Patient", "a", 2}});
  CHECK(second.next_cursor.empty());
}

TEST_CASE_METHOD(history_fixture, "_at keeps the versions current at the instant") {
  populate();
  const auto t = times.at("Patient/a/2");
  // At that instant Patient/a was at version 2 and o1 existed; later writes
  // did not exist yet.
  CHECK(entries(history(std::nullopt, 50, {}, history_query::unbounded, t)) ==
        std::vector<entry>{{"Patient", "a", 2}, {"Observation", "o1", 1}});
  CHECK(entries(history(std::nullopt, 50, {}, history_query::unbounded, t - 1)) ==
        std::vector<entry>{{"Observation", "o1", 1}, {"Patient", "a", 1}});
}

TEST_CASE_METHOD(history_fixture, "a malformed cursor is refused") {
  populate();
  for (std::string cursor : {"zz", "abc", "00"}) {
    auto r = history(std::nullopt, 2, cursor);
    CHECK(r.status.code == errc::invalid);
    CHECK(r.status.where == "_cursor");
  }
}

// _count=0 reaches the actors unchanged. A page that is full before its
// first entry must not build a cursor from an entry it never took (that threw
// out of the handler and killed the service actor for good).
TEST_CASE_METHOD(history_fixture, "type and system history with _count=0 answer an empty page") {
  populate();
  auto r = history(std::nullopt, 0);
  CHECK(r.status.ok());
  CHECK(r.history.empty());
  // The service actor is still there afterwards.
  auto after = history("Patient", 50);
  CHECK(after.status.ok());
  CHECK(after.history.size() == 3);
}
