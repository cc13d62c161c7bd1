#include "runtime/config.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <thread>

#include <unistd.h>

namespace atrium::runtime {

namespace {

template <class T>
status parse_number(const std::string& key, const std::string& value, T& out, T min, T max) {
  T v{};
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc{} || p != value.data() + value.size() || v < min || v > max)
    return {errc::invalid,
            "option " + key + " must be a whole number from " + std::to_string(min) + " to " +
              std::to_string(max) + ", not '" + value + "'",
            key};
  out = v;
  return status::ok();
}

/// An option that names one of two choices.
status parse_choice(const std::string& key, const std::string& value, std::string& out,
                    const char* first, const char* second) {
  if (value != first && value != second)
    return {errc::invalid, key + " must be " + first + " or " + second + ", not '" + value + "'",
            key};
  out = value;
  return status::ok();
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

} // namespace

status apply_option(node_config& cfg, const std::string& key, const std::string& value) {
  if (key == "data-dir") {
    if (value.empty())
      return {errc::invalid, "data-dir must not be empty", key};
    cfg.data_dir = value;
    return status::ok();
  }
  if (key == "listen") {
    auto colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0)
      return {errc::invalid, "listen must be HOST:PORT, not '" + value + "'", key};
    std::uint32_t port = 0;
    if (auto s = parse_number<std::uint32_t>(key, value.substr(colon + 1), port, 0, 65535); !s)
      return s;
    auto host = value.substr(0, colon);
    if (host.front() == '[') { // [::1]:8080
      if (host.size() < 3 || host.back() != ']')
        return {errc::invalid, "listen must be HOST:PORT, not '" + value + "'", key};
      host = host.substr(1, host.size() - 2);
    }
    cfg.listen_host = host;
    cfg.listen_port = static_cast<std::uint16_t>(port);
    return status::ok();
  }
  if (key == "partitions")
    return parse_number<std::uint32_t>(key, value, cfg.partitions, 1, 4096);
  if (key == "io-threads")
    return parse_number(key, value, cfg.io_threads, 0, 64);
  if (key == "actor-threads")
    return parse_number(key, value, cfg.actor_threads, 0, 256);
  if (key == "scheduler-policy")
    return parse_choice(key, value, cfg.scheduler_policy, "sharing", "stealing");
  if (key == "thread-scheduling")
    return parse_choice(key, value, cfg.thread_scheduling, "batch", "normal");
  if (key == "search-workers")
    return parse_number(key, value, cfg.search_workers, 1, 64);
  if (key == "writers")
    return parse_number(key, value, cfg.writers, 1, 16);
  if (key == "transaction-writers")
    return parse_number(key, value, cfg.transaction_writers, 1, 16);
  if (key == "body-limit")
    return parse_number<std::size_t>(key, value, cfg.body_limit, 1024, std::size_t{1} << 40);
  if (key == "stow-limit")
    return parse_number<std::uint64_t>(key, value, cfg.stow_limit, 1024, std::uint64_t{1} << 50);
  if (key == "bundle-entries")
    return parse_number<std::size_t>(key, value, cfg.bundle_entries, 1, 100000);
  if (key == "conditional-delete-max")
    return parse_number<std::uint32_t>(key, value, cfg.conditional_delete_max, 1, 100000);
  if (key == "max-in-flight")
    return parse_number<std::size_t>(key, value, cfg.max_in_flight, 1, 1u << 20);
  if (key == "request-timeout-ms")
    return parse_number<std::uint32_t>(key, value, cfg.request_timeout_ms, 100, 3600000);
  if (key == "block-cache-mib")
    return parse_number<std::size_t>(key, value, cfg.block_cache_mib, 8, 1u << 20);
  if (key == "record-cache-mib") {
    std::size_t mib = 0;
    auto s = parse_number<std::size_t>(key, value, mib, 0, 1u << 20);
    if (s)
      cfg.record_cache_mib = mib;
    return s;
  }
  return {errc::invalid, "unknown option '" + key + "' (see atrium --help)", key};
}

int edge_io_threads(const node_config& cfg) {
  if (cfg.io_threads > 0)
    return cfg.io_threads;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency() / 2));
}

int actor_scheduler_threads(const node_config& cfg) {
  if (cfg.actor_threads > 0)
    return cfg.actor_threads;
  return std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
}

std::uint64_t memory_limit_bytes() {
  const auto pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  std::uint64_t limit = pages > 0 && page > 0 ? std::uint64_t(pages) * std::uint64_t(page) : 0;
  // cgroup v2 names the limit in bytes, or "max" for none.
  std::ifstream in{"/sys/fs/cgroup/memory.max"};
  std::uint64_t cgroup = 0;
  if (in >> cgroup && cgroup > 0 && (limit == 0 || cgroup < limit))
    limit = cgroup;
  return limit;
}

