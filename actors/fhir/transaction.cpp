#include "actors/fhir/transaction.hpp"

#include <algorithm>
#include <random>

#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/directory.hpp"
#include "actors/fhir/partition.hpp"
#include "actors/fhir/replies.hpp"
#include "actors/fhir/service.hpp"
#include "actors/node_context.hpp"

namespace atrium::actors {

namespace {

using self_ptr = caf::stateful_actor<transaction_state>*;
using retry_atom = caf::atom_constant<caf::atom("txretry")>;

/// How long the coordinator keeps trying to get hold of every resource
/// before the transaction gives up with 409; the waits between attempts grow
/// to about 30 ms.
constexpr auto retry_budget = std::chrono::seconds(10);

void deliver(self_ptr self, fhir_reply r) {
  self->state.promise.deliver(std::move(r));
  self->quit();
}

bool holds(const fhir_reply& prepared) { return prepared.status.ok() && !prepared.ops.empty(); }

/// Ends the hold on every id this attempt prepared: one message per
/// partition. Fire and forget: a partition handles it before anything the
/// coordinator could send it later.
void release(self_ptr self, fhir_op op) {
  auto& st = self->state;
  std::vector<std::pair<fhir_actor, fhir_request>> by_partition;
  for (std::size_t k = 0; k < st.writes.size(); ++k) {
    if (!holds(st.prepared[k]))
      continue;
    auto it = std::find_if(by_partition.begin(), by_partition.end(),
                           [&](const auto& p) { return p.first == st.partitions[k]; });
    if (it == by_partition.end()) {
      fhir_request r;
      r.op = op;
      r.service = st.service;
      r.transaction = self->id();
      it = by_partition.insert(by_partition.end(), {st.partitions[k], std::move(r)});
    }
    it->second.ids.push_back(st.writes[k].prepare.id);
  }
  for (auto& [partition, r] : by_partition)
    caf::anon_send(partition, std::move(r));
}

fhir_reply results(self_ptr self) {
  auto& st = self->state;
  fhir_reply r;
  r.entries.resize(st.entry_count);
  for (std::size_t k = 0; k < st.writes.size(); ++k) {
    auto& w = st.writes[k];
    auto& out = r.entries[w.entry];
    if (w.prepare.op != fhir_op::tx_prepare) {
      out = std::move(w.result);
      continue;
    }
    auto& p = st.prepared[k];
    out.type = w.prepare.type;
    out.id = w.prepare.id;
    out.status = p.created ? 201 : p.record.deleted() ? 204 : 200;
    out.record = std::move(p.record);
  }
  return r;
}

void commit(self_ptr self) {
  auto& st = self->state;
  // The ops are moved out one by one: each reply keeps its count, which is
  // what holds() and release() read afterwards.
  std::vector<storage::write_op> ops;
  std::size_t count = 0;
  for (const auto& p : st.prepared) count += p.ops.size();
  ops.reserve(count); // ~16 a resource: grown by doubling, each op moved twice more
  for (auto& p : st.prepared)
    for (auto& op : p.ops)
      ops.push_back(std::move(op));
  if (ops.empty())
    return deliver(self, results(self));
  auto fail = [self](errc code, const std::string& why) {
    release(self, fhir_op::tx_abort);
    deliver(self, error_reply(code, "the transaction could not be stored: " + why));
  };
  // No timeout: until the writer answers, the batch may still be applied,
  // so the holds must stay (the writer answers every batch).
  self->request(st.ctx->transaction_writer(), caf::infinite, write_request{std::move(ops)})
    .then(
      [self, fail](write_ack& ack) {
        if (!ack.status.ok())
          return fail(ack.status.code, ack.status.message);
        // Counted before the client hears of them (actors/fhir/criteria_cache.hpp).
        auto& st = self->state;
        for (std::size_t k = 0; k < st.writes.size(); ++k)
          if (holds(st.prepared[k])) st.ctx->wrote(st.writes[k].prepare.type);
        release(self, fhir_op::tx_commit);
        deliver(self, results(self));
      },
      [self, fail](caf::error& err) {
        auto r = transport_error_reply(err);
        fail(r.status.code, r.status.message);
      });
}

/// Every prepare has answered: commit, give up, or try again.
void prepared(self_ptr self) {
  auto& st = self->state;
  std::optional<std::size_t> failed;
  bool busy = false;
  for (std::size_t k = 0; k < st.writes.size(); ++k) {
    const auto& p = st.prepared[k];
    if (st.writes[k].prepare.op != fhir_op::tx_prepare || p.status.ok())
      continue;
    if (p.status.where == locked_by_transaction)
      busy = true;
    else if (!failed)
      failed = k;
  }
  if (!failed && !busy)
    return commit(self);
  release(self, fhir_op::tx_abort);
  if (failed) {
    const auto& s = st.prepared[*failed].status;
    const auto entry = st.writes[*failed].entry;
    const auto named = entry_error(entry, st.bundle.entries[entry], s.to_status());
    return deliver(self, error_reply(named.code(), named.message(), named.where()));
  }
  ++st.attempt;
  if (std::chrono::steady_clock::now() - st.started > retry_budget)
    return deliver(self, error_reply(errc::conflict,
                                     "other transactions kept the Bundle's resources busy; "
                                     "retry the transaction"));
  // Random waits, so two transactions that met do not meet again.
  static thread_local std::minstd_rand random{std::random_device{}()};
  const auto ceiling = 1u << std::min(st.attempt, 5u);
  std::uniform_int_distribution<unsigned> wait(0, ceiling * 1000);
  self->delayed_send(self, std::chrono::microseconds(wait(random)), retry_atom::value);
}

/// Plans the transaction (again, for another attempt: criteria and ids are
/// decided anew) and sends each write to its partition to prepare.
void prepare_all(self_ptr self) {
  auto& st = self->state;
  auto plan = plan_transaction(*st.ctx, st.service, st.bundle);
  if (!plan)
    return deliver(self, error_reply(plan.error().code(), plan.error().message(),
                                     plan.error().where()));
  st.writes = std::move(*plan);
  st.partitions.clear();
  for (auto& w : st.writes)
    st.partitions.push_back(w.prepare.op == fhir_op::tx_prepare
                              ? st.ctx->dir->fhir_partition(st.service, w.prepare.type,
                                                            w.prepare.id)
                              : fhir_actor{});
  // One write batch per node; every partition is on this one today.
  for (const auto& p : st.partitions)
    if (p && p.node() != self->node())
      return deliver(self, error_reply(errc::not_implemented,
                                       "a transaction over partitions on several nodes is not "
                                       "built yet"));
  st.prepared.assign(st.writes.size(), fhir_reply{});
  st.outstanding = 0;
  for (std::size_t k = 0; k < st.writes.size(); ++k) {
    auto& r = st.writes[k].prepare;
    if (r.op != fhir_op::tx_prepare)
      continue;
    ++st.outstanding;
    r.transaction = self->id();
    // What stays here is what results() and release() need.
    fhir_request sent = std::move(r);
    r = fhir_request{};
    r.op = sent.op;
    r.type = sent.type;
    r.id = sent.id;
    // No timeout: a partition answers every prepare, and one that stops
    // answers with an error; a timeout per entry would cost a clock entry.
    self->request(st.partitions[k], caf::infinite, std::move(sent))
      .then(
        [self, k](fhir_reply& reply) {
          self->state.prepared[k] = std::move(reply);
          if (--self->state.outstanding == 0) prepared(self);
        },
        [self, k](caf::error& err) {
          self->state.prepared[k] = transport_error_reply(err);
          if (--self->state.outstanding == 0) prepared(self);
        });
  }
  if (st.outstanding == 0)
    prepared(self);
}

void start(self_ptr self, fhir_request& req) {
  auto& st = self->state;
  st.entry_count = req.bundle.entries.size();
  st.bundle = std::move(req.bundle);
  st.started = std::chrono::steady_clock::now();
  prepare_all(self);
}

} // namespace

caf::behavior transaction_coordinator(self_ptr self, node_context* ctx, std::uint32_t service) {
  self->state.ctx = ctx;
  self->state.service = service;
  return {
    [=](fhir_request& req) {
      self->state.promise = self->make_response_promise<fhir_reply>();
      start(self, req);
      return self->state.promise;
    },
    [=](retry_atom) { prepare_all(self); },
  };
}

void run_transaction(fhir_actor::stateful_pointer<fhir_service_state> self, fhir_request& req,
                     fhir_callback reply) {
  auto coordinator = self->spawn(transaction_coordinator, self->state.ctx, self->state.service);
  // No timeout: the coordinator always answers, and until it has, the
  // transaction may still be stored.
  self->request(coordinator, caf::infinite, std::move(req))
    .then([reply](fhir_reply& r) { reply(std::move(r)); },
          [reply](caf::error& err) { reply(transport_error_reply(err)); });
}

} // namespace atrium::actors
