#pragma once
// The node's RocksDB: the only code that touches RocksDB. Thread-safe: reads
// from any thread; writes go through storage_writer actors for group commit.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/status.hpp"
#include "storage/keyspace.hpp"
#include "storage/record_cache.hpp"

namespace rocksdb { class DB; class ColumnFamilyHandle; class Iterator; class Snapshot; }

namespace atrium::storage {

struct store_options {
  /// Block cache for all column families. Default: 256 MiB.
  std::size_t block_cache_bytes = 256u << 20;
  /// Resource records kept in front of RocksDB for reads by key
  /// (storage/record_cache.hpp); 0 keeps none. Default: 0.
  std::size_t record_cache_bytes = 0;
  /// Background flush and compaction threads. Default: 4.
  int background_jobs = 4;
  /// Create the database when missing. Default: true.
  bool create_if_missing = true;
};

/// One mutation of a write batch; a batch is applied atomically.
struct write_op {
  column cf = column::meta;
  bool erase = false;    // delete key (value unused)
  bool erase_range = false; // delete [key, value) (value is the end key)
  std::string key;
  std::string value;
};

/// Reads a key range in key order (or reverse). Holds an implicit snapshot
/// of the moment it was made. Must be destroyed before its store.
class cursor {
public:
  ~cursor();
  cursor(cursor&&) noexcept;
  cursor& operator=(cursor&&) noexcept;

  bool valid() const;
  std::string_view key() const;
  std::string_view value() const;
  void next(); // moves forward for an ascending cursor, backward otherwise
  /// Error of the underlying iterator, if iteration stopped because of one.
  status error() const;

private:
  friend class store;
  cursor(std::unique_ptr<rocksdb::Iterator> it, std::string lower,
         std::string upper, bool descending);
  struct impl;
  std::unique_ptr<impl> impl_;
};

class store;

/// The store as it was at one moment: every read through a view sees the
/// same state, whatever is written meanwhile (a search that reads many
/// ranges stays consistent). Must be destroyed before its store.
class read_view {
public:
  ~read_view();
  read_view(const read_view&) = delete;
  read_view& operator=(const read_view&) = delete;

  status get(column cf, std::string_view key, std::string* value) const;
  cursor scan(column cf, std::string_view lower, std::string_view upper,
              bool descending = false) const;

private:
  friend class store;
  read_view(const store& s, const rocksdb::Snapshot* snap) : store_(s), snap_(snap) {}
  const store& store_;
  const rocksdb::Snapshot* snap_;
};

class store {
public:
  /// Opens (creating when allowed) the database in dir with every column.
  static result<std::unique_ptr<store>> open(const std::string& dir,
                                             const store_options& options = {});
  ~store(); // closes (see close())

  /// errc::not_found when the key is absent; errc::io_error on failure.
  status get(column cf, std::string_view key, std::string* value) const;

  /// Applies ops atomically (one WriteBatch across columns). sync=true waits
  /// for the WAL to reach the disk (fsync) before returning.
  status write(const std::vector<write_op>& ops, bool sync);

  /// Keys in [lower, upper) in ascending order, or descending from the last
  /// key below upper when descending. An empty upper means "no bound".
  cursor scan(column cf, std::string_view lower, std::string_view upper,
              bool descending = false) const;

  /// A consistent view of the current state (see read_view).
  std::unique_ptr<read_view> view() const;

  /// Hits and misses of the record cache (all zero without one).
  record_cache::counts record_cache_stats() const;

  /// Flushes memtables and closes. Idempotent; later calls fail unavailable.
  status close();

private:
  friend class read_view;
  status get_at(column cf, std::string_view key, std::string* value,
                const rocksdb::Snapshot* snap) const;
  cursor scan_at(column cf, std::string_view lower, std::string_view upper, bool descending,
                 const rocksdb::Snapshot* snap) const;
  store() = default;
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace atrium::storage
