// Rendezvous placement: every node must compute the same owner from the same
// member list, shards must spread evenly, and a departing node must move
// only its own shards (anything else would move data needlessly).
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "cluster/placement.hpp"

using namespace atrium::cluster;

namespace {

std::vector<node_ref> nodes_named(std::initializer_list<const char*> names) {
  std::vector<node_ref> out;
  for (auto n : names)
    out.push_back({n});
  return out;
}

std::string key(int i) { return "svc-1/Patient/" + std::to_string(i); }

/// The owner's name, so results compare across differently ordered lists.
std::string owner_name(const std::string& k, const std::vector<node_ref>& nodes) {
  auto i = owner_of(k, nodes);
  REQUIRE(i);
  REQUIRE(*i < nodes.size());
  return nodes[*i].id;
}

} // namespace

TEST_CASE("the owner is a deterministic function of key and members") {
  auto nodes = nodes_named({"node-a", "node-b", "node-c"});
  // The member list may arrive in any order on different nodes.
  auto shuffled = nodes_named({"node-c", "node-a", "node-b"});
  for (int i = 0; i < 1000; ++i) {
    auto k = key(i);
    auto first = owner_name(k, nodes);
    CHECK(owner_name(k, nodes) == first);
    CHECK(owner_name(k, shuffled) == first);
  }
}

TEST_CASE("no members, no owner; one member owns everything") {
  CHECK_FALSE(owner_of("k", {}));
  CHECK(preference_list("k", {}, 3).empty());
  auto one = nodes_named({"solo"});
  for (int i = 0; i < 100; ++i)
    CHECK(owner_of(key(i), one) == std::optional<std::size_t>{0});
}

TEST_CASE("30k keys spread within 10% of a third over 3 nodes") {
  auto nodes = nodes_named({"node-a", "node-b", "node-c"});
  constexpr int keys = 30000;
  std::vector<int> counts(nodes.size());
  for (int i = 0; i < keys; ++i)
    ++counts[*owner_of(key(i), nodes)];
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    INFO(nodes[n].id << " owns " << counts[n]);
    CHECK(counts[n] >= 9000);  // 10000 - 10%
    CHECK(counts[n] <= 11000); // 10000 + 10%
  }
}

TEST_CASE("removing a node moves only that node's keys") {
  auto before = nodes_named({"node-a", "node-b", "node-c"});
  auto after = nodes_named({"node-a", "node-c"});
  int moved = 0;
  for (int i = 0; i < 10000; ++i) {
    auto k = key(i);
    auto was = owner_name(k, before);
    auto now = owner_name(k, after);
    if (was != "node-b") {
      CHECK(now == was);
    } else {
      ++moved;
      // The new owner is the one that was second in line.
      auto prefs = preference_list(k, before, 2);
      REQUIRE(prefs.size() == 2);
      CHECK(now == before[prefs[1]].id);
    }
  }
  CHECK(moved > 0);
}

TEST_CASE("adding a node takes keys only for itself") {
  auto before = nodes_named({"node-a", "node-b", "node-c"});
  auto after = nodes_named({"node-a", "node-b", "node-c", "node-d"});
  for (int i = 0; i < 10000; ++i) {
    auto k = key(i);
    auto now = owner_name(k, after);
    if (now != "node-d")
      CHECK(now == owner_name(k, before));
  }
}

TEST_CASE("the preference list has distinct nodes, owner first") {
  auto nodes = nodes_named({"n1", "n2", "n3", "n4", "n5"});
  for (int i = 0; i < 500; ++i) {
    auto k = key(i);
    auto prefs = preference_list(k, nodes, 3);
    REQUIRE(prefs.size() == 3);
    CHECK(std::set<std::size_t>(prefs.begin(), prefs.end()).size() == 3);
    for (auto p : prefs)
      CHECK(p < nodes.size());
    CHECK(prefs.front() == *owner_of(k, nodes));
    // A shorter list is a prefix of a longer one.
    auto all = preference_list(k, nodes, 5);
    REQUIRE(all.size() == 5);
    CHECK(std::equal(prefs.begin(), prefs.end(), all.begin()));
  }
  // Asking for more replicas than nodes gives every node once.
  auto few = nodes_named({"x", "y"});
  auto prefs = preference_list("k", few, 5);
  CHECK(prefs.size() == 2);
  CHECK(std::set<std::size_t>(prefs.begin(), prefs.end()).size() == 2);
}
