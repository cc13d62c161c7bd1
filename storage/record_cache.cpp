#include "storage/record_cache.hpp"

#include <functional>

namespace atrium::storage {

namespace {
constexpr std::size_t shard_count = 16;
/// What an entry costs beyond its key and value: the list node, the hash
/// node and their strings' headers, roughly.
constexpr std::size_t entry_overhead = 128;
} // namespace

struct record_cache::shard {
  struct entry {
    std::string key, value;
  };
  mutable std::mutex mutex;
  std::list<entry> lru; // most recently used first
  // Keys view the entries' own strings: list nodes never move.
  std::unordered_map<std::string_view, std::list<entry>::iterator> by_key;
  std::size_t bytes = 0, capacity = 0;
  std::uint64_t epoch = 0; // writes seen: a ticket is the epoch it was taken at
  std::uint64_t hits = 0, misses = 0;

  void drop(std::list<entry>::iterator it) {
    bytes -= it->key.size() + it->value.size() + entry_overhead;
    by_key.erase(it->key);
    lru.erase(it);
  }
};

record_cache::record_cache(std::size_t capacity_bytes)
    : shards_(std::make_unique<shard[]>(shard_count)) {
  for (std::size_t i = 0; i < shard_count; ++i)
    shards_[i].capacity = capacity_bytes / shard_count;
}

record_cache::~record_cache() = default;

record_cache::shard& record_cache::shard_of(std::size_t hash) const {
  // The low bits pick the bucket inside a shard's map; the high ones the shard.
  return shards_[(hash >> 56) % shard_count];
}

bool record_cache::get(std::string_view key, std::string* value) {
  auto h = std::hash<std::string_view>{}(key);
  auto& s = shard_of(h);
  std::lock_guard lock{s.mutex};
  auto found = s.by_key.find(key);
  if (found == s.by_key.end()) {
    ++s.misses;
    return false;
  }
  ++s.hits;
  s.lru.splice(s.lru.begin(), s.lru, found->second);
  if (value)
    value->assign(found->second->value);
  return true;
}

std::uint64_t record_cache::ticket(std::string_view key) const {
  auto& s = shard_of(std::hash<std::string_view>{}(key));
  std::lock_guard lock{s.mutex};
  return s.epoch;
}

void record_cache::put(std::string_view key, std::string_view value, std::uint64_t ticket) {
  auto& s = shard_of(std::hash<std::string_view>{}(key));
  const std::size_t cost = key.size() + value.size() + entry_overhead;
  std::lock_guard lock{s.mutex};
  if (s.epoch != ticket || cost > s.capacity)
    return;
  if (auto found = s.by_key.find(key); found != s.by_key.end())
    s.drop(found->second);
  while (!s.lru.empty() && s.bytes + cost > s.capacity)
    s.drop(std::prev(s.lru.end()));
  s.lru.push_front({std::string{key}, std::string{value}});
  s.by_key.emplace(s.lru.front().key, s.lru.begin());
  s.bytes += cost;
}

void record_cache::erase(std::string_view key) {
  auto& s = shard_of(std::hash<std::string_view>{}(key));
  std::lock_guard lock{s.mutex};
  ++s.epoch;
  if (auto found = s.by_key.find(key); found != s.by_key.end())
    s.drop(found->second);
}

void record_cache::clear() {
  for (std::size_t i = 0; i < shard_count; ++i) {
    auto& s = shards_[i];
    std::lock_guard lock{s.mutex};
    ++s.epoch;
    s.by_key.clear();
    s.lru.clear();
    s.bytes = 0;
  }
}

record_cache::counts record_cache::stats() const {
  counts c;
  for (std::size_t i = 0; i < shard_count; ++i) {
    auto& s = shards_[i];
    std::lock_guard lock{s.mutex};
    c.hits += s.hits;
    c.misses += s.misses;
    c.entries += s.lru.size();
    c.bytes += s.bytes;
  }
  return c;
}

} // namespace atrium::storage
