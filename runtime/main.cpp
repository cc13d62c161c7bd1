// The `atrium` executable: subcommands, signals, start-up and shutdown.
#include <sched.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include <gperftools/malloc_extension.h>

#include "actors/request_log.hpp"
#include "runtime/config.hpp"
#include "runtime/node.hpp"

using namespace atrium;

namespace {

int serve(const std::vector<std::string>& args) {
  runtime::node_config cfg;
  if (auto s = runtime::parse_serve_args(args, cfg); !s) {
    std::fprintf(stderr, "atrium: %s\n", s.message().c_str());
    return 2;
  }
  // Signals are taken synchronously by this thread; block them before any
  // other thread exists so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  actors::request_log log;
  // Set on this thread before any other exists: each thread the node starts
  // (io, CAF, storage writers, RocksDB's) inherits it, as glibc's threads
  // inherit their creator's policy by default. See node_config.
  if (cfg.thread_scheduling == "batch") {
    const sched_param none{};
    if (sched_setscheduler(0, SCHED_BATCH, &none) != 0)
      log.event("thread-scheduling", std::string("SCHED_BATCH refused, threads stay normal: ") +
                                       std::strerror(errno));
  }
  // tcmalloc hands freed memory back to the kernel a little at a time, and
  // faults it in again, zeroed, when it is reused: in the read window after
  // the standard run's creates, 6% of the node's CPU was clear_page_erms
  // while the record and block caches filled. Keeping freed memory for
  // reuse measured reads +10.6% over seven alternated rounds
  // (tools/bench/README.md, "Freed memory kept"). The node's memory is
  // mostly caches of a set size, so what it keeps is its peak. Operators
  // can still set gperftools' TCMALLOC_RELEASE_RATE.
  if (std::getenv("TCMALLOC_RELEASE_RATE") == nullptr)
    MallocExtension::instance()->SetMemoryReleaseRate(0);
  auto node = runtime::node::start(cfg, log);
  if (!node) {
    log.event("start-failed", node.error().message());
    std::fprintf(stderr, "atrium: %s\n", node.error().message().c_str());
    return 1;
  }
  log.event("listening", cfg.listen_host + ":" + std::to_string((*node)->port()) +
                           " data-dir=" + cfg.data_dir);
  timespec tick{0, 200'000'000};
  for (;;) {
    int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGINT || sig == SIGTERM) {
      log.event("stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
      break;
    }
    log.flush();
  }
  (*node)->stop();
  log.event("stopped");
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(runtime::usage().c_str(), stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "serve")
    return serve({args.begin() + 1, args.end()});
  std::fprintf(stderr, "atrium: unknown command '%s' (see atrium --help)\n", args[0].c_str());
  return 2;
}
