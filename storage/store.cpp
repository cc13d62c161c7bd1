#include "storage/store.hpp"

#include "storage/memtable.hpp"

#include <array>
#include <atomic>
#include <cstdio>
#include <fstream>

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/slice.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/options_util.h>
#include <rocksdb/write_batch.h>

namespace atrium::storage {
namespace {

status from_rocks(const rocksdb::Status& s) {
  if (s.ok()) return status::ok();
  return status(errc::io_error, s.ToString());
}

status closed() { return status(errc::unavailable, "store is closed"); }

/// RocksDB counts key comparisons, bytes read and more for every thread by
/// default (PerfLevel kEnableCount), each count a thread-local access that
/// goes through __tls_get_addr in the shared library. Nothing here reads
/// those counters, and they cost a read by id ~10% of its instructions
/// (callgrind), so each thread turns them off the first time it uses the
/// store.
void without_perf_counters() {
  thread_local const bool off = [] {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    return true;
  }();
  (void)off;
}

rocksdb::Slice slice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

bool lz4_available() {
  for (auto c : rocksdb::GetSupportedCompressions())
    if (c == rocksdb::kLZ4Compression) return true;
  return false;
}

rocksdb::ColumnFamilyOptions column_options(column c,
                                            const std::shared_ptr<rocksdb::Cache>& cache,
                                            bool dynamic_levels) {
  rocksdb::ColumnFamilyOptions o;
  o.compaction_style = rocksdb::kCompactionStyleLevel;
  // Level targets sized from the last level down (RocksDB's default from
  // 8.4): L0 compacts into the lowest level that needs it, and the upper
  // levels stay a tenth of the ones below, where fixed targets (L1 256 MiB,
  // L2 2.5 GiB, ...) made every L0 compaction of the index rewrite a full
  // L1. Transactions on a grown store +4% (tools/bench/README.md). See
  // levels_sized_dynamically for stores made before.
  o.level_compaction_dynamic_level_bytes = dynamic_levels;
  // Index entries arrive dozens per resource, spread over the whole key
  // range: each flush of the index makes an L0 table that overlaps all of
  // L1, and each L0->L1 compaction rewrites L1. A 64 MiB index memtable
  // (16 MiB before) flushes a quarter as often: compaction time in a 20 s
  // transaction run 34 s -> 15 s, L0 7-8 tables instead of 13-16. Inserts
  // start from the last one's path (memtable.cpp), so the larger list costs
  // them little (creates/s no lower in interleaved runs, tools/bench). The
  // cost: up to two 64 MiB index memtables (one flushing), ~96 MiB more at
  // peak than at 16.
  o.write_buffer_size = 64u << 20;
  // Every create first looks its id up and misses: a memtable bloom filter
  // answers that without a skip-list descent.
  if (c == column::resources) {
    o.memtable_prefix_bloom_size_ratio = 0.02;
    o.memtable_whole_key_filtering = true;
  }
  // Manifests are read by key only for resources that exist (an update's,
  // an _include's): such reads hit, and a filter cannot shorten a hit. So no
  // filters in the tables of their last level (L6, reached by a large
  // column), which would hold most of the filters' memory; the levels above
  // keep theirs, so a read still skips the tables that lack its key.
  if (c == column::manifests)
    o.optimize_filters_for_hits = true;
  // Reads by id are point reads of resources: those memtables keep a hash
  // index too, sized for records of 512 bytes on average (Synthea's are
  // ~800), 2 MiB each. Other columns are scanned or read rarely by key, and
  // their inserts (17 index entries per create) would pay for its upkeep.
  o.memtable_factory =
    ordered_memtable_factory(c == column::resources ? o.write_buffer_size / 512 : 0);
  // Resource JSON and manifests (runs of parameter hashes shared by every
  // resource of a type) compress well; meta, index and change values are
  // tiny or empty, where block compression costs CPU for little.
  const bool bulky = c == column::resources || c == column::history || c == column::dicom ||
                     c == column::manifests;
  rocksdb::BlockBasedTableOptions t;
  t.block_cache = cache; // one cache for every column: memory is bounded once
  // The change feeds and the index are only scanned (whole-key filters do
  // not serve range scans): a filter would never be asked, and its upkeep
  // was a hash and bit sets per entry, a dozen per resource (callgrind over
  // 150 transaction Bundles: the index's memtable filter cost MemTable::Add
  // 16%; see tools/bench/README.md for its table filters).
  if (c != column::changes && c != column::index)
    t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // RocksDB 7.8 compresses each LZ4 block with a fresh stream, whose 16 KiB
  // state it zeroes first: with 4 KiB blocks that cost as much as the
  // compression itself. 16 KiB blocks pay it once per 16 KiB (and compress
  // better); a point read not in the cache reads and decompresses 16 KiB.
  if (bulky)
    t.block_size = 16u << 10;
  // A read by id seeks one key in a 16 KiB block of ~1 KiB records. With a
  // restart point every 16 keys it walked the entries from the last one,
  // a cache miss per record header (DataBlockIter::SeekImpl was 7.5% of a
  // read run's io thread). A restart point per key and the block's hash
  // index from key to restart point make it one probe; the cost is no key
  // prefix sharing (~30 bytes a record) and ~5 bytes a key.
  if (c == column::resources) {
    t.block_restart_interval = 1;
    t.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  }
  // Block checksums by XXH3, not CRC32C: Debian builds RocksDB without
  // SSE4.2, so CRC32C runs from tables (flushes spent 0.7% of a transaction
  // run's CPU on it; 0.03% with XXH3). Each table records its own checksum
  // type, so tables written before still read.
  t.checksum = rocksdb::kXXH3;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  o.compression = bulky && lz4_available() ? rocksdb::kLZ4Compression
                                           : rocksdb::kNoCompression;
  return o;
}

/// Whether the store in `dir` sizes its levels dynamically: a new store
/// does; one made before keeps how it was made, because RocksDB 7.8 does not
/// move the files of a store whose levels were sized the fixed way (from
/// 8.2 it does, on open), and would leave them above its new base level.
bool levels_sized_dynamically(const std::string& dir) {
  // The options file is read as text: loading it as options would also
  // build our memtable factory by name, which RocksDB's registry lacks.
  std::string name;
  if (!rocksdb::GetLatestOptionsFileName(dir, rocksdb::Env::Default(), &name).ok())
    return true; // no options file: a new store
  std::ifstream in{dir + "/" + name};
  std::string line;
  while (std::getline(in, line))
    if (line.find("level_compaction_dynamic_level_bytes=") != std::string::npos)
      return line.find("=true") != std::string::npos;
  return false;
}

} // namespace

// ---- cursor -----------------------------------------------------------------

struct cursor::impl {
  // The iterator keeps pointers to these slices, which point into the
  // strings: all three must stay put while it lives (impl is heap-allocated
  // and never moved, so they do).
  std::string lower, upper;
  rocksdb::Slice lower_slice, upper_slice;
  bool descending = false;
  std::unique_ptr<rocksdb::Iterator> it; // declared last: destroyed first
  status failure;                        // set when the store was closed
  std::shared_ptr<std::atomic<int>> live; // the store's count of open cursors

