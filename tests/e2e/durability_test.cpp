// Durability: every write acknowledged to a client survives kill -9 of the
// node, and a graceful SIGTERM restart keeps everything.
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"

using namespace e2e;

namespace {

const std::string base = "/default/fhir";

/// Acknowledged (id → highest acknowledged version), filled by many threads.
struct ack_log {
  std::mutex mutex;
  std::map<std::string, std::uint64_t> versions;
  std::atomic<std::size_t> acks{0};
  std::atomic<int> timeouts{0}; // requests the node neither answered nor dropped
  std::atomic<int> malformed{0}; // success answers without a usable Location/ETag

  void record(const std::string& id, std::uint64_t version) {
    std::lock_guard lock{mutex};
    auto& v = versions[id];
    if (version > v)
      v = version;
    ++acks;
  }
};

/// "W/\"12\"" → 12; 0 when malformed.
std::uint64_t version_of(const std::optional<std::string>& etag) {
  if (!etag)
    return 0;
  auto q = etag->find('"');
  if (q == std::string::npos)
    return 0;
  try {
    return std::stoull(etag->substr(q + 1));
  } catch (...) {
    return 0;
  }
}

/// "…/Patient/{id}/_history/1" → id.
std::string id_of(const std::optional<std::string>& location) {
  if (!location)
    return {};
  auto at = location->find("/Patient/");
  if (at == std::string::npos)
    return {};
  at += 9;
  return location->substr(at, location->find('/', at) - at);
}

/// One client thread: creates patients and now and then updates one of its
/// own, recording each acknowledgement. Stops on `stop` or at the first
/// failure (the node going away). Assertions stay on the main thread:
/// Catch2's are not thread-safe.
void writer(std::uint16_t port, int thread, ack_log& acks, std::atomic<bool>& stop,
            std::chrono::steady_clock::time_point deadline) {
  try {
    http_client c{port, std::chrono::seconds{5}};
    std::vector<std::pair<std::string, std::uint64_t>> mine;
    for (int i = 0; !stop && std::chrono::steady_clock::now() < deadline; ++i) {
      if (i % 4 == 3 && !mine.empty()) {
        auto& [id, version] = mine[static_cast<std::size_t>(i) % mine.size()];
        auto res = c.put(base + "/Patient/" + id,
                         R"({"resourceType":"Patient","id":")" + id + R"(","gender":"other"})",
                         {{"Prefer", "return=minimal"}});
        if (res.status != 200)
          return;
        version = version_of(res.header("etag"));
        if (version < 2) {
          ++acks.malformed;
          return;
        }
        acks.record(id, version);
      } else {
        auto res = c.post(base + "/Patient",
                          R"({"resourceType":"Patient","name":[{"family":"T)" +
                            std::to_string(thread) + "-" + std::to_string(i) + R"("}]})",
                          {{"Prefer", "return=minimal"}});
        if (res.status != 201)
          return;
        auto id = id_of(res.header("location"));
        auto version = version_of(res.header("etag"));
        if (id.empty() || version != 1) {
          ++acks.malformed;
          return;
        }
        mine.emplace_back(id, version);
        acks.record(id, version);
      }
    }
  } catch (const std::exception& e) {
    // The node went away under us: whatever was not acknowledged may be
    // lost. But a request left hanging (neither answered nor its connection
    // closed) is worth knowing about.
    if (std::string_view{e.what()}.find("timed out") != std::string_view::npos)
      ++acks.timeouts;
  }
}

struct read_failure {
  std::string id;
  std::uint64_t acked;
  std::string what;
};

