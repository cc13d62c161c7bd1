#pragma once
// A node's actor layer on CAF's deterministic test coordinator: a real store
// in a temporary directory, writers, a node_context and a directory, as the
// runtime wires them, but with no thread of CAF's own. Nothing runs until the
// test calls sched.run() (or run_once()), so a test decides exactly which
// messages are in which mailbox before any actor looks at them.
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/directory.hpp"
#include "actors/fhir/param_catalog.hpp"
#include "actors/node_context.hpp"
#include "actors/storage_writer.hpp"
#include "actors/type_registry.hpp"
#include "storage/store.hpp"

namespace atrium::testing {

/// A fresh directory, removed with everything in it afterwards.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() /
           ("atrium-actors-" + std::to_string(rd()) + "-" + std::to_string(rd()));
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

/// Where the replies of posted requests land, by request index. Empty
/// slots mean "not answered (yet)"; transport failures are kept as text.
template <class Reply>
struct inbox {
  std::vector<std::optional<Reply>> replies;
  std::vector<std::string> errors;
};

class actor_harness {
public:
  explicit actor_harness(std::uint32_t partitions = 8)
    : db_(open_store(dir_)), sys(configure(cfg_)),
      sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {
    ctx.db = db_.get();
    ctx.params = &params;
    ctx.partitions = partitions;
    // Not detached: a detached actor gets a thread of its own even under the
    // testing policy, and would run behind the coordinator's back.
    ctx.writers.push_back(sys.spawn(actors::storage_writer, db_.get()));
    // Two, as a node has: transactions take them in turn.
    for (int i = 0; i < 2; ++i)
      ctx.transaction_writers.push_back(sys.spawn(actors::storage_writer, db_.get()));
    dir = std::make_unique<actors::directory>(sys, ctx);
    ctx.dir = dir.get();
  }

  ~actor_harness() {
    // Stop every actor and let them process their exits, so the actor system
    // (which waits for all actors) can shut down.
    for (auto& a : extra_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    dir->stop_all();
    for (auto* group : {&ctx.writers, &ctx.transaction_writers})
      for (auto& w : *group)
        caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
    sched.run();
    extra_.clear();
    ctx.writers.clear();
    ctx.transaction_writers.clear();
    ctx.dir = nullptr;
    dir.reset();
  }

  storage::store& db() { return *db_; }

  /// Stops `a` with the others at the end of the test.
  template <class Handle>
  void keep(const Handle& a) {
    extra_.push_back(caf::actor_cast<caf::actor>(a));
  }

  /// Sends every request of `reqs` to `dst`, in order, from one throwaway
  /// actor. Nothing is processed until the scheduler runs, so all of them are
  /// in dst's mailbox before dst handles the first one.
  template <class Reply, class Handle, class Request>
  std::shared_ptr<inbox<Reply>> post(const Handle& dst, std::vector<Request> reqs) {
    auto box = std::make_shared<inbox<Reply>>();
    box->replies.resize(reqs.size());
    auto& system = sys;
    sys.spawn([dst, reqs, box, &system](caf::event_based_actor* self) {
      for (std::size_t i = 0; i < reqs.size(); ++i)
        self->request(dst, caf::infinite, reqs[i])
          .then([box, i](Reply& r) { box->replies[i] = std::move(r); },
                [box, &system](caf::error& e) { box->errors.push_back(system.render(e)); });
    });
    return box;
  }

  /// Runs every actor but `held` until nothing else is left to do: `held`
  /// keeps its mailbox untouched, as if it were slow.
  template <class Handle>
  void run_except(const Handle& held) {
    auto* ptr = dynamic_cast<caf::resumable*>(caf::actor_cast<caf::abstract_actor*>(held));
    sched.run_jobs_filtered([ptr](caf::resumable* job) { return job != ptr; });
  }

  /// One request, answered after running the scheduler to quiescence.
  template <class Reply, class Handle, class Request>
  Reply ask(const Handle& dst, Request req) {
    auto box = post<Reply>(dst, std::vector<Request>{std::move(req)});
    sched.run();
    INFO("transport errors: " << box->errors.size()
                              << (box->errors.empty() ? "" : " first: " + box->errors[0]));
    REQUIRE(box->replies[0].has_value());
    return std::move(*box->replies[0]);
  }

private:
  static caf::actor_system_config& configure(caf::actor_system_config& cfg) {
    actors::register_message_types(cfg);
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.file-verbosity", caf::atom("quiet"));
    return cfg;
  }

  static std::unique_ptr<storage::store> open_store(const temp_dir& d) {
    storage::store_options o;
    o.block_cache_bytes = 8u << 20;
    o.background_jobs = 1;
    auto s = storage::store::open(d.path.string(), o);
    if (!s)
      FAIL("cannot open the store: " << s.error().message());
    return std::move(s).value();
  }

  // Declaration order is destruction order in reverse: the store outlives
  // the actor system, the actor system outlives the context.
  temp_dir dir_;
  std::unique_ptr<storage::store> db_;
  caf::actor_system_config cfg_;

public:
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  actors::param_catalog params{db_.get()};
  actors::node_context ctx;
  std::unique_ptr<actors::directory> dir;

private:
  std::vector<caf::actor> extra_;
};

} // namespace atrium::testing
