// A resource-type partition: the instance-level FHIR lifecycle (create,
// read, update, delete, vread, instance history) through the real writer and
// store, on the deterministic scheduler.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "actors/fhir/partition.hpp"
#include "protocols/fhir/resource_json.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "storage/keyspace.hpp"
#include "storage/resource_record.hpp"

using namespace atrium;
using namespace atrium::actors;
using atrium::testing::actor_harness;

namespace {

constexpr std::uint32_t svc = 7;

std::uint16_t patient() { return *fhir::find_resource_type("Patient"); }

/// A write as the edge builds it: the client's body prepared once.
fhir_request write(fhir_op op, const std::string& id, const std::string& family,
                   std::uint64_t if_match = 0) {
  auto body = R"({"resourceType":"Patient","id":")" + id +
              R"(","active":true,"name":[{"family":")" + family + R"("}]})";
  auto rule = op == fhir_op::create ? fhir::id_rule::replace : fhir::id_rule::must_match;
  auto t = fhir::prepare_resource(body, "Patient", id, rule);
  REQUIRE(t);
  fhir_request r;
  r.op = op;
  r.service = svc;
  r.type = patient();
  r.id = id;
  r.if_match = if_match;
  r.head = t->head;
  r.tail = t->tail;
  return r;
}

fhir_request read(const std::string& id) {
  fhir_request r;
  r.op = fhir_op::read;
  r.service = svc;
  r.type = patient();
  r.id = id;
  return r;
}

fhir_request vread(const std::string& id, std::uint64_t version) {
  auto r = read(id);
  r.op = fhir_op::vread;
  r.version = version;
  return r;
}

fhir_request erase(const std::string& id) {
  auto r = read(id);
  r.op = fhir_op::erase;
  return r;
}

fhir_request history(const std::string& id, std::uint32_t count, std::string cursor = {}) {
  auto r = read(id);
  r.op = fhir_op::history_instance;
  r.history.count = count;
  r.history.cursor = std::move(cursor);
  return r;
}

/// What the partition must have stored for a body: the prepared template
/// rendered with the version and time it assigned.
std::string expected_json(const std::string& id, const std::string& family,
                          const storage::resource_record& rec) {
  auto body = R"({"resourceType":"Patient","id":")" + id +
              R"(","active":true,"name":[{"family":")" + family + R"("}]})";
  auto t = fhir::prepare_resource(body, "Patient", id, fhir::id_rule::must_match);
  REQUIRE(t);
  return fhir::render_resource(*t, rec.version, rec.last_updated_micros);
}

struct partition_fixture {
  actor_harness h;
  fhir_actor partition_of(const std::string& id) {
    return h.dir->fhir_partition(svc, patient(), id);
  }
  fhir_reply ask(const fhir_request& r) { return h.ask<fhir_reply>(partition_of(r.id), r); }
  /// The current version as the store has it, bypassing the actors.
  std::uint64_t ask_store_version(const std::string& id) {
    std::string bytes;
    REQUIRE(h.db().get(storage::column::resources,
                       storage::keys::resource(svc, patient(), id), &bytes).is_ok());
    auto header = storage::decode_record_header(bytes);
    REQUIRE(header);
    return header->version;
  }
};

} // namespace

