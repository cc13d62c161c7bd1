// The storage writer's group commit: write requests that are already in its
// mailbox when it starts a batch are committed by one store write, and every
// one of them is acknowledged with that write's outcome.
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace atrium;
using namespace atrium::actors;
using atrium::testing::actor_harness;
using storage::column;

namespace {

write_request put(std::string key) {
  return {{{column::meta, false, false, "test/" + key, "v-" + key}}};
}

bool present(storage::store& db, const std::string& key) {
  return db.get(column::meta, "test/" + key, nullptr).is_ok();
}

int count_present(storage::store& db, std::initializer_list<const char*> keys) {
  int n = 0;
  for (auto k : keys)
    n += present(db, k) ? 1 : 0;
  return n;
}

} // namespace

TEST_CASE("requests queued before the writer runs share one flush") {
  actor_harness h;
  auto& writer = h.ctx.writers.front();
  auto& db = h.db();

  // One client sends three batches; none is processed yet.
  auto box = h.post<write_ack>(writer, std::vector<write_request>{put("a"), put("b"), put("c")});
  // What each acknowledgement could see of the store when it arrived.
  auto seen = std::make_shared<std::vector<int>>();
  h.sys.spawn([writer, seen, &db](caf::event_based_actor* self) {
    self->request(writer, caf::infinite, put("d")).then([seen, &db](write_ack&) {
      seen->push_back(count_present(db, {"a", "b", "c", "d"}));
    });
  });

  // Hold the writer back until all four requests are in its mailbox, then
  // let it handle exactly one message: it takes the first request and
  // schedules a flush, which queues behind the other three.
  h.run_except(writer);
  CHECK(count_present(db, {"a", "b", "c", "d"}) == 0);
  REQUIRE(h.sched.prioritize(writer));
  h.sched.run_once();
  CHECK(count_present(db, {"a", "b", "c", "d"}) == 0); // batched, not written
  // From here on, the first store write already holds all four requests.
  while (h.sched.has_job() && count_present(db, {"a", "b", "c", "d"}) == 0)
    h.sched.run_once();
  CHECK(count_present(db, {"a", "b", "c", "d"}) == 4);

  h.sched.run();
  for (auto& r : box->replies) {
    REQUIRE(r.has_value());
    CHECK(r->status.ok());
  }
  REQUIRE(seen->size() == 1);
  CHECK(seen->front() == 4);
  std::string value;
  REQUIRE(db.get(column::meta, "test/b", &value).is_ok());
  CHECK(value == "v-b");
}

TEST_CASE("a request arriving after a flush starts the next batch") {
  actor_harness h;
  auto& writer = h.ctx.writers.front();
  auto first = h.ask<write_ack>(writer, put("one"));
  CHECK(first.status.ok());
  CHECK(present(h.db(), "one"));
  auto second = h.ask<write_ack>(writer, put("two"));
  CHECK(second.status.ok());
  CHECK(present(h.db(), "two"));
}

TEST_CASE("an empty request is acknowledged (the shutdown barrier relies on it)") {
  actor_harness h;
  auto ack = h.ask<write_ack>(h.ctx.writers.front(), write_request{});
  CHECK(ack.status.ok());
}

TEST_CASE("a failed store write fails every request of its batch") {
  actor_harness h;
  auto& writer = h.ctx.writers.front();
  REQUIRE(h.db().close().is_ok()); // every later write fails "unavailable"
  auto box = h.post<write_ack>(writer, std::vector<write_request>{put("x"), put("y")});
  h.sched.run();
  for (auto& r : box->replies) {
    REQUIRE(r.has_value());
    CHECK(r->status.code == errc::unavailable);
  }
  // The failed batch is dropped, not retried into the next one.
  auto again = h.post<write_ack>(writer, std::vector<write_request>{write_request{}});
  h.sched.run();
  REQUIRE(again->replies[0].has_value());
  CHECK(again->replies[0]->status.code == errc::unavailable);
}
