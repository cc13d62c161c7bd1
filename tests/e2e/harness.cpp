#include "tests/e2e/harness.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef ATRIUM_BINARY
#error "ATRIUM_BINARY must name the atrium executable"
#endif

namespace e2e {

namespace {

using steady = std::chrono::steady_clock;

// Bounds for start-up: generous for a loaded CI machine, yet finite.
constexpr auto start_timeout = std::chrono::seconds{30};
constexpr auto poll_interval = std::chrono::milliseconds{10};

std::string read_file(const std::filesystem::path& p, std::size_t offset = 0) {
  std::ifstream in{p, std::ios::binary};
  if (!in)
    return {};
  in.seekg(static_cast<std::streamoff>(offset));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

} // namespace

// ---- temp_dir ----------------------------------------------------------------

temp_dir::temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string{base && *base ? base : "/tmp"} + "/atrium-e2e-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data()))
    throw std::runtime_error(std::string{"mkdtemp: "} + std::strerror(errno));
  path_ = buf.data();
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

// ---- node --------------------------------------------------------------------

node::node(std::vector<std::string> extra_args)
  : data_dir_(dir_.path() / "data"), log_path_(dir_.path() / "atrium.log"),
    extra_args_(std::move(extra_args)) {
  start();
}

node::~node() {
  if (pid_ > 0)
    kill();
}

std::string node::log() const { return read_file(log_path_); }

std::unique_ptr<http_client> node::client() const {
  return std::make_unique<http_client>(port_);
}

void node::start() {
  if (pid_ > 0)
    throw std::logic_error("node::start: already running");
  std::error_code ec;
  auto log_offset = static_cast<std::size_t>(std::filesystem::file_size(log_path_, ec));
  if (ec)
    log_offset = 0;

  // Everything the child needs is built before fork: after fork in a threaded
  // process only async-signal-safe calls are allowed.
  std::vector<std::string> args{ATRIUM_BINARY, "serve", "--listen", "127.0.0.1:0",
                                "--data-dir", data_dir_.string()};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string log_file = log_path_.string();
  pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error(std::string{"fork: "} + std::strerror(errno));
  if (pid == 0) {
    // If the test process dies (crash, timeout kill), the node goes with it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(127);
    int fd = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0)
      ::dup2(devnull, STDIN_FILENO);
    // The test process may have blocked signals in some thread; start clean.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  pid_ = pid;
  port_ = 0;
  wait_until_listening(log_offset);
  wait_until_ready();
}

bool node::reap(bool block) {
  if (pid_ <= 0)
    return true;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    last_status_ = status;
    pid_ = -1;
    return true;
  }
  return false;
}

void node::fail_start(const std::string& why) {
  if (pid_ > 0)
    kill();
  throw std::runtime_error("atrium did not start: " + why + "\n--- log ---\n" + log());
}

void node::wait_until_listening(std::size_t log_offset) {
  // The node logs {"ts":…,"event":"listening","detail":"127.0.0.1:PORT data-dir=…"}
  // once its edge accepts; that line is the only way to learn an ephemeral port.
  static constexpr std::string_view marker = R"("event":"listening","detail":"127.0.0.1:)";
  auto deadline = steady::now() + start_timeout;
  while (steady::now() < deadline) {
    auto text = read_file(log_path_, log_offset);
    if (auto at = text.find(marker); at != std::string::npos) {
      auto p = at + marker.size();
      unsigned port = 0;
      while (p < text.size() && text[p] >= '0' && text[p] <= '9')
        port = port * 10 + static_cast<unsigned>(text[p++] - '0');
      if (port == 0 || port > 65535)
        fail_start("bad port in the listening line");
      port_ = static_cast<std::uint16_t>(port);
      return;
    }
    if (reap(false))
      fail_start("the process exited with status " + std::to_string(last_status_));
    std::this_thread::sleep_for(poll_interval);
  }
  fail_start("no listening line within the time limit");
}

void node::wait_until_ready() {
  auto deadline = steady::now() + start_timeout;
  while (steady::now() < deadline) {
    try {
      http_client c{port_, std::chrono::seconds{2}};
      if (c.get("/readyz").status == 200)
        return;
    } catch (const std::runtime_error&) {
      // not accepting yet
    }
    if (reap(false))
      fail_start("the process exited with status " + std::to_string(last_status_));
    std::this_thread::sleep_for(poll_interval);
  }
  fail_start("/readyz did not answer 200 within the time limit");
}

int node::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0)
    throw std::logic_error("node::stop: not running");
  ::kill(pid_, SIGTERM);
  auto deadline = steady::now() + grace;
  while (steady::now() < deadline) {
    if (reap(false)) {
      if (WIFEXITED(last_status_))
        return WEXITSTATUS(last_status_);
      return -WTERMSIG(last_status_);
    }
    std::this_thread::sleep_for(poll_interval);
  }
  kill();
  return -1000;
}

void node::kill() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  reap(true);
}

node& shared_node() {
  static node instance;
  return instance;
}

// ---- json --------------------------------------------------------------------

json::json(std::string_view text) : text_(text) {
  if (auto err = parser_.parse(text_).get(root_))
    throw std::runtime_error(std::string{"not JSON ("} + simdjson::error_message(err) +
                             "): " + std::string{text.substr(0, 500)});
}

std::string json::str(std::string_view pointer) const {
  std::string_view v;
  if (root_.at_pointer(pointer).get(v) != simdjson::SUCCESS)
    return {};
  return std::string{v};
}

std::int64_t json::num(std::string_view pointer, std::int64_t fallback) const {
  std::int64_t v = 0;
  if (root_.at_pointer(pointer).get(v) != simdjson::SUCCESS)
    return fallback;
  return v;
}

bool json::has(std::string_view pointer) const {
  return root_.at_pointer(pointer).error() == simdjson::SUCCESS;
}

std::size_t json::count(std::string_view pointer) const {
  simdjson::dom::array a;
  if (root_.at_pointer(pointer).get(a) != simdjson::SUCCESS)
    return 0;
  return a.size();
}

std::string bundle_link(const json& bundle, std::string_view relation) {
  simdjson::dom::array links;
  if (bundle.root()["link"].get(links) != simdjson::SUCCESS)
    return {};
  for (auto link : links) {
    std::string_view rel, url;
    if (link["relation"].get(rel) == simdjson::SUCCESS && rel == relation &&
        link["url"].get(url) == simdjson::SUCCESS)
      return std::string{url};
  }
  return {};
}

std::string target_of(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos)
    return std::string{url};
  auto slash = url.find('/', scheme + 3);
  return slash == std::string_view::npos ? "/" : std::string{url.substr(slash)};
}

std::string instant_now(int offset_hours) {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000) + offset_hours * 3600;
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02d:00",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000), offset_hours < 0 ? '-' : '+',
                offset_hours < 0 ? -offset_hours : offset_hours);
  return buf;
}

} // namespace e2e
