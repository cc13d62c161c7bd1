// A store whose search index has an older layout (no layout marker) is
// re-indexed when the node starts: searches find what the old index lacked.
// The old layout is made by hand: the node is stopped, its index emptied
// and its layout marker removed, as a store written before the marker existed.
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "storage/index_upgrade.hpp"
#include "storage/keyspace.hpp"
#include "storage/store.hpp"
#include "tests/e2e/harness.hpp"
#include "tests/e2e/search_data.hpp"

using namespace e2e;
using namespace e2e::search_data;
namespace keys = atrium::storage::keys;

TEST_CASE("index upgrade: a store without the layout marker is re-indexed at start",
          "[e2e][search][upgrade]") {
  node n;
  {
    auto c = n.client();
    put(*c, "Patient", "up-1",
        R"({"resourceType":"Patient","id":"up-1","name":[{"family":"Upgrade","given":["Ida"]}]})");
    REQUIRE(checked_search(*c, "Patient", {{"family", "upgrade"}}).match_set() == ids({"up-1"}));
  }
  REQUIRE(n.stop() == 0);
  {
    auto db = atrium::storage::store::open(n.data_dir().string());
    REQUIRE(db);
    std::vector<atrium::storage::write_op> ops{
      {atrium::storage::column::meta, true, false, keys::index_format(), {}},
      {atrium::storage::column::index, false, true, std::string(1, '\0'), std::string(8, '\xff')}};
    REQUIRE((*db)->write(ops, true));
    REQUIRE((*db)->close());
  }
  n.start();
  auto c = n.client();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (search(*c, "Patient", {{"family", "upgrade"}}).match_set().empty()) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(checked_search(*c, "Patient", {{"given", "ida"}}).match_set() == ids({"up-1"}));
  // The job is named in the log; once it completes, the service is upgraded.
  const std::string marker = "re-indexing, job ";
  auto log_before = n.log();
  auto at = log_before.find(marker);
  REQUIRE(at != std::string::npos);
  const auto job_at = at + marker.size();
  const auto job_end = log_before.find_first_not_of(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.", job_at);
  auto job = log_before.substr(job_at, job_end - job_at);
  REQUIRE(!job.empty());
  while (true) {
    auto status = c->get(base + "/_operations/reindex/" + job);
    REQUIRE(status.status == 200);
    if (status.body.find("\"Completed\"") != std::string::npos) break;
    REQUIRE(status.body.find("\"Running\"") != std::string::npos);
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Upgraded once: the next start re-indexes nothing.
  REQUIRE(n.stop() == 0);
  n.start();
  auto log = n.log();
  CHECK(log.find("index-upgrade") == log.rfind("index-upgrade"));
}

TEST_CASE("index upgrade: a layout 5 store has its manifests moved, not re-indexed",
          "[e2e][search][upgrade]") {
  node n;
  {
    auto c = n.client();
    put(*c, "Patient", "mv-1",
        R"({"resourceType":"Patient","id":"mv-1","name":[{"family":"Before"}]})");
  }
  REQUIRE(n.stop() == 0);
  {
    // Back to layout 5: every manifest in the index column, under its old key.
    auto db = atrium::storage::store::open(n.data_dir().string());
    REQUIRE(db);
    std::vector<atrium::storage::write_op> ops;
    for (auto c = (*db)->scan(atrium::storage::column::manifests, "", ""); c.valid(); c.next()) {
      auto key = c.key();
      auto legacy = atrium::storage::index::legacy_manifest_key(
        keys::read_u32(key.data()), keys::read_u16(key.data() + 4), key.substr(6));
      ops.push_back({atrium::storage::column::index, false, false, legacy, std::string{c.value()}});
      ops.push_back({atrium::storage::column::manifests, true, false, std::string{key}, {}});
    }
    REQUIRE(ops.size() == 2);
    std::string five;
    keys::append_u32(five, 5);
    ops.push_back({atrium::storage::column::meta, false, false, keys::index_format(), five});
    REQUIRE((*db)->write(ops, true));
    REQUIRE((*db)->close());
  }
  n.start();
  auto log = n.log();
  CHECK(log.find("moved 1 manifests to their own column") != std::string::npos);
  CHECK(log.find("re-indexing") == std::string::npos);
  // The update removes what the moved manifest listed: the old name no longer matches.
  auto c = n.client();
  put(*c, "Patient", "mv-1", R"({"resourceType":"Patient","id":"mv-1","name":[{"family":"After"}]})");
  CHECK(checked_search(*c, "Patient", {{"family", "before"}}).match_set().empty());
  CHECK(checked_search(*c, "Patient", {{"family", "after"}}).match_set() == ids({"mv-1"}));
}