TEST_CASE_METHOD(partition_fixture, "the lifecycle of one resource") {
  const std::string id = "p1";

  auto created = ask(write(fhir_op::create, id, "Alpha"));
  REQUIRE(created.status.ok());
  CHECK(created.created);
  CHECK(created.record.version == 1);
  CHECK(created.record.kind == storage::record_kind::create);

  auto r1 = ask(read(id));
  REQUIRE(r1.status.ok());
  CHECK(r1.record.version == 1);
  CHECK(r1.record.json == expected_json(id, "Alpha", r1.record));
  CHECK(r1.record.json.find(R"("versionId":"1")") != std::string::npos);
  // What the create answered is what was stored.
  CHECK(r1.record.last_updated_micros == created.record.last_updated_micros);
  CHECK(r1.record.json == created.record.json);

  auto updated = ask(write(fhir_op::update, id, "Beta"));
  REQUIRE(updated.status.ok());
  CHECK_FALSE(updated.created);
  CHECK(updated.record.version == 2);
  CHECK(updated.record.last_updated_micros > created.record.last_updated_micros);
  auto r2 = ask(read(id));
  CHECK(r2.record.version == 2);
  CHECK(r2.record.json == expected_json(id, "Beta", r2.record));

  SECTION("If-Match with a stale version is refused and changes nothing") {
    auto refused = ask(write(fhir_op::update, id, "Gamma", /*if_match=*/1));
    CHECK(refused.status.code == errc::precondition_failed);
    CHECK(refused.status.where == "If-Match");
    CHECK(ask(read(id)).record.version == 2);
    // The matching version is accepted.
    auto ok = ask(write(fhir_op::update, id, "Gamma", /*if_match=*/2));
    REQUIRE(ok.status.ok());
    CHECK(ok.record.version == 3);
  }

  SECTION("delete, delete again, then every version and the history") {
    auto erased = ask(erase(id));
    REQUIRE(erased.status.ok());
    CHECK(erased.record.version == 3);
    CHECK(erased.record.deleted());

    auto gone = ask(read(id));
    CHECK(gone.status.code == errc::gone);
    CHECK(gone.record.version == 3); // the ETag of the deletion
    CHECK(gone.record.deleted());

    // Deleting a deleted resource succeeds and writes no version.
    auto again = ask(erase(id));
    CHECK(again.status.ok());
    CHECK(again.record.version == 3);
    CHECK(ask(vread(id, 4)).status.code == errc::not_found);

    auto v1 = ask(vread(id, 1));
    REQUIRE(v1.status.ok());
    CHECK(v1.record.json == expected_json(id, "Alpha", v1.record));
    auto v2 = ask(vread(id, 2));
    REQUIRE(v2.status.ok());
    CHECK(v2.record.json == expected_json(id, "Beta", v2.record));
    auto v3 = ask(vread(id, 3));
    CHECK(v3.status.code == errc::gone);
    CHECK(v3.record.deleted());

    // Paging one version at a time visits 3, 2, 1 and then stops.
    std::vector<std::uint64_t> seen;
    std::string cursor;
    for (int page = 0; page < 5; ++page) {
      auto p = ask(history(id, 1, cursor));
      REQUIRE(p.status.ok());
      REQUIRE(p.history.size() == 1);
      CHECK(p.history[0].id == id);
      CHECK(p.history[0].type == patient());
      seen.push_back(p.history[0].record.version);
      cursor = p.next_cursor;
      if (cursor.empty())
        break;
    }
    CHECK(seen == std::vector<std::uint64_t>{3, 2, 1});
    CHECK(cursor.empty());

    // One page holding everything has no next page.
    auto all = ask(history(id, 10));
    REQUIRE(all.history.size() == 3);
    CHECK(all.history[0].record.deleted());
    CHECK(all.next_cursor.empty());
  }
}

TEST_CASE_METHOD(partition_fixture, "unknown resources") {
  CHECK(ask(read("nobody")).status.code == errc::not_found);
  CHECK(ask(vread("nobody", 1)).status.code == errc::not_found);
  CHECK(ask(history("nobody", 10)).status.code == errc::not_found);
  // Deleting what never existed is not an error and writes nothing.
  auto e = ask(erase("nobody"));
  CHECK(e.status.ok());
  CHECK(e.record.version == 0);
  CHECK(ask(read("nobody")).status.code == errc::not_found);
  // If-Match on a resource that does not exist cannot match.
  CHECK(ask(write(fhir_op::update, "nobody", "X", 1)).status.code ==
        errc::precondition_failed);
}

TEST_CASE_METHOD(partition_fixture, "update creates, and re-creates after a delete") {
  auto first = ask(write(fhir_op::update, "u1", "Alpha"));
  REQUIRE(first.status.ok());
  CHECK(first.created);
  CHECK(first.record.version == 1);
  REQUIRE(ask(erase("u1")).status.ok());
  auto revived = ask(write(fhir_op::update, "u1", "Beta"));
  REQUIRE(revived.status.ok());
  CHECK(revived.created); // 201 again: the resource did not exist
  CHECK(revived.record.version == 3);
  CHECK(ask(read("u1")).status.ok());
}

TEST_CASE_METHOD(partition_fixture, "a second create of the same id conflicts") {
  REQUIRE(ask(write(fhir_op::create, "c1", "Alpha")).status.ok());
  CHECK(ask(write(fhir_op::create, "c1", "Beta")).status.code == errc::conflict);
}

