#pragma once
// What every actor of a node shares: the store, the writers, the clock and
// the directory. Owned by the runtime; outlives every actor.
#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

#include "actors/actors.hpp"
#include "actors/node_clock.hpp"

namespace atrium::storage { class store; class file_store; }

namespace atrium::actors {

class directory;
class param_catalog;
class criteria_cache;
class change_sequences;
class query_tag_registry;
class work_pool;

struct node_context {
  storage::store* db = nullptr;
  /// Storage writers (actors/storage_writer.hpp): `writers` store the
  /// shards' writes, `transaction_writers` the transactions' batches.
  std::vector<storage_writer_actor> writers;
  std::vector<storage_writer_actor> transaction_writers;
  std::atomic<std::size_t> next_transaction_writer{0};
  /// Detached search workers (actors/fhir/search_worker.hpp), used in turn.
  std::vector<fhir_actor> search_workers;
  std::atomic<std::size_t> next_search_worker{0};
  node_clock clock;
  directory* dir = nullptr;
  /// Each FHIR service's search parameters (actors/fhir/param_catalog.hpp).
  param_catalog* params = nullptr;
  /// Matches of conditional references, kept while their type is unwritten
  /// (actors/fhir/criteria_cache.hpp); null: not kept.
  criteria_cache* criteria = nullptr;
  /// Each DICOM service's change feed numbers (actors/dicom/change_sequences.hpp).
  change_sequences* sequences = nullptr;
  /// Each DICOM service's extended query tags (actors/dicom/query_tag_registry.hpp).
  query_tag_registry* query_tags = nullptr;
  /// DICOM instance bytes (storage/file_store.hpp).
  storage::file_store* files = nullptr;
  /// Threads for blocking work actors hand off (file removal); null: none,
  /// the work is done in place.
  work_pool* background = nullptr;
  /// Durable writes per resource type (any service), counted after they
  /// are visible: what a cached search result is checked against.
  std::array<std::atomic<std::uint64_t>, 256> type_writes{};
  void wrote(std::uint16_t type) {
    type_writes[type & 0xff].fetch_add(1, std::memory_order_release);
  }
  std::uint64_t writes_of(std::uint16_t type) const {
    return type_writes[type & 0xff].load(std::memory_order_acquire);
  }
  /// Partitions per resource type of a FHIR service (hash(id) mod P).
  std::uint32_t partitions = 8;
  /// Most resources one conditional delete removes (its `_count`).
  std::uint32_t conditional_delete_max = 100;
  /// Service ids are interned once and never reused; loaded at start from
  /// the store (the persisted counter and the highest id in use).
  std::atomic<std::uint32_t> next_service_id{1};

  const fhir_actor& search_worker() {
    return search_workers[next_search_worker.fetch_add(1, std::memory_order_relaxed) %
                          search_workers.size()];
  }

  /// Writes of one shard always go to the same writer, so they commit in the
  /// order the shard sent them. One writer for every shard measured 20-30%
  /// more durable creates/s than two on 2 cores: every write joins the same
  /// group commit, so half the fsyncs and thread wake-ups (tools/bench).
  const storage_writer_actor& writer_for(std::uint64_t shard) const {
    return writers[shard % writers.size()];
  }

  /// A transaction's batch is big and one batch already: it gains nothing
  /// from joining the shards' group commit, and on writers of its own it
  /// neither waits behind them nor delays them (about 10% more resources/s
  /// than sharing one writer). Transactions take their writers in turn:
  /// with RocksDB's pipelined writes one batch's memtable inserts overlap the
  /// next one's WAL sync, where a single writer does the two one after the
  /// other (~9% more resources/s with two; tools/bench/README.md). Safe: a
  /// partition prepares an id only once its earlier writes are durable, and
  /// holds it until the batch is, so no two batches in flight share an id.
  const storage_writer_actor& transaction_writer() {
    const auto turn = next_transaction_writer.fetch_add(1, std::memory_order_relaxed);
    return transaction_writers[turn % transaction_writers.size()];
  }
};

} // namespace atrium::actors