  ~impl() {
    it.reset();
    if (live) live->fetch_sub(1);
  }
};

cursor::cursor(std::unique_ptr<rocksdb::Iterator> it, std::string lower,
               std::string upper, bool descending)
    : impl_(std::make_unique<impl>()) {
  impl_->lower = std::move(lower);
  impl_->upper = std::move(upper);
  impl_->lower_slice = slice(impl_->lower);
  impl_->upper_slice = slice(impl_->upper);
  impl_->descending = descending;
  impl_->it = std::move(it);
}

cursor::~cursor() = default;
cursor::cursor(cursor&&) noexcept = default;
cursor& cursor::operator=(cursor&&) noexcept = default;

bool cursor::valid() const { return impl_ && impl_->it && impl_->it->Valid(); }

std::string_view cursor::key() const {
  auto k = impl_->it->key();
  return {k.data(), k.size()};
}

std::string_view cursor::value() const {
  auto v = impl_->it->value();
  return {v.data(), v.size()};
}

void cursor::next() {
  if (!valid()) return;
  // The iterator's own bounds stop it at lower (Prev) and upper (Next).
  if (impl_->descending) impl_->it->Prev();
  else impl_->it->Next();
}

status cursor::error() const {
  if (!impl_) return status(errc::internal, "moved-from cursor");
  if (!impl_->failure.is_ok()) return impl_->failure;
  return impl_->it ? from_rocks(impl_->it->status()) : status::ok();
}

// ---- store ------------------------------------------------------------------

struct store::impl {
  std::unique_ptr<rocksdb::DB> db;
  // handles[0] is "default" (RocksDB insists on opening it); column c is at
  // handles[1 + c].
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  std::shared_ptr<std::atomic<int>> live_cursors = std::make_shared<std::atomic<int>>(0);
  // Records of the resources column only, for point reads outside a
  // snapshot (reads by id, an update's current version); searches read
  // through a snapshot and go around it. Other columns are mostly scanned.
  std::unique_ptr<record_cache> records;

