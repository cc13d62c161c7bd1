#pragma once
// The most recently read resource records, by key, in front of RocksDB.
//
// A read by id that misses RocksDB's memtables pays a walk through the
// levels: a filter per level, the table's index block, the block cache's
// hash table and the data block's hash index, a cache miss at each (18%
// of the io thread in a read run after creates; tools/bench/README.md). A
// hit here is one hash probe. The store keeps it coherent with its writes (store.cpp):
//
//  - a write claims the shards of its keys before it reaches RocksDB and,
//    once RocksDB has applied it and before it is acknowledged, leaves the
//    values it wrote in them (write-through: a resource just written is
//    read by id without a walk through the levels). A key that another
//    write held in flight at the same time is dropped instead, so of two
//    writes of one key neither can leave the older value behind.
//    No read that starts after an acknowledgement finds an older value;
//  - a reader that missed takes a ticket before reading RocksDB and may
//    keep what it read only if no write claimed or settled the key's
//    shard since, so a slow reader cannot put back a value a write has
//    just replaced.
//
// Sharded by key hash (a mutex each). Once a shard holds its share of the
// capacity, a clock hand frees the entries not read since it last passed
// (an entry put and never read is the first to go).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

namespace atrium::storage {

class record_cache {
public:
  static constexpr std::size_t shard_count = 16;
  /// A write leaves values up to this size (a Synthea resource is ~1 KiB);
  /// a larger one (a Binary of megabytes) would push out thousands of
  /// records that are read, so it enters on its first read instead.
  static constexpr std::size_t write_through_max = 256u << 10;

  /// capacity_bytes counts keys, values and a small header per entry (not
  /// the slot table: 16 bytes per slot, at most half of them in use).
  explicit record_cache(std::size_t capacity_bytes);
  ~record_cache();
  record_cache(const record_cache&) = delete;
  record_cache& operator=(const record_cache&) = delete;

  /// Copies the cached value of key into *value; false when absent.
  bool get(std::string_view key, std::string* value);

  /// Taken before reading the store on a miss; put() keeps the value only
  /// if no write (begin_write, end_write) or clear() reached key's shard
  /// since.
  std::uint64_t ticket(std::string_view key) const;
  void put(std::string_view key, std::string_view value, std::uint64_t ticket);

  /// One record a write sets (value) or removes.
  struct change {
    std::string_view key;
    std::string_view value;
    bool removed = false;
  };
  /// Called before the write reaches the store: marks its keys in flight
  /// and moves their shards' epochs on, so no ticket taken before fits.
  void begin_write(std::span<const change> changes);
  /// Called once the store has applied the write (`applied`) or failed it,
  /// with the same changes. Keeps the values written, in the order given
  /// (the last change of a key wins), except of keys another write held in
  /// flight at the same time and values over write_through_max, which are
  /// dropped; moves the epochs on again.
  void end_write(std::span<const change> changes, bool applied);
  /// Called after a range of keys was erased in the store.
  void clear();

  struct counts {
    std::uint64_t hits = 0, misses = 0;
    std::size_t entries = 0, bytes = 0;
  };
  counts stats() const;

private:
  struct shard;
  static std::size_t shard_index(std::size_t hash);
  shard& shard_of(std::size_t hash) const;
  std::unique_ptr<shard[]> shards_;
};

} // namespace atrium::storage
