#include "actors/fhir/service.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/fhir/conditional.hpp"
#include "actors/fhir/param_catalog.hpp"
#include "actors/fhir/reindexer.hpp"
#include "actors/fhir/replies.hpp"
#include "actors/fhir/transaction.hpp"
#include "actors/node_context.hpp"
#include "protocols/fhir/ids.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "storage/keyspace.hpp"
#include "storage/store.hpp"

namespace atrium::actors {

namespace {

using self_ptr = fhir_actor::stateful_pointer<fhir_service_state>;
namespace keys = storage::keys;

/// The service's SearchParameter resources as stored now (current, not
/// deleted versions).
result<std::vector<std::string>> stored_search_parameters(const storage::store& db,
                                                          std::uint32_t service) {
  static const auto type = *fhir::find_resource_type("SearchParameter");
  const auto prefix = keys::resource(service, type, "");
  std::vector<std::string> out;
  auto c = db.scan(storage::column::resources, prefix, keys::prefix_end(prefix));
  for (; c.valid(); c.next()) {
    auto h = storage::decode_record_header(c.value());
    if (h && h->kind != storage::record_kind::erase)
      out.emplace_back(storage::record_json(c.value()));
  }
  if (auto s = c.error(); !s) return s;
  return out;
}

fhir_reply job_reply(const fhir::reindex_job& job) {
  fhir_reply r;
  r.job_id = job.id;
  r.record.json = fhir::reindex_status_parameters(job);
  return r;
}

void run_job(self_ptr self, fhir::reindex_job job) {
  self->spawn<caf::linked>(reindexer, self->state.ctx, self->state.service, std::move(job));
}

/// Starts a job that activates the service's SearchParameters as stored
/// now, over the types they change or, with `all_types`, an upgrade: every
/// type, by the parameters in use (the index layout changed). Only one job runs at a time: a second start is a
/// conflict.
void start_reindex(self_ptr self, bool all_types, fhir_callback reply) {
  auto& st = self->state;
  auto current = st.ctx->params->get(st.service);
  if (st.starting || !current->running_job.empty())
    return reply(error_reply(errc::conflict,
                             "a $reindex job is already running" +
                               (current->running_job.empty()
                                  ? std::string{}
                                  : ": _operations/reindex/" + current->running_job)));
  // An upgrade re-indexes by the parameters in use: it must not activate
  // SearchParameters nobody asked to activate.
  auto params = all_types ? result<std::vector<std::string>>{current->active_params}
                          : stored_search_parameters(*st.ctx->db, st.service);
  if (!params) return reply(error_reply(params.error().code(), params.error().message()));
  fhir::reindex_job job;
  job.id = fhir::new_resource_id();
  job.queued_micros = st.ctx->clock.now_micros();
  job.upgrade = all_types;
  auto registry = param_catalog::registry_with(*params, &job.issues);
  job.types = types_to_reindex(current->active_params, *current->search, *params, *registry);
  if (all_types) {
    job.types.clear();
    for (std::size_t i = 0; i < fhir::resource_type_count(); ++i)
      job.types.emplace_back(fhir::resource_type_name(static_cast<fhir::type_id>(i)));
  }
  job.params = std::move(*params);
  st.starting = true;
  std::vector<storage::write_op> ops{{storage::column::meta, false, false,
                                      keys::reindex_job(st.service, job.id),
                                      fhir::encode_reindex_job(job)}};
  self->request(st.ctx->writer_for(st.service), std::chrono::seconds(60),
                write_request{std::move(ops)})
    .then(
      [self, reply, job, registry, current](write_ack& ack) mutable {
        auto& st = self->state;
        st.starting = false;
        if (!ack.status.ok()) return reply(error_reply(ack.status.code, ack.status.message));
        // Writes index by the new set from now on; searches keep the old one
        // until the job is done.
        st.ctx->params->set(st.service,
                            {current->search, registry, job.id, current->active_params});
        reply(job_reply(job));
        run_job(self, std::move(job));
      },
      [self, reply](caf::error& err) {
        self->state.starting = false;
        reply(transport_error_reply(err));
      });
}

fhir_reply reindex_status(const node_context& ctx, std::uint32_t service, const std::string& id) {
  std::string stored;
  auto s = ctx.db->get(storage::column::meta, keys::reindex_job(service, id), &stored);
  if (s.code() == errc::not_found)
    return error_reply(errc::not_found, "no $reindex job '" + id + "' in this service");
  if (!s) return error_reply(s.code(), s.message());
  auto job = fhir::decode_reindex_job(stored);
  if (!job) return error_reply(job.error().code(), job.error().message());
  return job_reply(*job);
}

/// Jobs a stop interrupted continue from their last persisted chunk.
fhir_reply resume_reindex(self_ptr self) {
  auto& st = self->state;
  const auto prefix = keys::reindex_jobs_prefix(st.service);
  auto c = st.ctx->db->scan(storage::column::meta, prefix, keys::prefix_end(prefix));
  for (; c.valid(); c.next()) {
    auto job = fhir::decode_reindex_job(c.value());
    if (job && job->status == fhir::reindex_job::state::running) run_job(self, std::move(*job));
  }
  return {};
}

void handle(self_ptr self, fhir_request& req, fhir_callback reply) {
  auto& st = self->state;
  switch (req.op) {
    case fhir_op::history_type:
      return reply(changes_history(*st.ctx->db, st.service, req.type, req));
    case fhir_op::history_system:
      return reply(changes_history(*st.ctx->db, st.service, std::nullopt, req));
    case fhir_op::reindex_start:
      return start_reindex(self, req.query == "all", std::move(reply));
    case fhir_op::reindex_status:
      return reply(reindex_status(*st.ctx, st.service, req.id));
    case fhir_op::reindex_resume:
      return reply(resume_reindex(self));
    case fhir_op::conditional_create:
    case fhir_op::conditional_update:
    case fhir_op::conditional_delete:
    case fhir_op::conditional_patch: {
      auto key = fhir::criteria_lock_key(fhir::resource_type_name(req.type), req.query);
      return st.criteria.run({std::move(key)},
                             [self, req, reply](criteria_locks::release_fn release) mutable {
                               run_conditional(self, req, [reply, release](fhir_reply r) {
                                 reply(std::move(r));
                                 release();
                               });
                             });
    }
    case fhir_op::transaction: { // `ids`: the criteria of its conditional entries
      auto keys = std::move(req.ids);
      req.ids.clear();
      return st.criteria.run(std::move(keys),
                             [self, req = std::move(req),
                              reply](criteria_locks::release_fn release) mutable {
                               run_transaction(self, req, [reply, release](fhir_reply r) {
                                 reply(std::move(r));
                                 release();
                               });
                             });
    }
    default:
      return reply(error_reply(errc::internal, "operation not handled by a service actor"));
  }
}

} // namespace

fhir_actor::behavior_type
fhir_service_actor(fhir_actor::stateful_pointer<fhir_service_state> self,
                   node_context* ctx, std::uint32_t service) {
  self->state.ctx = ctx;
  self->state.service = service;
  return {
    [=](fhir_request& req) -> caf::result<fhir_reply> {
      auto rp = self->make_response_promise<fhir_reply>();
      handle(self, req, [rp](fhir_reply r) mutable { rp.deliver(std::move(r)); });
      return rp;
    },
    [=](fhir_request& req, fhir_callback& reply) { handle(self, req, std::move(reply)); },
  };
}

} // namespace atrium::actors