  rocksdb::ColumnFamilyHandle* cf(column c) const {
    return handles[1 + static_cast<std::size_t>(c)];
  }
};

result<std::unique_ptr<store>> store::open(const std::string& dir,
                                           const store_options& options) {
  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);

  rocksdb::DBOptions db;
  db.create_if_missing = options.create_if_missing;
  db.create_missing_column_families = true;
  db.max_open_files = -1; // keep every table open: no table-cache misses
  // Two writers' batches overlap: one's memtable inserts run while the
  // next one's WAL record is written and synced. Without it a writer waits
  // for the sync, then inserts, and the others queue behind both (the
  // transaction writers take turns for this; actors/node_context.hpp).
  db.enable_pipelined_write = true;
  // Our memtable (storage/memtable.hpp) takes one inserting thread at a
  // time; a write group's leader then inserts the whole group's batches.
  db.allow_concurrent_memtable_write = false;
  // A WAL file is kept until every column with data in it has flushed, so
  // a rarely written column (meta, dicom) pinned them all: 1.4 GB of WAL
  // after 25 s of transactions, each byte replayed after a crash. Past this
  // size RocksDB flushes the columns that hold the oldest file.
  db.max_total_wal_size = 512ull << 20;
  const int jobs = options.background_jobs > 0 ? options.background_jobs : 1;
  db.IncreaseParallelism(jobs);
  db.max_background_jobs = jobs;
  // Compactions run at nice 19: on two cores they took CPU from the
  // storage writer and the io thread, which then waited to run while
  // requests queued. At a lower priority they use what the requests leave,
  // and a backlog still throttles writes (RocksDB's L0 limits), which frees
  // the CPU for them. Flushes keep the normal priority: starved, a full
  // memtable stops every write (transactions' p99 doubled, max to ~0.75 s).
  // Measured in interleaved runs (tools/bench/README.md): transactions
  // +11%, creates +3%.
  rocksdb::Env::Default()->LowerThreadPoolCPUPriority(rocksdb::Env::Priority::LOW);

  const bool dynamic_levels = levels_sized_dynamically(dir);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  cfs.emplace_back(rocksdb::kDefaultColumnFamilyName,
                   column_options(column::meta, cache, dynamic_levels));
  for (int i = 0; i < column_count; ++i) {
    auto c = static_cast<column>(i);
    cfs.emplace_back(column_name(c), column_options(c, cache, dynamic_levels));
  }

  std::unique_ptr<store> s(new store());
  s->impl_ = std::make_unique<impl>();
  rocksdb::DB* raw = nullptr;
  auto st = rocksdb::DB::Open(db, dir, cfs, &s->impl_->handles, &raw);
  if (!st.ok()) return from_rocks(st);
  s->impl_->db.reset(raw);
  if (options.record_cache_bytes > 0)
    s->impl_->records = std::make_unique<record_cache>(options.record_cache_bytes);
  return s;
}

