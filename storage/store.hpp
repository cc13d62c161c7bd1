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

namespace rocksdb { class DB; class ColumnFamilyHandle; class Iterator; }

namespace atrium::storage {

struct store_options {
  /// Block cache for all column families. Default: 256 MiB.
  std::size_t block_cache_bytes = 256u << 20;
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

  /// Flushes memtables and closes. Idempotent; later calls fail unavailable.
  status close();

private:
  store() = default;
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace atrium::storage
