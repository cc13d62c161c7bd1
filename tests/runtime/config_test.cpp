// The node's configuration: documented defaults, flags, a key = value file
// underneath them, and errors that name the offending option so an operator
// can fix the command line without reading code.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "runtime/config.hpp"

using namespace atrium;
using namespace atrium::runtime;
namespace fs = std::filesystem;

namespace {

status parse(std::vector<std::string> args, node_config& cfg) {
  return parse_serve_args(args, cfg);
}

node_config parsed(std::vector<std::string> args) {
  node_config cfg;
  auto s = parse(std::move(args), cfg);
  INFO(s.message());
  REQUIRE(s.is_ok());
  return cfg;
}

/// The error for a command line that must be refused.
status refusal(std::vector<std::string> args) {
  node_config cfg;
  auto s = parse(std::move(args), cfg);
  REQUIRE_FALSE(s.is_ok());
  CHECK(s.code() == errc::invalid);
  return s;
}

/// A config file in a temporary directory, removed afterwards.
struct config_file {
  fs::path path;
  explicit config_file(const std::string& text) {
    std::random_device rd;
    path = fs::temp_directory_path() /
           ("atrium-config-" + std::to_string(rd()) + "-" + std::to_string(rd()) + ".conf");
    std::ofstream{path} << text;
  }
  ~config_file() {
    std::error_code ec;
    fs::remove(path, ec);
  }
};

} // namespace

TEST_CASE("defaults are the documented ones") {
  auto cfg = parsed({});
  CHECK(cfg.data_dir == "./atrium-data");
  CHECK(cfg.listen_host == "127.0.0.1");
  CHECK(cfg.listen_port == 8080);
  CHECK(cfg.partitions == 8);
  CHECK(cfg.io_threads == 0);
  CHECK(edge_io_threads(cfg) >= 1);
  CHECK(cfg.actor_threads == 0);
  CHECK(cfg.writers == 1);
  CHECK(cfg.transaction_writers == 2);
  CHECK(cfg.body_limit == 32u << 20);
  CHECK(cfg.max_in_flight == 4096);
  CHECK(cfg.request_timeout_ms == 30000);
  CHECK(cfg.block_cache_mib == 256);
  CHECK_FALSE(cfg.record_cache_mib);
  CHECK(memory_limit_bytes() > 0);
  CHECK(record_cache_bytes(cfg) == memory_limit_bytes() / 16);
  CHECK(cfg.thread_scheduling == "batch");
}

TEST_CASE("every flag sets its option, as --key value or --key=value") {
  auto cfg = parsed({"--data-dir", "/var/lib/atrium", "--partitions=16", "--io-threads", "4",
                     "--actor-threads=3", "--writers", "5", "--transaction-writers=3", "--body-limit", "2048",
                     "--max-in-flight=10", "--request-timeout-ms", "250",
                     "--block-cache-mib=64", "--record-cache-mib", "0", "--listen", "0.0.0.0:9090",
                     "--scheduler-policy", "stealing", "--thread-scheduling=normal"});
  CHECK(cfg.scheduler_policy == "stealing");
  CHECK(cfg.thread_scheduling == "normal");
  CHECK(cfg.data_dir == "/var/lib/atrium");
  CHECK(cfg.partitions == 16);
  CHECK(cfg.io_threads == 4);
  CHECK(cfg.actor_threads == 3);
  CHECK(cfg.writers == 5);
  CHECK(cfg.transaction_writers == 3);
  CHECK(cfg.body_limit == 2048);
  CHECK(cfg.max_in_flight == 10);
  CHECK(cfg.request_timeout_ms == 250);
  CHECK(cfg.block_cache_mib == 64);
  CHECK(cfg.record_cache_mib == 0u);
  CHECK(record_cache_bytes(cfg) == 0);
  cfg.record_cache_mib = 64;
  CHECK(record_cache_bytes(cfg) == 64u << 20);
  CHECK(cfg.listen_host == "0.0.0.0");
  CHECK(cfg.listen_port == 9090);
}

TEST_CASE("--scheduler-policy takes sharing or stealing only") {
  node_config cfg;
  CHECK(cfg.scheduler_policy == "sharing");
  auto s = apply_option(cfg, "scheduler-policy", "testing");
  CHECK(s.code() == atrium::errc::invalid);
  CHECK(s.where() == "scheduler-policy");
  CHECK(cfg.scheduler_policy == "sharing");
}

TEST_CASE("shard writers run on the scheduler only while a thread stays free of them") {
  node_config cfg;
  CHECK(actor_scheduler_threads(cfg) >= 2);
  CHECK(shard_writers_scheduled(cfg)); // one writer, at least two threads
  cfg.actor_threads = 3;
  cfg.writers = 2;
  CHECK(actor_scheduler_threads(cfg) == 3);
  CHECK(shard_writers_scheduled(cfg));
  cfg.writers = 3;
  CHECK_FALSE(shard_writers_scheduled(cfg));
  cfg.actor_threads = 1;
  cfg.writers = 1;
  CHECK_FALSE(shard_writers_scheduled(cfg));
}

TEST_CASE("--thread-scheduling takes batch or normal only") {
  node_config cfg;
  auto s = apply_option(cfg, "thread-scheduling", "fifo");
  CHECK(s.code() == atrium::errc::invalid);
  CHECK(s.where() == "thread-scheduling");
  CHECK(cfg.thread_scheduling == "batch");
}

