#pragma once
// Where a shard lives: rendezvous (highest random weight) hashing of shard
// keys over the live nodes. Every node computes the same owner from the same
// member list, and when a node leaves only its shards move.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace atrium::cluster {

struct node_ref {
  std::string id; // stable node name
};

/// The owner of `shard_key` among `nodes` (nullopt when there is none).
std::optional<std::size_t> owner_of(std::string_view shard_key,
                                    const std::vector<node_ref>& nodes);

/// The first `replicas` nodes in preference order for `shard_key` (owner
/// first, then its followers).
std::vector<std::size_t> preference_list(std::string_view shard_key,
                                         const std::vector<node_ref>& nodes,
                                         std::size_t replicas);

} // namespace atrium::cluster
