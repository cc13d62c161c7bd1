#include "actors/fhir/reindexer.hpp"

#include <map>
#include <set>

#include "actors/directory.hpp"
#include "actors/fhir/param_catalog.hpp"
#include "actors/node_context.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "storage/keyspace.hpp"
#include "storage/store.hpp"

namespace atrium::actors {

namespace {

namespace fs = fhir::search;
namespace keys = storage::keys;
using self_ptr = caf::stateful_actor<reindexer_state>*;
using step_atom = caf::atom_constant<caf::atom("step")>;

/// Resources per chunk: large enough that partitions write in big batches,
/// small enough that a partition's other requests wait little behind one.
constexpr std::size_t chunk_size = 1024;
constexpr auto partition_timeout = std::chrono::minutes(5);

void fail(self_ptr self, std::string why);

/// Persists the job record (and, when it completed, the parameters searches
/// use from now on), then runs `then`.
void persist(self_ptr self, std::function<void()> then) {
  auto& st = self->state;
  std::vector<storage::write_op> ops;
  ops.push_back({storage::column::meta, false, false, keys::reindex_job(st.service, st.job.id),
                 fhir::encode_reindex_job(st.job)});
  if (st.job.status == fhir::reindex_job::state::completed) {
    ops.push_back({storage::column::meta, false, false, keys::active_search_params(st.service),
                   fhir::encode_json_texts(st.job.params)});
    if (st.job.upgrade)
      ops.push_back({storage::column::meta, true, false, keys::index_upgrade(st.service), {}});
  }
  self->request(st.ctx->writer_for(st.service), std::chrono::seconds(60),
                write_request{std::move(ops)})
    .then(
      [self, then](write_ack& ack) {
        if (!ack.status.ok() && self->state.job.status == fhir::reindex_job::state::running)
          return fail(self, "progress could not be stored: " + ack.status.message);
        then();
      },
      [self, then](caf::error& err) {
        if (self->state.job.status == fhir::reindex_job::state::running)
          return fail(self, "progress could not be stored: " + self->system().render(err));
        then();
      });
}

/// Ends the job: searches switch to its parameters if it completed; a
/// failed job leaves them as they were and writes index by them again.
void finish(self_ptr self) {
  auto& st = self->state;
  st.job.ended_micros = st.ctx->clock.now_micros();
  persist(self, [self] {
    auto& st = self->state;
    auto current = st.ctx->params->get(st.service);
    service_params next;
    if (st.job.status == fhir::reindex_job::state::completed) {
      next.search = next.write = current->write;
      next.active_params = st.job.params;
    } else {
      next.search = next.write = current->search;
      next.active_params = current->active_params;
    }
    st.ctx->params->set(st.service, std::move(next));
    self->quit();
  });
}

void fail(self_ptr self, std::string why) {
  self->state.job.status = fhir::reindex_job::state::failed;
  self->state.job.error = std::move(why);
  finish(self);
}

/// The next chunk of ids of the current type, after the last one done, up to
/// the type's last id when the job reached it (reindex_job::until_id).
std::vector<std::string> next_chunk(self_ptr self, storage::type_id type) {
  auto& st = self->state;
  const auto prefix = keys::resource(st.service, type, "");
  if (st.job.after_id.empty() && st.job.until_id.empty())
    for (auto c = st.ctx->db->scan(storage::column::resources, prefix, keys::prefix_end(prefix),
                                   /*descending=*/true);
         c.valid(); c.next()) {
      st.job.until_id = std::string{c.key().substr(prefix.size())};
      break;
    }
  auto lower = keys::resource(st.service, type, st.job.after_id);
  if (!st.job.after_id.empty()) lower.push_back('\0'); // just after it
  auto upper = keys::prefix_end(prefix);
  if (!st.job.until_id.empty()) {
    upper = keys::resource(st.service, type, st.job.until_id);
    upper.push_back('\0'); // the last one included
  }
  std::vector<std::string> ids;
  for (auto c = st.ctx->db->scan(storage::column::resources, lower, upper);
       c.valid() && ids.size() < chunk_size; c.next())
    ids.emplace_back(c.key().substr(prefix.size()));
  return ids;
}

void chunk_done(self_ptr self) {
  auto& st = self->state;
  st.job.reindexed += st.chunk_reindexed;
  if (st.chunk.size() < chunk_size) { // the type is done
    ++st.job.type_index;
    st.job.after_id.clear();
    st.job.until_id.clear();
  } else {
    st.job.after_id = st.chunk.back();
  }
  st.chunk.clear();
  persist(self, [self] { self->send(self, step_atom::value); });
}

void step(self_ptr self) {
  auto& st = self->state;
  auto& job = st.job;
  if (job.status != fhir::reindex_job::state::running) return;
  if (job.type_index >= job.types.size()) {
    job.status = fhir::reindex_job::state::completed;
    return finish(self);
  }
  auto type = fhir::find_resource_type(job.types[job.type_index]);
  if (!type) return fail(self, "'" + job.types[job.type_index] + "' is not a resource type");
  st.chunk = next_chunk(self, *type);
  st.chunk_reindexed = 0;
  // One request per partition, each with that partition's ids.
  std::map<std::uint32_t, fhir_request> batches;
  for (const auto& id : st.chunk) {
    auto& r = batches[static_cast<std::uint32_t>(shard_hash(id) % st.ctx->partitions)];
    r.op = fhir_op::reindex;
    r.service = st.service;
    r.type = *type;
    r.ids.push_back(id);
  }
  if (batches.empty()) return chunk_done(self);
  st.outstanding = batches.size();
  for (auto& [partition, r] : batches) {
    auto dest = st.ctx->dir->fhir_partition(st.service, *type, r.ids.front());
    self->request(dest, partition_timeout, std::move(r))
      .then(
        [self](fhir_reply& reply) {
          auto& st = self->state;
          if (st.job.status != fhir::reindex_job::state::running) return;
          if (!reply.status.ok())
            return fail(self, reply.status.message);
          st.chunk_reindexed += reply.total;
          if (--st.outstanding == 0) chunk_done(self);
        },
        [self](caf::error& err) {
          if (self->state.job.status == fhir::reindex_job::state::running)
            fail(self, "a partition did not answer: " + self->system().render(err));
        });
  }
}

/// url → parameter, for the custom parameters of `jsons` that `registry`
/// holds as they are (the others were left out of it).
std::map<std::string, fs::search_param> in_use(const std::vector<std::string>& jsons,
                                               const fs::param_registry& registry) {
  std::map<std::string, fs::search_param> out;
  for (const auto& json : jsons) {
    auto p = fs::param_registry::parse_param(json);
    if (!p) continue;
    const auto* held = registry.find_url(p->url);
    if (held && *held == *p) out.emplace(p->url, std::move(*p));
  }
  return out;
}

} // namespace

std::vector<std::string> types_to_reindex(const std::vector<std::string>& before,
                                          const fs::param_registry& old_registry,
                                          const std::vector<std::string>& after,
                                          const fs::param_registry& new_registry) {
  auto old_params = in_use(before, old_registry);
  auto new_params = in_use(after, new_registry);
  std::set<std::string> bases;
  auto add_changed = [&](const auto& from, const auto& to) {
    for (const auto& [url, p] : from)
      if (auto it = to.find(url); it == to.end() || !(it->second == p))
        bases.insert(p.base.begin(), p.base.end());
  };
  add_changed(old_params, new_params);
  add_changed(new_params, old_params);
  std::vector<std::string> types;
  if (bases.contains("Resource") || bases.contains("DomainResource")) {
    for (std::size_t i = 0; i < fhir::resource_type_count(); ++i)
      types.emplace_back(fhir::resource_type_name(static_cast<fhir::type_id>(i)));
    return types;
  }
  return {bases.begin(), bases.end()};
}

caf::behavior reindexer(caf::stateful_actor<reindexer_state>* self, node_context* ctx,
                        std::uint32_t service, fhir::reindex_job job) {
  self->state.ctx = ctx;
  self->state.service = service;
  self->state.job = std::move(job);
  self->send(self, step_atom::value);
  return {
    [self](step_atom) { step(self); },
  };
}

} // namespace atrium::actors
