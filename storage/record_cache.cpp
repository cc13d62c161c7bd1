#include "storage/record_cache.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <unordered_map>
#include <vector>

namespace atrium::storage {

namespace {

constexpr std::size_t min_slots = 256;

/// One cached record: key and value in one allocation, so a hit touches
/// the slot, then one block that it reads front to back.
struct entry {
  std::uint32_t key_size, value_size;
  bool referenced; // read since the clock hand last passed (set on a hit)
  char* bytes() { return reinterpret_cast<char*>(this + 1); }
  std::string_view key() { return {bytes(), key_size}; }
  std::string_view value() { return {bytes() + key_size, value_size}; }
  std::size_t cost() const { return sizeof(entry) + key_size + value_size; }

  static entry* make(std::string_view key, std::string_view value) {
    auto* e = static_cast<entry*>(std::malloc(sizeof(entry) + key.size() + value.size()));
    if (!e)
      throw std::bad_alloc{};
    e->key_size = static_cast<std::uint32_t>(key.size());
    e->value_size = static_cast<std::uint32_t>(value.size());
    e->referenced = false; // read once and never again: the first to go
    std::memcpy(e->bytes(), key.data(), key.size());
    std::memcpy(e->bytes() + key.size(), value.data(), value.size());
    return e;
  }
};

/// An open-addressed slot: the hash is compared before the entry is touched.
struct slot {
  std::uint64_t hash = 0;
  entry* e = nullptr;
};

std::uint64_t hash_of(std::string_view key) { return std::hash<std::string_view>{}(key); }

} // namespace

/// Linear probing with backward-shift deletion, and CLOCK eviction: a hit
/// sets a bit rather than moving a list node (two neighbours' cache
/// misses per hit, as an LRU list costs).
struct record_cache::shard {
  mutable std::mutex mutex;
  std::vector<slot> slots = std::vector<slot>(min_slots); // a power of two
  std::size_t count = 0, bytes = 0, capacity = 0, hand = 0;
  std::uint64_t epoch = 0; // writes seen: a ticket is the epoch it was taken at
  /// Keys (by hash) of writes between begin_write and end_write: how many
  /// writes hold each, and whether two ever held it at once.
  struct in_flight {
    std::uint32_t writes = 0;
    bool overlapped = false;
  };
  std::unordered_map<std::uint64_t, in_flight> writing;
  std::uint64_t hits = 0, misses = 0;

  ~shard() { drop_all(); }

  std::size_t mask() const { return slots.size() - 1; }

  /// The slot holding key, or slots.size().
  std::size_t find(std::uint64_t hash, std::string_view key) const {
    for (std::size_t i = hash & mask();; i = (i + 1) & mask()) {
      const auto& s = slots[i];
      if (!s.e)
        return slots.size();
      if (s.hash == hash && s.e->key() == key)
        return i;
    }
  }

  void place(std::uint64_t hash, entry* e) {
    std::size_t i = hash & mask();
    while (slots[i].e)
      i = (i + 1) & mask();
    slots[i] = {hash, e};
  }

  void grow() {
    std::vector<slot> old(slots.size() * 2);
    old.swap(slots);
    for (const auto& s : old)
      if (s.e)
        place(s.hash, s.e);
    hand = 0;
  }

  /// Frees slot i's entry; later entries of its probe run move back into
  /// the gap, so no lookup stops early at it.
  void remove(std::size_t i) {
    bytes -= slots[i].e->cost();
    --count;
    std::free(slots[i].e);
    for (std::size_t j = (i + 1) & mask(); slots[j].e; j = (j + 1) & mask()) {
      std::size_t home = slots[j].hash & mask();
      // Does j's entry stay reachable with a gap at i? Only if its home
      // lies cyclically in (i, j].
      bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (stays)
        continue;
      slots[i] = slots[j];
      i = j;
    }
    slots[i] = {};
  }

  /// Keeps value under key in place of any entry it had (a value larger
  /// than the shard's share is not kept).
  void put(std::uint64_t hash, std::string_view key, std::string_view value) {
    if (auto i = find(hash, key); i != slots.size())
      remove(i);
    const std::size_t cost = sizeof(entry) + key.size() + value.size();
    if (cost > capacity)
      return;
    evict_for(cost);
    if ((count + 1) * 2 > slots.size()) // at most half full: short probe runs
      grow();
    place(hash, entry::make(key, value));
    ++count;
    bytes += cost;
  }

  void erase(std::uint64_t hash, std::string_view key) {
    if (auto i = find(hash, key); i != slots.size())
      remove(i);
  }

