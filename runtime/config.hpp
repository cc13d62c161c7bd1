#pragma once
// The node's configuration: defaults, a key = value file and command-line
// flags (flags win over the file). Every option is documented beside its
// default, and `atrium --help` prints the same text.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocols/common/status.hpp"

namespace atrium::runtime {

struct node_config {
  /// Where the node's RocksDB lives. Default: ./atrium-data.
  std::string data_dir = "./atrium-data";
  /// Address the edge listens on (HOST:PORT; port 0 picks one). Default: 127.0.0.1:8080.
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  /// Partitions per FHIR resource type (hash(id) mod P). Fixed for a data
  /// dir's life: resources are routed by it. Default: 8.
  std::uint32_t partitions = 8;
  /// Edge io threads; 0: half the cores, at least one (edge_io_threads). On
  /// 2 cores one io thread served 20-40% more reads than two at the same
  /// create rate: two left the actors' threads too little of the machine
  /// (tools/bench, three interleaved rounds). Default: 0.
  int io_threads = 0;
  /// CAF scheduler threads. Default: the number of cores, at least two.
  int actor_threads = 0;
  /// CAF scheduler: "sharing" (one queue, sleeping workers woken at once) or
  /// "stealing" (per-worker queues, idle workers poll). On 2 cores sharing
  /// served ~15% more reads at a lower p99 (tools/bench). Default: sharing.
  std::string scheduler_policy = "sharing";
  /// Linux scheduling of every thread the node starts: "batch" (SCHED_BATCH:
  /// a thread woken by another, a CAF worker by the io thread that handed it
  /// a request, waits for the running one to block or use up its slice
  /// instead of preempting it) or "normal" (SCHED_OTHER). A durable create
  /// crosses four threads; preempted at each hand-off, the node switched
  /// threads ~3 times per create, and under batch ~1, for ~12% more creates
  /// on 2 cores, reads and transactions unchanged (tools/bench/README.md,
  /// "Threads that do not preempt each other"). Default: batch.
  std::string thread_scheduling = "batch";
  /// Search workers: detached threads that run index scans. Default: 2.
  int search_workers = 2;
  /// Storage writer actors (each one group-commits) for the shards' writes
  /// (node_context::writer_for). Default: 1.
  int writers = 1;
  /// Storage writer actors for transactions, taken in turn
  /// (node_context::transaction_writer). Default: 2.
  int transaction_writers = 2;
  /// Largest request body in bytes (413 beyond). Default: 32 MiB.
  std::size_t body_limit = 32u << 20;
  /// Largest STOW-RS body in bytes. Beyond body_limit (or chunked) it is
  /// spooled to a temporary file in {data-dir}/spool rather than held in
  /// memory. Default: 64 GiB.
  std::uint64_t stow_limit = 64ull << 30;
  /// Most entries a batch or transaction Bundle may hold (400 beyond).
  /// Default: 500, like Azure's FHIR service.
  std::size_t bundle_entries = 500;
  /// Most resources one conditional delete removes: its `_count` may ask
  /// for up to this many (400 beyond). Default: 100, like Azure's.
  std::uint32_t conditional_delete_max = 100;
  /// Requests in flight across the node before 429. Default: 4096.
  std::size_t max_in_flight = 4096;
  /// How long a request may wait for its actor, in ms. Default: 30000.
  std::uint32_t request_timeout_ms = 30000;
  /// RocksDB block cache in MiB. Default: 256.
  std::size_t block_cache_mib = 256;
  /// Resource records cached for reads by key, in MiB (0: none). Unset: a
  /// sixteenth of the memory the node may use (record_cache_bytes).
  std::optional<std::size_t> record_cache_mib;
};

/// The memory this process may use: the machine's, or its cgroup's limit
/// when that is lower (a container's).
std::uint64_t memory_limit_bytes();

/// The record cache `cfg` asks for: record_cache_mib, or a sixteenth of
/// memory_limit_bytes(). Writes go through it (storage/record_cache.hpp),
/// so it holds the resources most recently written or read: ~1.5 GiB on a
/// 24 GiB machine kept every record of the standard bench run, whose reads
/// then never reached RocksDB (tools/bench/README.md).
std::size_t record_cache_bytes(const node_config& cfg);

/// The edge io threads `cfg` asks for: io_threads, or half the cores.
int edge_io_threads(const node_config& cfg);

/// The CAF scheduler threads `cfg` asks for: actor_threads, or the cores
/// (at least two).
int actor_scheduler_threads(const node_config& cfg);

/// Whether the shards' storage writers run on the scheduler's threads
/// (else each on a thread of its own): while the scheduler keeps at least
/// one thread that no writer can hold. See node.cpp.
bool shard_writers_scheduled(const node_config& cfg);

/// Reads `key = value` lines ('#' starts a comment) into cfg.
status load_config_file(const std::string& path, node_config& cfg);

/// Applies one option by name (as in the file, or a flag without "--").
status apply_option(node_config& cfg, const std::string& key, const std::string& value);

/// Parses the arguments after "serve". A --config file is applied first,
/// then the other flags.
status parse_serve_args(const std::vector<std::string>& args, node_config& cfg);

/// The help text of `atrium --help`.
std::string usage();

} // namespace atrium::runtime
