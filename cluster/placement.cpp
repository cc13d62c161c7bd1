#include "cluster/placement.hpp"

#include <algorithm>

namespace atrium::cluster {

namespace {

// 64-bit mix of node id and shard key (FNV-1a then a finaliser, so weights
// of neighbouring keys are unrelated).
std::uint64_t weight(std::string_view node, std::string_view key) {
  std::uint64_t h = 1469598103934665603ull;
  auto feed = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
  };
  feed(node);
  h ^= 0xff;
  h *= 1099511628211ull;
  feed(key);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

} // namespace

std::vector<std::size_t> preference_list(std::string_view shard_key,
                                         const std::vector<node_ref>& nodes,
                                         std::size_t replicas) {
  std::vector<std::pair<std::uint64_t, std::size_t>> ranked;
  ranked.reserve(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i)
    ranked.emplace_back(weight(nodes[i].id, shard_key), i);
  std::sort(ranked.begin(), ranked.end(), [&](auto& a, auto& b) {
    return a.first != b.first ? a.first > b.first : nodes[a.second].id < nodes[b.second].id;
  });
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < ranked.size() && i < replicas; ++i)
    out.push_back(ranked[i].second);
  return out;
}

std::optional<std::size_t> owner_of(std::string_view shard_key,
                                    const std::vector<node_ref>& nodes) {
  auto list = preference_list(shard_key, nodes, 1);
  if (list.empty())
    return std::nullopt;
  return list.front();
}

} // namespace atrium::cluster
