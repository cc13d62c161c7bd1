// criteria_locks: jobs with the same criteria run one after the other, in
// arrival order; jobs with other criteria run at once.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "actors/fhir/criteria_locks.hpp"

using atrium::actors::criteria_locks;

namespace {

/// Records which jobs started and keeps their release functions.
struct recorder {
  std::vector<std::string> started;
  std::vector<criteria_locks::release_fn> releases;

  criteria_locks::job job(std::string name) {
    return [this, name](criteria_locks::release_fn release) {
      started.push_back(name);
      releases.push_back(std::move(release));
    };
  }
};

} // namespace

TEST_CASE("criteria_locks: other criteria run at once, the same wait", "[criteria_locks]") {
  criteria_locks locks;
  recorder r;
  locks.run({"Patient?identifier=a|1"}, r.job("a"));
  locks.run({"Patient?identifier=b|2"}, r.job("b"));
  locks.run({"Patient?identifier=a|1"}, r.job("a2"));
  locks.run({}, r.job("none"));
  CHECK(r.started == std::vector<std::string>{"a", "b", "none"});
  CHECK(locks.waiting() == 1);
  r.releases[1](); // b ends: a2 still waits for a
  CHECK(r.started.size() == 3);
  r.releases[0](); // a ends
  CHECK(r.started.back() == "a2");
  CHECK(locks.waiting() == 0);
}

TEST_CASE("criteria_locks: arrival order among overlapping jobs", "[criteria_locks]") {
  criteria_locks locks;
  recorder r;
  locks.run({"k1"}, r.job("first"));
  locks.run({"k1", "k2"}, r.job("both")); // waits for k1
  locks.run({"k2"}, r.job("second"));     // k2 is free, but "both" asked first
  CHECK(r.started == std::vector<std::string>{"first"});
  r.releases[0]();
  CHECK(r.started == std::vector<std::string>{"first", "both"});
  r.releases[1]();
  CHECK(r.started == std::vector<std::string>{"first", "both", "second"});
}

TEST_CASE("criteria_locks: a job that ends while it starts, and a second release",
          "[criteria_locks]") {
  criteria_locks locks;
  std::vector<std::string> started;
  criteria_locks::release_fn kept;
  locks.run({"k"}, [&](criteria_locks::release_fn release) {
    started.push_back("sync");
    release(); // answered at once (a conditional create that found its match)
  });
  locks.run({"k"}, [&](criteria_locks::release_fn release) {
    started.push_back("next");
    kept = release;
  });
  CHECK(started == std::vector<std::string>{"sync", "next"});
  locks.run({"k"}, [&](criteria_locks::release_fn) { started.push_back("third"); });
  kept();
  kept(); // ignored: the hold ended once
  CHECK(started == std::vector<std::string>{"sync", "next", "third"});
  bool ran = false;
  locks.run({"k"}, [&](criteria_locks::release_fn) { ran = true; });
  CHECK_FALSE(ran); // "third" never released
}