store::~store() {
  if (!impl_) return;
  auto st = close();
  if (st.code() == errc::internal) {
    // Cursors still alive: closing would abort inside RocksDB. Leak the
    // database instead and say so; this is a bug in the caller.
    std::fprintf(stderr, "atrium storage: %s; database leaked\n", st.message().c_str());
    (void)impl_->db.release();
  }
}

status store::get(column cf, std::string_view key, std::string* value) const {
  auto* records = impl_->records.get();
  if (cf != column::resources || !records || !impl_->db)
    return get_at(cf, key, value, nullptr);
  if (records->get(key, value))
    return status::ok();
  auto ticket = records->ticket(key);
  std::string unasked; // an existence check's record is kept all the same
  auto* read = value ? value : &unasked;
  auto st = get_at(cf, key, read, nullptr);
  if (st)
    records->put(key, *read, ticket);
  return st;
}

record_cache::counts store::record_cache_stats() const {
  return impl_->records ? impl_->records->stats() : record_cache::counts{};
}

status store::get_at(column cf, std::string_view key, std::string* value,
                     const rocksdb::Snapshot* snap) const {
  if (!impl_->db) return closed();
  without_perf_counters();
  std::string ignored; // a null value asks only whether the key exists
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  auto st = impl_->db->Get(ro, impl_->cf(cf), slice(key), value ? value : &ignored);
  if (st.IsNotFound()) return status(errc::not_found, "key not found");
  return from_rocks(st);
}

/// The order in which a batch's ops reach the memtable. A group-committed
/// batch of resources with dozens of index keys each is in random order;
/// sorted, each insert starts from the path of the one before (our skip
/// list, storage/memtable.cpp) and finds most of it still in the cache
/// (24.9k vs 20.2k resources/s in a write-only loop before that path was
/// reused; RocksDB's own skip list, which reuses it too, gained several
/// times more). Sorting is stable, so ops on the same key
/// keep their order, and range deletes are barriers: nothing moves across
/// one, since what they delete depends on what came before.
namespace {
std::vector<const write_op*> memtable_order(const std::vector<write_op>& ops) {
  std::vector<const write_op*> order;
  order.reserve(ops.size());
  for (const auto& op : ops) order.push_back(&op);
  auto by_key = [](const write_op* a, const write_op* b) {
    return a->cf != b->cf ? a->cf < b->cf : a->key < b->key;
  };
  auto begin = order.begin();
  for (auto it = order.begin(); it != order.end(); ++it) {
    if (!(*it)->erase_range) continue;
    std::stable_sort(begin, it, by_key);
    begin = it + 1;
  }
  std::stable_sort(begin, order.end(), by_key);
  return order;
}
} // namespace

status store::write(const std::vector<write_op>& ops, bool sync) {
  if (!impl_->db) return closed();
  without_perf_counters();
  // Sized up front: a group commit's batch is hundreds of KiB, and growing
  // it by doubling copied it over and over (~1% of a transaction run).
  // Per op: tag, column id, two length varints (at most 16 bytes together).
  std::size_t bytes = 12; // the batch header: sequence and count
  for (const auto& op : ops) bytes += 16 + op.key.size() + op.value.size();
  rocksdb::WriteBatch batch(bytes);
  for (const auto* p : memtable_order(ops)) {
    const auto& op = *p;
    auto* h = impl_->cf(op.cf);
    rocksdb::Status st;
    if (op.erase_range) st = batch.DeleteRange(h, slice(op.key), slice(op.value));
    else if (op.erase) st = batch.Delete(h, slice(op.key));
    else st = batch.Put(h, slice(op.key), slice(op.value));
    if (!st.ok()) return from_rocks(st);
  }
  // The resource records this write sets or removes, claimed in the cache
  // before it reaches RocksDB and left there once it has, before anyone is
  // told (record_cache.hpp). A range erase empties the cache instead.
  auto* records = impl_->records.get();
  std::vector<record_cache::change> changes;
  bool erases_range = false;
  if (records)
    for (const auto& op : ops) {
      if (op.cf != column::resources) continue;
      erases_range = erases_range || op.erase_range;
      changes.push_back({op.key, op.value, op.erase});
    }
  if (!changes.empty() && !erases_range) records->begin_write(changes);
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  auto st = from_rocks(impl_->db->Write(wo, &batch));
  // Even a failed write drops its keys: the cache never holds what the
  // store may not.
  if (erases_range) records->clear();
  else if (!changes.empty()) records->end_write(changes, static_cast<bool>(st));
  return st;
}