  /// The clock hand frees entries until `room` more bytes fit; a referenced
  /// entry loses its bit and one more turn.
  void evict_for(std::size_t room) {
    while (count > 0 && bytes + room > capacity) {
      auto& s = slots[hand];
      if (s.e && !s.e->referenced) {
        remove(hand); // another entry may move into hand: look at it next
        continue;
      }
      if (s.e)
        s.e->referenced = false;
      hand = (hand + 1) & mask();
    }
  }

  void drop_all() {
    for (auto& s : slots) {
      std::free(s.e);
      s = {};
    }
    count = bytes = hand = 0;
  }
};

record_cache::record_cache(std::size_t capacity_bytes)
    : shards_(std::make_unique<shard[]>(shard_count)) {
  for (std::size_t i = 0; i < shard_count; ++i)
    shards_[i].capacity = capacity_bytes / shard_count;
}

record_cache::~record_cache() = default;

std::size_t record_cache::shard_index(std::size_t hash) {
  // The low bits pick the slot inside a shard; the high ones the shard.
  return (hash >> 56) % shard_count;
}

record_cache::shard& record_cache::shard_of(std::size_t hash) const {
  return shards_[shard_index(hash)];
}

bool record_cache::get(std::string_view key, std::string* value) {
  auto h = hash_of(key);
  auto& s = shard_of(h);
  std::lock_guard lock{s.mutex};
  auto i = s.find(h, key);
  if (i == s.slots.size()) {
    ++s.misses;
    return false;
  }
  ++s.hits;
  auto* e = s.slots[i].e;
  e->referenced = true;
  if (value)
    value->assign(e->value());
  return true;
}

std::uint64_t record_cache::ticket(std::string_view key) const {
  auto& s = shard_of(hash_of(key));
  std::lock_guard lock{s.mutex};
  return s.epoch;
}

void record_cache::put(std::string_view key, std::string_view value, std::uint64_t ticket) {
  auto h = hash_of(key);
  auto& s = shard_of(h);
  std::lock_guard lock{s.mutex};
  if (s.epoch == ticket)
    s.put(h, key, value);
}

namespace {

/// The hashes of a write's keys, in its order, and the same set without
/// repeats (a key written twice in one write is claimed once).
struct write_keys {
  std::vector<std::uint64_t> hashes, distinct;
  explicit write_keys(std::span<const record_cache::change> changes) {
    hashes.reserve(changes.size());
    for (const auto& ch : changes)
      hashes.push_back(hash_of(ch.key));
    distinct = hashes;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  }
};

} // namespace

void record_cache::begin_write(std::span<const change> changes) {
  const write_keys keys{changes};
  for (std::size_t i = 0; i < shard_count; ++i) {
    auto& s = shards_[i];
    std::unique_lock lock{s.mutex, std::defer_lock};
    for (auto h : keys.distinct) {
      if (shard_index(h) != i)
        continue;
      if (!lock)
        lock.lock();
      auto& f = s.writing[h];
      f.overlapped = f.overlapped || f.writes > 0;
      ++f.writes;
    }
    if (lock)
      ++s.epoch;
  }
}

void record_cache::end_write(std::span<const change> changes, bool applied) {
  const write_keys keys{changes};
  for (std::size_t i = 0; i < shard_count; ++i) {
    auto& s = shards_[i];
    std::unique_lock lock{s.mutex, std::defer_lock};
    for (std::size_t k = 0; k < changes.size(); ++k) {
      const auto h = keys.hashes[k];
      if (shard_index(h) != i)
        continue;
      if (!lock)
        lock.lock();
      // Another write of this key was in flight with this one: which of
      // their values the store kept is not known here, so neither stays.
      const bool overlapped = s.writing.find(h)->second.overlapped;
      const bool keep = applied && !overlapped && !changes[k].removed &&
                        changes[k].value.size() <= write_through_max;
      if (keep)
        s.put(h, changes[k].key, changes[k].value);
      else
        s.erase(h, changes[k].key);
    }
    if (!lock)
      continue;
    ++s.epoch;
    for (auto h : keys.distinct) {
      if (shard_index(h) != i)
        continue;
      auto f = s.writing.find(h);
      if (--f->second.writes == 0)
        s.writing.erase(f);
    }
  }
}

void record_cache::clear() {
  for (std::size_t i = 0; i < shard_count; ++i) {
    auto& s = shards_[i];
    std::lock_guard lock{s.mutex};
    ++s.epoch;
    s.drop_all();
  }
}

record_cache::counts record_cache::stats() const {
  counts c;
  for (std::size_t i = 0; i < shard_count; ++i) {
    auto& s = shards_[i];
    std::lock_guard lock{s.mutex};
    c.hits += s.hits;
    c.misses += s.misses;
    c.entries += s.count;
    c.bytes += s.bytes;
  }
  return c;
}

} // namespace atrium::storage