TEST_CASE_METHOD(partition_fixture, "writes in flight to the same id build on each other") {
  const std::string id = "busy";
  REQUIRE(ask(write(fhir_op::create, id, "Alpha")).status.ok());

  // The writer is held back while the partition takes both updates, so the
  // second one arrives while the first is not yet durable: the store still
  // says version 1, and only the in-flight map knows about version 2.
  auto box = h.post<fhir_reply>(partition_of(id),
                                std::vector<fhir_request>{write(fhir_op::update, id, "Beta"),
                                                          write(fhir_op::update, id, "Gamma")});
  h.run_except(h.ctx.writers.front());
  CHECK_FALSE(box->replies[0].has_value()); // answered only once durable
  CHECK(ask_store_version(id) == 1);
  h.sched.run();
  REQUIRE(box->replies[0].has_value());
  REQUIRE(box->replies[1].has_value());
  CHECK(box->replies[0]->record.version == 2);
  CHECK(box->replies[1]->record.version == 3);

  auto now = ask(read(id));
  CHECK(now.record.version == 3);
  CHECK(now.record.json == expected_json(id, "Gamma", now.record));
  CHECK(ask(vread(id, 2)).record.json.find("Beta") != std::string::npos);
  // Version 3 replaced the index entries of version 2, which only the
  // in-flight map listed: none of "beta" is left, those of "gamma" are.
  auto index_mentions = [&](std::string_view word) {
    int n = 0;
    for (auto c = h.db().scan(storage::column::index, "", "\xff\xff\xff\xff"); c.valid(); c.next())
      n += c.key().find(word) != std::string_view::npos;
    return n;
  };
  CHECK(index_mentions("beta") == 0);
  CHECK(index_mentions("gamma") > 0);

  // An If-Match naming the in-flight version is judged against it too.
  auto box2 = h.post<fhir_reply>(
    partition_of(id), std::vector<fhir_request>{write(fhir_op::update, id, "Delta", 3),
                                                write(fhir_op::update, id, "Eps", 4),
                                                write(fhir_op::update, id, "Zeta", 4)});
  h.sched.run();
  REQUIRE(box2->replies[2].has_value());
  CHECK(box2->replies[0]->record.version == 4);
  CHECK(box2->replies[1]->record.version == 5);
  CHECK(box2->replies[2]->status.code == errc::precondition_failed);
  CHECK(ask(read(id)).record.version == 5);
}

TEST_CASE_METHOD(partition_fixture, "a transaction's hold: writes wait, other prepares are refused, "
                                    "and a coordinator that stops releases it") {
  const std::string id = "held";
  REQUIRE(ask(write(fhir_op::create, id, "Alpha")).status.ok());
  auto prepare = write(fhir_op::update, id, "Tx");
  prepare.op = fhir_op::tx_prepare;
  prepare.write = fhir_op::update;
  prepare.transaction = 42;
  // The throwaway actor that sends it stands for a coordinator: it stops once
  // answered, without committing or aborting.
  auto prepared = ask(prepare);
  REQUIRE(prepared.status.ok());
  CHECK_FALSE(prepared.ops.empty());
  CHECK(prepared.record.version == 2);
  CHECK(ask_store_version(id) == 1); // prepared, not written

  // Its stop released the hold: a plain update goes through, on version 1
  // (the prepared version was never written).
  auto after = ask(write(fhir_op::update, id, "Beta"));
  REQUIRE(after.status.ok());
  CHECK(after.record.version == 2);

  // While a live coordinator holds the id, a plain write waits for it and
  // another transaction's prepare is refused.
  auto holder_prepare = prepare;
  holder_prepare.transaction = 43;
  auto dest = partition_of(id);
  auto holder = h.sys.spawn([dest, holder_prepare](caf::event_based_actor* self) -> caf::behavior {
    self->request(dest, caf::infinite, holder_prepare).then([](fhir_reply&) {});
    return {[](int) {}}; // stays alive until told to exit
  });
  h.sched.run();
  auto waiting = h.post<fhir_reply>(dest, std::vector<fhir_request>{write(fhir_op::update, id, "Gamma")});
  auto other = prepare;
  other.transaction = 44;
  auto refused = h.post<fhir_reply>(dest, std::vector<fhir_request>{other});
  h.sched.run();
  CHECK_FALSE(waiting->replies[0].has_value());
  REQUIRE(refused->replies[0].has_value());
  CHECK(refused->replies[0]->status.code == errc::conflict);
  CHECK(refused->replies[0]->status.where == locked_by_transaction);

  // The holder stops: the hold goes, and the waiting write runs.
  caf::anon_send_exit(holder, caf::exit_reason::user_shutdown);
  h.sched.run();
  REQUIRE(waiting->replies[0].has_value());
  CHECK(waiting->replies[0]->status.ok());
  CHECK(waiting->replies[0]->record.version == 3);
}

