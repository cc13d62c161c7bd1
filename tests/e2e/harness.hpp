// Starts the real `atrium` binary for end-to-end tests: a fresh temporary
// data dir, an ephemeral port found from the log, readiness by /readyz, and
// stop by SIGTERM or SIGKILL. The destructor never leaves a child running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "tests/e2e/http_client.hpp"

namespace e2e {

/// A directory under $TMPDIR (or /tmp) removed with its contents on destruction.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

/// One `atrium serve` child process on 127.0.0.1 with its own data dir. The
/// data dir outlives restarts of the process, so a test can stop and start
/// the node on the same store.
class node {
public:
  /// Starts at once; extra_args are appended to `atrium serve` (e.g.
  /// {"--body-limit", "2048"}).
  explicit node(std::vector<std::string> extra_args = {});
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// Starts the process on the same data dir and waits until it is ready.
  void start();
  /// SIGTERM, then waits; returns the exit code (-signal if it died by a
  /// signal, -1000 if it had to be killed after the grace period).
  int stop(std::chrono::milliseconds grace = std::chrono::seconds{20});
  /// SIGKILL: the abrupt end that durability must survive.
  void kill();
  bool running() const { return pid_ > 0; }
  /// The running process's id (for /proc), -1 when stopped.
  pid_t pid() const { return pid_; }

  std::uint16_t port() const { return port_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  /// Everything the node wrote to stdout and stderr so far (all runs).
  std::string log() const;
  /// A new connection to this node.
  std::unique_ptr<http_client> client() const;

private:
  void wait_until_listening(std::size_t log_offset);
  void wait_until_ready();
  bool reap(bool block);
  [[noreturn]] void fail_start(const std::string& why);

  temp_dir dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path log_path_;
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
  int last_status_ = 0; // raw waitpid status of the last run
  std::uint16_t port_ = 0;
};

/// A node shared by every test that does not need its own (no restarts, no
/// special flags); started on first use, stopped at process exit. Tests on
/// it use their own ids so that they do not see each other.
node& shared_node();

/// A parsed JSON document for assertions; stays in place (the DOM points
/// into its parser).
class json {
public:
  explicit json(std::string_view text);
  json(const json&) = delete;
  json& operator=(const json&) = delete;

  simdjson::dom::element root() const { return root_; }
  /// JSON pointer ("/meta/versionId"); "" when absent or not a string.
  std::string str(std::string_view pointer) const;
  std::int64_t num(std::string_view pointer, std::int64_t fallback = -1) const;
  bool has(std::string_view pointer) const;
  /// Size of the array at pointer; 0 when absent.
  std::size_t count(std::string_view pointer) const;

private:
  simdjson::dom::parser parser_;
  simdjson::padded_string text_;
  simdjson::dom::element root_;
};

/// The URL of the Bundle link with that relation; "" when absent.
std::string bundle_link(const json& bundle, std::string_view relation);

/// The path and query of an absolute URL ("http://host/a?b" -> "/a?b").
std::string target_of(std::string_view url);

/// An instant `offset_hours` east of UTC for the current time, written with
/// that offset ("…T11:00:00.123+01:00"), so a query carries '+' and ':'.
std::string instant_now(int offset_hours);

} // namespace e2e