cursor store::scan(column cf, std::string_view lower, std::string_view upper,
                   bool descending) const {
  return scan_at(cf, lower, upper, descending, nullptr);
}

cursor store::scan_at(column cf, std::string_view lower, std::string_view upper,
                      bool descending, const rocksdb::Snapshot* snap) const {
  // The bounds must live in the cursor before the iterator exists, since
  // ReadOptions only points at them.
  cursor c(nullptr, std::string(lower), std::string(upper), descending);
  if (!impl_->db) {
    c.impl_->failure = closed();
    return c;
  }
  without_perf_counters();
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  ro.total_order_seek = true; // ranges may cross any future prefix extractor
  if (!lower.empty()) ro.iterate_lower_bound = &c.impl_->lower_slice;
  if (!upper.empty()) ro.iterate_upper_bound = &c.impl_->upper_slice;
  c.impl_->it.reset(impl_->db->NewIterator(ro, impl_->cf(cf)));
  c.impl_->live = impl_->live_cursors;
  c.impl_->live->fetch_add(1);

  auto& it = *c.impl_->it;
  if (!descending) {
    if (lower.empty()) it.SeekToFirst();
    else it.Seek(c.impl_->lower_slice);
  } else if (upper.empty()) {
    it.SeekToLast();
  } else {
    it.SeekForPrev(c.impl_->upper_slice);
    // SeekForPrev lands on a key <= target; upper is exclusive.
    if (it.Valid() && it.key() == c.impl_->upper_slice) it.Prev();
  }
  return c;
}

std::unique_ptr<read_view> store::view() const {
  const rocksdb::Snapshot* snap = impl_->db ? impl_->db->GetSnapshot() : nullptr;
  // A snapshot outliving the DB is as fatal as an iterator: count it alike.
  if (snap) impl_->live_cursors->fetch_add(1);
  return std::unique_ptr<read_view>(new read_view(*this, snap));
}

read_view::~read_view() {
  if (!snap_) return;
  store_.impl_->db->ReleaseSnapshot(snap_);
  store_.impl_->live_cursors->fetch_sub(1);
}

status read_view::get(column cf, std::string_view key, std::string* value) const {
  if (!snap_) return closed();
  return store_.get_at(cf, key, value, snap_);
}

cursor read_view::scan(column cf, std::string_view lower, std::string_view upper,
                       bool descending) const {
  return store_.scan_at(cf, lower, upper, descending, snap_);
}

status store::close() {
  if (!impl_->db) return status::ok(); // already closed: idempotent
  // An iterator outliving its DB aborts RocksDB ("last_ref"): refuse.
  if (int n = impl_->live_cursors->load(); n > 0)
    return status(errc::internal, std::to_string(n) + " cursor(s) still open at close");

  rocksdb::FlushOptions fo;
  fo.wait = true;
  std::vector<rocksdb::ColumnFamilyHandle*> user(impl_->handles.begin() + 1,
                                                 impl_->handles.end());
  status first = from_rocks(impl_->db->Flush(fo, user));
  for (auto* h : impl_->handles) {
    auto st = impl_->db->DestroyColumnFamilyHandle(h);
    if (first.is_ok() && !st.ok()) first = from_rocks(st);
  }
  impl_->handles.clear();
  auto st = impl_->db->Close();
  if (first.is_ok() && !st.ok()) first = from_rocks(st);
  impl_->db.reset();
  return first;
}

} // namespace atrium::storage