/// Reads back every acknowledged id on a few threads; returns what failed.
std::vector<read_failure> verify(std::uint16_t port, const std::map<std::string, std::uint64_t>& acked) {
  std::vector<std::pair<std::string, std::uint64_t>> items(acked.begin(), acked.end());
  std::vector<read_failure> failures;
  std::mutex mutex;
  std::vector<std::thread> threads;
  constexpr std::size_t readers = 4;
  for (std::size_t t = 0; t < readers; ++t) {
    threads.emplace_back([&, t] {
      std::vector<read_failure> local;
      try {
        http_client c{port};
        for (std::size_t i = t; i < items.size(); i += readers) {
          auto& [id, version] = items[i];
          auto cur = c.get(base + "/Patient/" + id);
          if (cur.status != 200) {
            local.push_back({id, version, "read answered " + std::to_string(cur.status)});
            continue;
          }
          json doc{cur.body};
          auto stored = std::stoull(doc.str("/meta/versionId").empty() ? "0"
                                                                       : doc.str("/meta/versionId"));
          if (stored < version)
            local.push_back({id, version, "read has version " + std::to_string(stored)});
          auto v = c.get(base + "/Patient/" + id + "/_history/" + std::to_string(version));
          if (v.status != 200 || json{v.body}.str("/meta/versionId") != std::to_string(version))
            local.push_back({id, version, "vread answered " + std::to_string(v.status)});
        }
      } catch (const std::exception& e) {
        local.push_back({"", 0, std::string{"reader failed: "} + e.what()});
      }
      std::lock_guard lock{mutex};
      failures.insert(failures.end(), local.begin(), local.end());
    });
  }
  for (auto& th : threads)
    th.join();
  return failures;
}

void report(const std::vector<read_failure>& failures) {
  for (std::size_t i = 0; i < failures.size() && i < 10; ++i)
    UNSCOPED_INFO("Patient/" << failures[i].id << " acknowledged at version " << failures[i].acked
                             << ": " << failures[i].what);
  CHECK(failures.empty());
}

/// Runs `threads` writers against the node; calls `end_node` while they are
/// still sending, then waits for them.
template <class F>
std::map<std::string, std::uint64_t> write_under_load(node& n, int threads,
                                                      std::chrono::milliseconds before_end,
                                                      F end_node, int& unanswered) {
  ack_log acks;
  std::atomic<bool> stop{false};
  auto deadline = std::chrono::steady_clock::now() + before_end + std::chrono::seconds{3};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back(writer, n.port(), t, std::ref(acks), std::ref(stop), deadline);
  std::this_thread::sleep_for(before_end);
  auto acked_before_end = acks.acks.load();
  end_node();
  stop = true;
  for (auto& th : pool)
    th.join();
  unanswered = acks.timeouts.load();
  INFO("acknowledged before the end: " << acked_before_end);
  CHECK(acked_before_end > 100); // the node did real work before it went down
  CHECK(acks.malformed == 0);
  return std::move(acks.versions);
}

} // namespace

TEST_CASE("durability: acknowledged writes survive kill -9", "[e2e][durability]") {
  node n;
  int unanswered = 0;
  auto acked =
    write_under_load(n, 8, std::chrono::milliseconds{1500}, [&] { n.kill(); }, unanswered);
  CHECK(unanswered == 0); // a killed node's sockets are closed by the kernel
  REQUIRE_FALSE(acked.empty());

  n.start();
  report(verify(n.port(), acked));

  // The node keeps working on the recovered store.
  auto c = n.client();
  CHECK(c->post(base + "/Patient", R"({"resourceType":"Patient"})").status == 201);
}

TEST_CASE("durability: a graceful SIGTERM restart keeps everything", "[e2e][durability]") {
  node n;
  int exit_code = -1;
  int unanswered = 0;
  std::chrono::steady_clock::duration stopping{};
  // SIGTERM while clients are still sending: the node must answer what it
  // took in (stop accepting, drain, flush) and exit promptly with 0.
  auto acked = write_under_load(
    n, 4, std::chrono::milliseconds{500},
    [&] {
      auto t0 = std::chrono::steady_clock::now();
      exit_code = n.stop();
      stopping = std::chrono::steady_clock::now() - t0;
    },
    unanswered);
  CHECK(exit_code == 0);
  CHECK(unanswered == 0);
  auto log = n.log();
  auto stopping_at = log.rfind("\"event\":\"stopping\"");
  INFO("the node's log from SIGTERM on:\n"
       << (stopping_at == std::string::npos ? log : log.substr(stopping_at)));
  CHECK(stopping < std::chrono::seconds{5});
  REQUIRE_FALSE(acked.empty());

  // A quiet write just before a clean stop must be there too.
  n.start();
  auto c = n.client();
  auto last = c->put(base + "/Patient/last-word", R"({"resourceType":"Patient","id":"last-word"})");
  REQUIRE(last.status == 201);
  c.reset();
  REQUIRE(n.stop() == 0);

  n.start();
  acked["last-word"] = 1;
  report(verify(n.port(), acked));
}