std::size_t record_cache_bytes(const node_config& cfg) {
  if (cfg.record_cache_mib)
    return *cfg.record_cache_mib << 20;
  const auto limit = memory_limit_bytes();
  return limit ? static_cast<std::size_t>(limit / 16) : std::size_t{128} << 20;
}

bool shard_writers_scheduled(const node_config& cfg) {
  return cfg.writers < actor_scheduler_threads(cfg);
}

status load_config_file(const std::string& path, node_config& cfg) {
  std::ifstream in{path};
  if (!in)
    return {errc::invalid, "cannot read config file '" + path + "'", "config"};
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    line = trim(line.substr(0, line.find('#')));
    if (line.empty())
      continue;
    auto eq = line.find('=');
    if (eq == std::string::npos)
      return {errc::invalid, path + ":" + std::to_string(number) + ": expected key = value",
              "config"};
    if (auto s = apply_option(cfg, trim(line.substr(0, eq)), trim(line.substr(eq + 1))); !s)
      return {s.code(), path + ":" + std::to_string(number) + ": " + s.message(), s.where()};
  }
  return status::ok();
}

status parse_serve_args(const std::vector<std::string>& args, node_config& cfg) {
  std::vector<std::pair<std::string, std::string>> flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto arg = args[i];
    if (!arg.starts_with("--"))
      return {errc::invalid, "unexpected argument '" + arg + "' (see atrium --help)"};
    arg = arg.substr(2);
    std::string value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return {errc::invalid, "option --" + arg + " needs a value", arg};
    }
    flags.emplace_back(arg, value);
  }
  for (auto& [k, v] : flags)
    if (k == "config")
      if (auto s = load_config_file(v, cfg); !s)
        return s;
  for (auto& [k, v] : flags)
    if (k != "config")
      if (auto s = apply_option(cfg, k, v); !s)
        return s;
  return status::ok();
}

std::string usage() {
  return R"(Atrium: an open healthcare data platform: FHIR R4 and DICOMweb today; the IoT
connector (MedTech) answers 501 until it is built.

Usage:
  atrium serve [options]   run a node: the HTTP edge, its actors and its store
  atrium --help            this text

The first start creates workspace "default" with FHIR service "fhir", DICOM
service "dicom" and IoT connector "iot", so
  http://127.0.0.1:8080/default/fhir/metadata
answers with no set-up. SIGINT or SIGTERM stop the node in order: stop
accepting, drain requests in flight, flush, close the store.

Options of serve (also accepted as "key = value" lines in a --config file;
flags win over the file):
  --data-dir DIR           where the node's RocksDB lives      [./atrium-data]
  --listen HOST:PORT       address of the HTTP edge (port 0 picks a free one)
                                                              [127.0.0.1:8080]
  --config FILE            read options from FILE
  --partitions N           partitions per FHIR resource type; keep it for a
                           data dir's life                              [8]
  --io-threads N           edge io threads (0 = half the cores)         [0]
  --actor-threads N        actor scheduler threads (0 = cores)          [0]
  --scheduler-policy P     actor scheduler: sharing or stealing   [sharing]
  --thread-scheduling S    Linux policy of the node's threads: batch
                           (a woken thread does not preempt the running
                           one) or normal                           [batch]
  --writers N              storage writers (group commit) of the shards'
                           writes                                       [1]
  --transaction-writers N  storage writers of transactions, in turn     [2]
  --search-workers N       threads running searches                     [2]
  --body-limit BYTES       largest request body (413 beyond)     [33554432]
  --stow-limit BYTES       largest STOW-RS body; beyond the body limit
                           it is spooled to {data-dir}/spool [68719476736]
  --bundle-entries N       most entries of a batch or transaction       [500]
  --conditional-delete-max N  most resources one conditional delete
                           removes (its _count may ask up to this)      [100]
  --max-in-flight N        requests in flight before 429             [4096]
  --request-timeout-ms MS  how long a request waits for its actor   [30000]
  --block-cache-mib MIB    RocksDB block cache                        [256]
  --record-cache-mib MIB   resource records written or read lately,
                           kept for reads by id (0: none)
                                        [a 16th of the node's memory]

Endpoints: /healthz, /readyz, /workspaces (management API),
/{workspace}/{service}/... (data plane; FHIR at /default/fhir).
)";
}

} // namespace atrium::runtime