TEST_CASE_METHOD(partition_fixture, "history paging rejects a malformed cursor") {
  REQUIRE(ask(write(fhir_op::create, "h1", "Alpha")).status.ok());
  auto bad = ask(history("h1", 1, "not-a-version"));
  CHECK(bad.status.code == errc::invalid);
  CHECK(bad.status.where == "_cursor");
}

// _count=0 reaches the actors unchanged (the edge clamps only the upper end);
// the page logic must not look at the last entry of an empty page.
TEST_CASE_METHOD(partition_fixture, "instance history with _count=0 answers an empty page") {
  REQUIRE(ask(write(fhir_op::create, "z1", "Alpha")).status.ok());
  auto page = ask(history("z1", 0));
  CHECK(page.status.ok());
  CHECK(page.history.empty());
}

// partition.cpp version_ops: the newest version lives in the resources column
// only, and a write moves the version it replaces to the history column.
TEST_CASE_METHOD(partition_fixture, "each version is stored once") {
  auto in_history = [&](const std::string& id, std::uint64_t v) {
    std::string bytes;
    return h.db().get(storage::column::history,
                      storage::keys::version(svc, patient(), id, v), &bytes).is_ok();
  };
  REQUIRE(ask(write(fhir_op::create, "once", "Alpha")).status.ok());
  CHECK_FALSE(in_history("once", 1));
  CHECK(ask_store_version("once") == 1);
  REQUIRE(ask(write(fhir_op::update, "once", "Beta")).status.ok());
  CHECK(in_history("once", 1));
  CHECK_FALSE(in_history("once", 2));
  REQUIRE(ask(erase("once")).status.ok());
  CHECK(in_history("once", 2));
  CHECK_FALSE(in_history("once", 3));
  REQUIRE(ask(write(fhir_op::update, "once", "Gamma")).status.ok());
  CHECK(in_history("once", 3)); // the deletion, as a version of its own

  // Every version reads back, wherever it is stored.
  CHECK(ask(vread("once", 1)).record.json.find("Alpha") != std::string::npos);
  CHECK(ask(vread("once", 2)).record.json.find("Beta") != std::string::npos);
  CHECK(ask(vread("once", 3)).status.code == errc::gone);
  CHECK(ask(vread("once", 4)).record.json.find("Gamma") != std::string::npos);
  CHECK(ask(vread("once", 5)).status.code == errc::not_found);
  auto listed = ask(history("once", 10));
  REQUIRE(listed.history.size() == 4);
  for (std::uint64_t i = 0; i < 4; ++i) CHECK(listed.history[i].record.version == 4 - i);
  // Paged one by one: the newest, then the cursor walks the history column.
  std::string cursor;
  std::vector<std::uint64_t> paged;
  for (int page = 0; page < 6; ++page) {
    auto p = ask(history("once", 1, cursor));
    REQUIRE(p.status.ok());
    for (auto& e : p.history) paged.push_back(e.record.version);
    cursor = p.next_cursor;
    if (cursor.empty()) break;
  }
  CHECK(paged == std::vector<std::uint64_t>{4, 3, 2, 1});
}

// A store written before that layout also has the newest version in history:
// it is listed once.
TEST_CASE_METHOD(partition_fixture, "a store that also has the newest version in history") {
  REQUIRE(ask(write(fhir_op::create, "old", "Alpha")).status.ok());
  REQUIRE(ask(write(fhir_op::update, "old", "Beta")).status.ok());
  std::string newest;
  REQUIRE(h.db().get(storage::column::resources, storage::keys::resource(svc, patient(), "old"),
                     &newest).is_ok());
  REQUIRE(h.db().write({{storage::column::history, false, false,
                         storage::keys::version(svc, patient(), "old", 2), newest}},
                       true).is_ok());
  auto listed = ask(history("old", 10));
  REQUIRE(listed.history.size() == 2);
  CHECK(listed.history[0].record.version == 2);
  CHECK(listed.history[1].record.version == 1);
  // The next write moves version 2 to history again: the same bytes.
  REQUIRE(ask(write(fhir_op::update, "old", "Gamma")).status.ok());
  CHECK(ask(history("old", 10)).history.size() == 3);
  CHECK(ask(vread("old", 2)).record.json.find("Beta") != std::string::npos);
}
