#pragma once
// The most recently read resource records, by key, in front of RocksDB.
//
// A read by id that misses RocksDB's memtables pays a walk through the
// levels: a filter per level, the table's index block, the block cache's
// hash table and the data block's hash index, a cache miss at each (18%
// of the io thread in a read run after creates; tools/bench/README.md). A
// hit here is one hash probe. The store keeps it coherent with its writes (store.cpp):
//
//  - a write erases the keys it wrote once RocksDB has applied it, before
//    it is acknowledged, so no read that starts after an acknowledgement
//    finds an older value here;
//  - a reader that missed takes a ticket before reading RocksDB and may
//    keep what it read only if no write reached the key's shard since, so
//    a slow reader cannot put back a value a write has just replaced.
//
// Sharded by key hash (a mutex each). Once a shard holds its share of the
// capacity, a clock hand frees the entries not read since it last passed
// (an entry put and never read is the first to go).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace atrium::storage {

class record_cache {
public:
  /// capacity_bytes counts keys, values and a small header per entry (not
  /// the slot table: 16 bytes per slot, at most half of them in use).
  explicit record_cache(std::size_t capacity_bytes);
  ~record_cache();
  record_cache(const record_cache&) = delete;
  record_cache& operator=(const record_cache&) = delete;

  /// Copies the cached value of key into *value; false when absent.
  bool get(std::string_view key, std::string* value);

  /// Taken before reading the store on a miss; put() keeps the value only
  /// if no erase() or clear() reached key's shard since.
  std::uint64_t ticket(std::string_view key) const;
  void put(std::string_view key, std::string_view value, std::uint64_t ticket);

  /// Called after a write of key reached the store.
  void erase(std::string_view key);
  /// Called after a range of keys was erased in the store.
  void clear();

  struct counts {
    std::uint64_t hits = 0, misses = 0;
    std::size_t entries = 0, bytes = 0;
  };
  counts stats() const;

private:
  struct shard;
  shard& shard_of(std::size_t hash) const;
  std::unique_ptr<shard[]> shards_;
};

} // namespace atrium::storage