TEST_CASE("--listen takes HOST:PORT, IPv6 in brackets, port 0") {
  auto v6 = parsed({"--listen", "[::1]:0"});
  CHECK(v6.listen_host == "::1");
  CHECK(v6.listen_port == 0);
  auto name = parsed({"--listen=localhost:65535"});
  CHECK(name.listen_host == "localhost");
  CHECK(name.listen_port == 65535);

  for (std::string bad : {"8080", ":8080", "host:", "host:65536", "host:-1", "host:80x"}) {
    INFO(bad);
    CHECK(refusal({"--listen", bad}).where() == "listen");
  }
}

TEST_CASE("bad numbers are refused with the option's name and range") {
  auto s = refusal({"--partitions", "0"});
  CHECK(s.where() == "partitions");
  CHECK(s.message().find("partitions") != std::string::npos);
  CHECK(s.message().find("1 to 4096") != std::string::npos);

  CHECK(refusal({"--writers=many"}).where() == "writers");
  CHECK(refusal({"--writers=17"}).where() == "writers");
  CHECK(refusal({"--io-threads", "2.5"}).where() == "io-threads");
  CHECK(refusal({"--body-limit", "1023"}).where() == "body-limit");
  CHECK(refusal({"--request-timeout-ms", ""}).where() == "request-timeout-ms");
  CHECK(refusal({"--max-in-flight", "-3"}).where() == "max-in-flight");
  CHECK(refusal({"--block-cache-mib", "4"}).where() == "block-cache-mib");
  CHECK(refusal({"--actor-threads", "257"}).where() == "actor-threads");
  CHECK(refusal({"--data-dir="}).where() == "data-dir");
}

TEST_CASE("unknown options, stray arguments and missing values are refused") {
  auto unknown = refusal({"--colour", "blue"});
  CHECK(unknown.where() == "colour");
  CHECK(unknown.message().find("colour") != std::string::npos);

  auto stray = refusal({"serve-now"});
  CHECK(stray.message().find("serve-now") != std::string::npos);

  auto missing = refusal({"--writers"});
  CHECK(missing.where() == "writers");
  CHECK(missing.message().find("--writers") != std::string::npos);
}

TEST_CASE("a config file is applied first and flags win") {
  config_file file{"# a node for tests\n"
                   "\n"
                   "data-dir = /srv/atrium   # trailing comment\n"
                   "  partitions=32\n"
                   "writers = 3\n"
                   "listen = [::]:7000\n"};
  auto cfg = parsed({"--writers", "4", "--config", file.path.string()});
  CHECK(cfg.data_dir == "/srv/atrium");
  CHECK(cfg.partitions == 32);
  CHECK(cfg.writers == 4); // the flag, although it came before --config
  CHECK(cfg.listen_host == "::");
  CHECK(cfg.listen_port == 7000);
}

TEST_CASE("config file errors name the file, line and option") {
  config_file bad_value{"partitions = 8\nwriters = zero\n"};
  auto s = refusal({"--config", bad_value.path.string()});
  CHECK(s.where() == "writers");
  CHECK(s.message().find(bad_value.path.string() + ":2") != std::string::npos);

  config_file no_equals{"# fine\npartitions 8\n"};
  auto t = refusal({"--config", no_equals.path.string()});
  CHECK(t.where() == "config");
  CHECK(t.message().find(":2") != std::string::npos);

  config_file unknown{"colour = blue\n"};
  CHECK(refusal({"--config", unknown.path.string()}).where() == "colour");

  auto missing = refusal({"--config", "/nonexistent/atrium.conf"});
  CHECK(missing.where() == "config");
  CHECK(missing.message().find("/nonexistent/atrium.conf") != std::string::npos);
}

TEST_CASE("usage mentions serve and every option") {
  auto text = usage();
  CHECK(text.find("atrium serve") != std::string::npos);
  for (auto option : {"--data-dir", "--listen", "--config", "--partitions", "--io-threads",
                      "--actor-threads", "--scheduler-policy", "--thread-scheduling", "--writers", "--search-workers", "--body-limit",
                      "--max-in-flight",
                      "--request-timeout-ms", "--block-cache-mib", "--help"}) {
    INFO(option);
    CHECK(text.find(option) != std::string::npos);
  }
  // Every option apply_option knows is documented (and vice versa): each
  // documented option accepts a sensible value.
  node_config cfg;
  for (auto [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"data-dir", "d"},
                                                       {"listen", "h:1"},
                                                       {"partitions", "2"},
                                                       {"io-threads", "2"},
                                                       {"actor-threads", "2"},
                                                       {"writers", "2"},
                                                       {"body-limit", "4096"},
                                                       {"max-in-flight", "2"},
                                                       {"request-timeout-ms", "1000"},
                                                       {"block-cache-mib", "16"}}) {
    INFO(key);
    CHECK(apply_option(cfg, key, value).is_ok());
  }
}

// apply_option (runtime/config.cpp, "listen") strips the first and last
// character of any host that starts with '[' without checking for ']', so a
// typo such as "[::1:8080" is accepted as host "::" (every interface)
// instead of being refused.
TEST_CASE("--listen refuses an unclosed IPv6 bracket") {
  node_config cfg;
  auto s = parse({"--listen", "[::1:8080"}, cfg);
  CHECK_FALSE(s.is_ok());
  CHECK(s.where() == "listen");
  CHECK(cfg.listen_host == "127.0.0.1"); // unchanged
}
