#include "actors/fhir/partition.hpp"

#include <caf/system_messages.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/fhir/param_catalog.hpp"
#include "actors/fhir/replies.hpp"
#include "actors/node_context.hpp"
#include "protocols/fhir/patch.hpp"
#include "protocols/fhir/resource_json.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "protocols/http/preconditions.hpp"
#include "storage/index_entries.hpp"
#include "storage/index_keys.hpp"
#include "storage/keyspace.hpp"
#include "storage/store.hpp"

namespace atrium::actors {

namespace {

using self_ptr = fhir_actor::stateful_pointer<partition_state>;
namespace keys = storage::keys;
namespace ix = storage::index;

std::string label(const partition_key& k, std::string_view id) {
  std::string s{fhir::resource_type_name(k.type)};
  s.push_back('/');
  s.append(id);
  return s;
}

/// The latest version of a resource as far as this partition knows:
/// in-flight writes first, then the store.
struct current_version {
  bool exists = false;
  bool deleted = false;
  std::uint64_t version = 0;
  std::vector<std::string> index_keys; // what that version indexed
  std::int64_t last_updated_micros = 0;
  /// That version encoded as stored; empty for one that is not (a hard
  /// delete in flight).
  std::string record;
  std::uint64_t registry = 0; // of index_keys; 0 = unknown (stored)

  std::string_view json() const { return storage::record_json(record); }
};

result<current_version> lookup_current(self_ptr self, const std::string& id) {
  auto& st = self->state;
  if (auto it = st.pending.find(id); it != st.pending.end()) {
    const auto& p = it->second;
    current_version cur;
    cur.exists = true;
    cur.deleted = p.deleted;
    cur.version = p.version;
    if (!p.manifest.empty()) {
      auto listed = ix::decode_manifest(p.manifest, id);
      if (!listed)
        return status{errc::internal, "in-flight manifest of " + label(st.key, id) + " is corrupt"};
      cur.index_keys = std::move(*listed);
    }
    cur.last_updated_micros = p.last_updated_micros;
    cur.record = p.record;
    cur.registry = p.registry;
    return cur;
  }
  std::string bytes;
  auto s = st.ctx->db->get(storage::column::resources,
                           keys::resource(st.key.service, st.key.type, id), &bytes);
  if (s.code() == errc::not_found)
    return current_version{};
  if (!s)
    return s;
  auto h = storage::decode_record_header(bytes);
  if (!h)
    return status{errc::internal, "stored record of " + label(st.key, id) + " is corrupt"};
  current_version cur;
  cur.exists = true;
  cur.deleted = h->kind == storage::record_kind::erase;
  cur.version = h->version;
  cur.last_updated_micros = h->last_updated_micros;
  cur.record = std::move(bytes);
  std::string manifest;
  s = st.ctx->db->get(storage::column::manifests,
                      ix::manifest_key(st.key.service, st.key.type, id), &manifest);
  if (s.is_ok()) {
    auto listed = ix::decode_manifest(manifest, id);
    if (!listed)
      return status{errc::internal, "index manifest of " + label(st.key, id) + " is corrupt"};
    cur.index_keys = std::move(*listed);
  } else if (s.code() != errc::not_found) {
    return s;
  }
  return cur;
}

/// Replaces the previous version's index entries with this version's, in
/// the same batch as the resource, so a search reads its own writes.
/// Returns the new version's manifest as stored (empty for a deletion).
std::string append_index_ops(std::vector<storage::write_op>& ops, const partition_key& k,
                             const std::string& id, const std::vector<std::string>& old_keys,
                             std::vector<ix::entry> entries, bool deleted,
                             std::int64_t last_updated_micros) {
  using storage::column;
  for (auto& key : old_keys)
    ops.push_back({column::index, true, false, key, {}});
  auto manifest_key = ix::manifest_key(k.service, k.type, id);
  if (deleted) {
    ops.push_back({column::manifests, true, false, std::move(manifest_key), {}});
    return {};
  }
  ix::add_last_updated(entries, k.service, k.type, id, last_updated_micros);
  ix::manifest_builder listed(id, entries.size());
  for (const auto& e : entries)
    listed.add(e.key);
  auto manifest_value = listed.take();
  for (auto& e : entries)
    ops.push_back({column::index, false, false, std::move(e.key), std::move(e.value)});
  ops.push_back({column::manifests, false, false, std::move(manifest_key), manifest_value});
  return manifest_value;
}

/// Sends a batch to the shard's writer; `done` gets the writer's verdict
/// once the batch is durable (or never will be).
void write_batch(self_ptr self, std::vector<storage::write_op> ops,
                 std::function<void(reply_status)> done) {
  auto& st = self->state;
  auto shard = (std::uint64_t{st.key.service} << 32) ^ (std::uint64_t{st.key.type} << 16) ^
               st.key.partition;
  // No timeout: the writer is a local actor that answers every batch (an
  // error if it fails, a down error if it dies), and a timeout could report
  // a batch failed that the disk later stored. Each timeout also costs an
  // entry and a wake-up of CAF's clock thread (~10% of a core at 5k creates/s).
  self->request(st.ctx->writer_for(shard), caf::infinite,
                write_request{std::move(ops)})
    .then([done](write_ack& ack) { done(std::move(ack.status)); },
          [done](caf::error& err) {
            done(transport_error_reply(err).status);
          });
}

/// Runs the requests that waited for `id` to be free, in arrival order.
void wake(self_ptr self, const std::string& id) {
  auto it = self->state.waiting.find(id);
  if (it == self->state.waiting.end())
    return;
  auto waiters = std::move(it->second);
  self->state.waiting.erase(it);
  for (auto& run : waiters)
    run();
}

/// Records that a write of `id` is on its way to the writer; the returned
/// function ends that once the writer has answered.
std::function<void()> mark_in_flight(self_ptr self, const std::string& id,
                                     partition_state::in_flight what) {
  auto& slot = self->state.pending[id];
  const auto count = slot.count + 1;
  slot = std::move(what);
  slot.count = count;
  return [self, id] {
    auto it = self->state.pending.find(id);
    if (it != self->state.pending.end() && --it->second.count == 0) {
      self->state.pending.erase(it);
      wake(self, id);
    }
  };
}

void reindex(self_ptr self, const fhir_request& req, fhir_callback reply);

/// A version about to be written, checked against the current one.
struct new_version {
  storage::resource_record rec;
  bool created = false;
  bool unchanged = false; // a delete of what is absent or deleted: no write
  current_version previous;
  std::vector<ix::entry> index;
  std::uint64_t registry = 0; // uid of the registry `index` comes from
};

/// The writes that store `v` of `id` and replace the previous version's
/// index entries; `manifest` gets the new version's index manifest and
/// `record` the version, both as encoded for the store.
///
/// A version is stored once: the newest in the resources column, and the
/// one it replaces moves to the history column (replies.cpp reads a version
/// from either). Writing every version to history as it was made stored
/// each create's JSON twice; storing it once measured ~7% more
/// transaction resources/s (tools/bench/README.md).
std::vector<storage::write_op> version_ops(const partition_key& k, const std::string& id,
                                           new_version& v,
                                           std::string& manifest,
                                           std::string& record) {
  const auto& rec = v.rec;
  std::vector<storage::write_op> ops;
  ops.reserve(6 + v.previous.index_keys.size() + 2 * v.index.size());
  manifest = append_index_ops(ops, k, id, v.previous.index_keys, std::move(v.index),
                              rec.deleted(), rec.last_updated_micros);
  if (!v.previous.record.empty())
    ops.push_back({storage::column::history, false, false,
                   keys::version(k.service, k.type, id, v.previous.version),
                   std::move(v.previous.record)});
  record = storage::encode_record(rec);
  ops.push_back({storage::column::resources, false, false,
                 keys::resource(k.service, k.type, id), record});
  ops.push_back({storage::column::changes, false, false,
                 keys::system_change(k.service, rec.last_updated_micros, k.type, id, rec.version),
                 {}});
  ops.push_back({storage::column::changes, false, false,
                 keys::type_change(k.service, k.type, rec.last_updated_micros, id, rec.version),
                 {}});
  return ops;
}

/// A durable version of `id` indexed by a registry the service no longer
/// writes with (a $reindex job switched while it was on its way, and its
/// walk of the store may have passed it): index it by the current one now.
void reindex_if_stale(self_ptr self, const std::string& id, std::uint64_t registry) {
  auto& st = self->state;
  if (registry == st.ctx->params->get(st.key.service)->write->uid())
    return;
  fhir_request again;
  again.ids.push_back(id);
  reindex(self, again, [](fhir_reply) {});
}

/// Sends a new version to the writer; answers once it is durable.
void commit(self_ptr self, const std::string& id, new_version v, fhir_callback reply) {
  auto& st = self->state;
  std::string manifest;
  std::string record;
  auto ops = version_ops(st.key, id, v, manifest, record);
  auto release = mark_in_flight(self, id,
                                {v.rec.version, v.rec.deleted(), std::move(manifest), 0,
                                 v.rec.last_updated_micros, std::move(record), v.registry});
  write_batch(self, std::move(ops),
              [self, id, registry = v.registry, release, created = v.created,
               rec = std::move(v.rec), reply](reply_status s) mutable {
                release();
                if (!s.ok())
                  return reply(error_reply(s.code, s.message));
                self->state.ctx->wrote(self->state.key.type);
                if (!rec.deleted())
                  reindex_if_stale(self, id, registry);
                fhir_reply r;
                r.created = created;
                r.record = std::move(rec);
                reply(std::move(r));
              });
}

/// Indexes resources `ids` again by the service's write registry (a
/// $reindex job), all in one batch; answers how many it re-indexed. Deleted
/// resources and versions already indexed by that registry are skipped.
void reindex(self_ptr self, const fhir_request& req, fhir_callback reply) {
  auto& st = self->state;
  const auto params = st.ctx->params->get(st.key.service);
  const auto& registry = *params->write;
  std::vector<storage::write_op> ops;
  std::vector<std::pair<std::string, partition_state::in_flight>> batch;
  for (const auto& id : req.ids) {
    auto cur = lookup_current(self, id);
    if (!cur)
      return reply(error_reply(cur.error().code(), cur.error().message()));
    if (!cur->exists || cur->deleted || cur->registry == registry.uid())
      continue;
    // A transaction holds it: its commit re-indexes what it wrote.
    if (auto it = st.pending.find(id); it != st.pending.end() && it->second.transaction != 0)
      continue;
    auto entries = write_entries(*params, st.key.service, st.key.type, id, cur->json());
    if (!entries)
      return reply(error_reply(entries.error().code(),
                               label(st.key, id) + ": " + entries.error().message()));
    auto manifest = append_index_ops(ops, st.key, id, cur->index_keys, std::move(*entries),
                                     false, cur->last_updated_micros);
    batch.emplace_back(id, partition_state::in_flight{cur->version, false, std::move(manifest), 0,
                                                      cur->last_updated_micros,
                                                      std::move(cur->record), registry.uid()});
  }
  if (batch.empty())
    return reply(fhir_reply{});
  // Only now, with the whole batch prepared: an error above leaves nothing
  // marked in flight that will not be written.
  std::vector<std::function<void()>> releases;
  for (auto& [id, what] : batch)
    releases.push_back(mark_in_flight(self, id, std::move(what)));
  write_batch(self, std::move(ops), [self, releases, reply](reply_status s) mutable {
    for (auto& release : releases)
      release();
    if (!s.ok())
      return reply(error_reply(s.code, s.message));
    self->state.ctx->wrote(self->state.key.type);
    fhir_reply r;
    r.total = releases.size();
    reply(std::move(r));
  });
}

/// If-None-Match on a write: it fails (412) when the resource exists and
/// the header names its version, or is "*" (create only; RFC 9110 §13.1.2).
status check_if_none_match(const fhir_request& req, const current_version& cur,
                           const std::string& what) {
  if (req.if_none_match.empty() || !cur.exists || cur.deleted ||
      !http::none_match_names(req.if_none_match, "W/\"" + std::to_string(cur.version) + "\""))
    return status::ok();
  return {errc::precondition_failed,
          "If-None-Match " + req.if_none_match + ": " + what + " exists at version " +
            std::to_string(cur.version),
          "If-None-Match"};
}

status check_if_match(const fhir_request& req, const current_version& cur,
                      const std::string& what) {
  if (req.if_match == 0 || (cur.exists && cur.version == req.if_match))
    return status::ok();
  return {errc::precondition_failed,
          "If-Match W/\"" + std::to_string(req.if_match) + "\" does not match " + what +
            (cur.exists ? " at version " + std::to_string(cur.version)
                        : ", which does not exist"),
          "If-Match"};
}

/// PATCH (JSON Patch or FHIRPath Patch): the patch applied to the current
/// version here, where writes of
/// the resource are serialised (so no retry loop and no lost update), and
/// `req` turned into the update that stores the result, checked like any
/// other.
status patch_to_update(self_ptr self, fhir_request& req) {
  auto& st = self->state;
  auto cur = lookup_current(self, req.id);
  if (!cur)
    return cur.error();
  auto what = label(st.key, req.id);
  if (!cur->exists)
    return {errc::not_found, what + " does not exist"};
  if (cur->deleted)
    return {errc::gone, what + " was deleted"};
  if (auto s = check_if_match(req, *cur, what); !s)
    return s;
  auto patched = fhir::apply_patch(cur->json(), req.head);
  if (!patched)
    return patched.error();
  auto type_name = fhir::resource_type_name(st.key.type);
  auto t = fhir::prepare_resource(*patched, type_name, req.id, fhir::id_rule::must_match);
  if (!t)
    return {errc::unprocessable, "the patched resource is not valid: " + t.error().message(),
            t.error().where()};
  req.if_match = cur->version; // what was patched is what is replaced
  req.head = std::move(t->head);
  req.tail = std::move(t->tail);
  req.index.clear();
  req.index_registry = 0; // extracted by next_version, by the service's registries
  return status::ok();
}

/// The version that write `op` (create, update, erase or patch) of `req`
/// makes, checked against the current one; its resource rendered and
/// indexed.
result<new_version> next_version(self_ptr self, fhir_request& req, fhir_op op) {
  auto& st = self->state;
  if (op == fhir_op::patch) {
    if (auto s = patch_to_update(self, req); !s)
      return s;
    op = fhir_op::update;
  }
  // A new id has no version to find: no read of the store (a miss still
  // walks the memtables' filters and one per table).
  auto cur = op == fhir_op::create && req.new_id ? result<current_version>{current_version{}}
                                                 : lookup_current(self, req.id);
  if (!cur)
    return cur.error();
  auto what = label(st.key, req.id);
  if (auto s = check_if_match(req, *cur, what); !s)
    return s;
  if (auto s = check_if_none_match(req, *cur, what); !s)
    return s;
  new_version v;
  auto& rec = v.rec;
  rec.version = cur->version + 1;
  switch (op) {
    case fhir_op::create:
      if (cur->exists)
        return status{errc::conflict, what + " already exists"};
      rec.kind = storage::record_kind::create;
      v.created = true;
      break;
    case fhir_op::update:
      rec.kind = storage::record_kind::update;
      v.created = !cur->exists || cur->deleted;
      break;
    default: // erase
      rec.kind = storage::record_kind::erase;
      if (!cur->exists || cur->deleted) {
        // Deleting what is absent or already deleted changes nothing.
        rec.version = cur->version;
        v.unchanged = true;
        return v;
      }
      break;
  }
  rec.last_updated_micros = st.ctx->clock.now_micros();
  v.previous = std::move(*cur);
  if (rec.kind == storage::record_kind::erase)
    return v;
  rec.json = fhir::render_resource(
    fhir::resource_template{{}, req.id, std::move(req.head), std::move(req.tail)}, rec.version,
    rec.last_updated_micros);
  // A $reindex job started since the edge extracted the entries (or they
  // were never extracted): index by the parameters the service writes with.
  const auto params = st.ctx->params->get(st.key.service);
  if (req.index_registry != params->write->uid()) {
    auto entries = write_entries(*params, st.key.service, st.key.type, req.id, rec.json);
    if (!entries)
      return entries.error();
    req.index = std::move(*entries);
    req.index_registry = params->write->uid();
  }
  v.index = std::move(req.index);
  v.registry = req.index_registry;
  return v;
}

void write_version(self_ptr self, fhir_request& req, fhir_callback reply) {
  auto v = next_version(self, req, req.op);
  if (!v)
    return reply(error_reply(v.error().code(), v.error().message(), v.error().where()));
  if (v->unchanged) {
    fhir_reply r;
    r.record = std::move(v->rec);
    return reply(std::move(r));
  }
  commit(self, req.id, std::move(*v), std::move(reply));
}

/// The keys of every version of `id` in the history column (the versions
/// later ones replaced) older than `below` (0: all), with their change-log
/// keys, as erase ops.
status erase_versions(self_ptr self, const std::string& id, std::uint64_t below,
                      std::vector<storage::write_op>& ops) {
  auto& st = self->state;
  const auto svc = st.key.service;
  const auto type = st.key.type;
  const auto prefix = keys::versions_prefix(svc, type, id);
  auto c = st.ctx->db->scan(storage::column::history, prefix, keys::prefix_end(prefix));
  for (; c.valid(); c.next()) {
    auto h = storage::decode_record_header(c.value());
    if (!h)
      return {errc::internal, "a stored version of " + label(st.key, id) + " is corrupt"};
    if (below != 0 && h->version >= below)
      continue;
    ops.push_back({storage::column::history, true, false, std::string{c.key()}, {}});
    ops.push_back({storage::column::changes, true, false,
                   keys::system_change(svc, h->last_updated_micros, type, id, h->version), {}});
    ops.push_back({storage::column::changes, true, false,
                   keys::type_change(svc, type, h->last_updated_micros, id, h->version), {}});
  }
  return c.error();
}

/// The writes that remove `id` for good: every stored version with its
/// change-log keys, and the current one's record, index entries and
/// manifest.
status hard_erase_ops(self_ptr self, const std::string& id, const current_version& cur,
                      std::vector<storage::write_op>& ops) {
  auto& st = self->state;
  if (auto s = erase_versions(self, id, 0, ops); !s)
    return s;
  // The newest version is not in the history column (but for stores
  // written before that layout): its change-log keys go here.
  ops.push_back({storage::column::changes, true, false,
                 keys::system_change(st.key.service, cur.last_updated_micros, st.key.type, id,
                                     cur.version), {}});
  ops.push_back({storage::column::changes, true, false,
                 keys::type_change(st.key.service, st.key.type, cur.last_updated_micros, id,
                                   cur.version), {}});
  append_index_ops(ops, st.key, id, cur.index_keys, {}, /*deleted=*/true, 0);
  ops.push_back({storage::column::resources, true, false,
                 keys::resource(st.key.service, st.key.type, id), {}});
  return status::ok();
}

// ---- transactions (actors/fhir/transaction.hpp) ----

/// A transaction's hard delete: every stored version of the id removed, as
/// ops for the coordinator's batch, the id held (as gone) until then. The
/// prepare waited for earlier writes of the id to be durable, so the store
/// lists every version. Answers like a delete: version 0, nothing to tag.
void tx_prepare_hard_erase(self_ptr self, fhir_request& req, fhir_callback reply) {
  auto& st = self->state;
  auto cur = lookup_current(self, req.id);
  if (!cur)
    return reply(error_reply(cur.error().code(), cur.error().message()));
  if (auto s = check_if_match(req, *cur, label(st.key, req.id)); !s)
    return reply(error_reply(s.code(), s.message(), s.where()));
  fhir_reply r;
  r.record.kind = storage::record_kind::erase;
  if (cur->exists) {
    if (auto s = hard_erase_ops(self, req.id, *cur, r.ops); !s)
      return reply(error_reply(s.code(), s.message()));
    partition_state::in_flight gone;
    gone.deleted = true;
    gone.removing = true;
    gone.count = 1;
    gone.transaction = req.transaction;
    st.pending[req.id] = std::move(gone);
  }
  reply(std::move(r));
}

/// Prepares one write of a transaction: checked and rendered like any
/// write, but handed back as ops for the coordinator's batch, with the id
/// held until it commits or aborts.
void tx_prepare(self_ptr self, fhir_request& req, fhir_callback reply) {
  if (req.write == fhir_op::hard_erase)
    return tx_prepare_hard_erase(self, req, std::move(reply));
  auto v = next_version(self, req, req.write);
  if (!v)
    return reply(error_reply(v.error().code(), v.error().message(), v.error().where()));
  fhir_reply r;
  r.created = v->created;
  if (!v->unchanged) {
    std::string manifest;
    std::string record;
    r.ops = version_ops(self->state.key, req.id, *v, manifest, record);
    auto& slot = self->state.pending[req.id];
    slot = {v->rec.version, v->rec.deleted(), std::move(manifest), 1,
            v->rec.last_updated_micros, std::move(record), v->registry, req.transaction};
  }
  r.record = std::move(v->rec);
  reply(std::move(r));
}

/// Ends `transaction`'s hold on `id`: its ops are durable (commit) or were
/// never written (abort).
void release_hold(self_ptr self, const std::string& id, std::uint64_t transaction, bool commit) {
  auto& st = self->state;
  auto it = st.pending.find(id);
  if (it == st.pending.end() || it->second.transaction != transaction)
    return;
  const bool reindex_now = commit && !it->second.deleted;
  const auto registry = it->second.registry;
  st.pending.erase(it);
  if (reindex_now)
    reindex_if_stale(self, id, registry);
  wake(self, id);
}

void tx_release(self_ptr self, const fhir_request& req) {
  for (const auto& id : req.ids)
    release_hold(self, id, req.transaction, req.op == fhir_op::tx_commit);
}

/// A coordinator stopped: whatever its transaction still holds here is
/// released. Its batch may be durable or not; either way the store now says
/// which, and the next write of the id reads it there. Released as a commit,
/// so a durable version indexed by a superseded registry is re-indexed.
void coordinator_down(self_ptr self, const caf::down_msg& down) {
  auto& st = self->state;
  auto it = st.coordinators.find(down.source);
  if (it == st.coordinators.end())
    return;
  const auto transaction = it->second;
  st.coordinators.erase(it);
  std::vector<std::string> held;
  for (const auto& [id, slot] : st.pending)
    if (slot.transaction == transaction) held.push_back(id);
  for (const auto& id : held)
    release_hold(self, id, transaction, /*commit=*/true);
}

/// DELETE ?hardDelete=true and $purge-history: stored versions removed for
/// good, the current one too for a hard delete (with its index entries).
/// Idempotent: a resource that is not there answers like a delete of it.
void purge(self_ptr self, fhir_request& req, fhir_callback reply) {
  auto& st = self->state;
  auto cur = lookup_current(self, req.id);
  if (!cur)
    return reply(error_reply(cur.error().code(), cur.error().message()));
  const bool hard = req.op == fhir_op::hard_erase;
  if (auto s = check_if_match(req, *cur, label(st.key, req.id)); hard && !s)
    return reply(error_reply(s.code(), s.message(), s.where()));
  if (!cur->exists)
    return reply(hard ? fhir_reply{}
                      : error_reply(errc::not_found, label(st.key, req.id) + " does not exist"));
  std::vector<storage::write_op> ops;
  auto s = hard ? hard_erase_ops(self, req.id, *cur, ops)
                : erase_versions(self, req.id, cur->version, ops);
  if (!s)
    return reply(error_reply(s.code(), s.message()));
  if (ops.empty()) // no older version to purge
    return reply(fhir_reply{});
  std::function<void()> release = [] {};
  if (hard) {
    // Until durable, later writes of the id build on nothing (version 0).
    partition_state::in_flight gone;
    gone.deleted = true;
    gone.removing = true;
    release = mark_in_flight(self, req.id, std::move(gone));
  }
  write_batch(self, std::move(ops), [self, release, reply](reply_status s) mutable {
    release();
    if (s.ok())
      self->state.ctx->wrote(self->state.key.type);
    reply(s.ok() ? fhir_reply{} : error_reply(s.code, s.message));
  });
}

void handle(self_ptr self, fhir_request& req, fhir_callback reply);

/// Whether `req` must wait for an id to be free first; if so it is queued
/// and handled again once it is. Once anything waits for an id, later
/// writes of it queue behind (first come, first served: a transaction's
/// prepare is not starved by a stream of writes). Otherwise writes wait
/// while a transaction holds the id or a hard delete of it is on its way,
/// and a prepare also waits until earlier
/// writes of the id are durable (its ops go to the store in another batch,
/// maybe through another writer, and must not overtake them), as do a hard
/// delete and $purge-history (they read the versions from the store).
bool wait_for_id(self_ptr self, fhir_request& req, fhir_callback& reply) {
  auto& st = self->state;
  auto must_wait = [&](const std::string& id, bool prepare) {
    if (st.waiting.contains(id))
      return true;
    auto it = st.pending.find(id);
    return it != st.pending.end() &&
           (prepare || it->second.transaction != 0 || it->second.removing);
  };
  const std::string* busy = nullptr;
  switch (req.op) {
    case fhir_op::create:
    case fhir_op::update:
    case fhir_op::erase:
    case fhir_op::patch:
      if (must_wait(req.id, false))
        busy = &req.id;
      break;
    case fhir_op::hard_erase:
    case fhir_op::purge_history: // they read the versions from the store
      if (must_wait(req.id, true))
        busy = &req.id;
      break;
    case fhir_op::tx_prepare: {
      auto it = st.pending.find(req.id);
      if (it != st.pending.end() && it->second.transaction != 0) {
        // Waiting here could deadlock two transactions that hold what the
        // other wants: refuse, and the coordinator starts over.
        reply(error_reply(errc::conflict,
                          label(st.key, req.id) + " is held by another transaction",
                          std::string{locked_by_transaction}));
        return true;
      }
      if (must_wait(req.id, true))
        busy = &req.id;
      break;
    }
    case fhir_op::reindex:
      for (const auto& id : req.ids)
        if (must_wait(id, false))
          busy = &id;
      break;
    default:
      break;
  }
  if (!busy)
    return false;
  auto id = *busy;
  st.waiting[id].push_back([self, req = std::move(req), reply = std::move(reply)]() mutable {
    handle(self, req, std::move(reply));
  });
  return true;
}

/// Every request ends in exactly one call of `reply`: at once for reads,
/// after the durable write for writes.
void handle(self_ptr self, fhir_request& req, fhir_callback reply) {
  auto& st = self->state;
  if (wait_for_id(self, req, reply))
    return;
  switch (req.op) {
    case fhir_op::read:
      return reply(read_current(*st.ctx->db, st.key.service, st.key.type, req.id));
    case fhir_op::vread:
      return reply(read_version(*st.ctx->db, st.key.service, st.key.type, req.id, req.version));
    case fhir_op::create:
    case fhir_op::update:
    case fhir_op::erase:
    case fhir_op::patch:
      return write_version(self, req, std::move(reply));
    case fhir_op::history_instance:
      return reply(instance_history(*st.ctx->db, st.key.service, st.key.type, req));
    case fhir_op::reindex:
      return reindex(self, req, std::move(reply));
    case fhir_op::hard_erase:
    case fhir_op::purge_history:
      return purge(self, req, std::move(reply));
    case fhir_op::tx_prepare:
      return tx_prepare(self, req, std::move(reply));
    case fhir_op::tx_commit:
    case fhir_op::tx_abort:
      tx_release(self, req);
      return reply(fhir_reply{});
    default:
      return reply(error_reply(errc::internal, "operation not handled by a partition"));
  }
}

} // namespace

fhir_actor::behavior_type
fhir_partition_actor(fhir_actor::stateful_pointer<partition_state> self,
                     node_context* ctx, partition_key key) {
  self->state.ctx = ctx;
  self->state.key = key;
  self->set_down_handler([self](caf::down_msg& down) { coordinator_down(self, down); });
  return {
    [=](fhir_request& req) -> caf::result<fhir_reply> {
      if (req.op == fhir_op::tx_prepare) // watched before the prepare may wait
        if (auto sender = self->current_sender();
            sender && self->state.coordinators
                        .emplace(caf::actor_cast<caf::actor_addr>(sender), req.transaction)
                        .second)
          self->monitor(sender);
      auto rp = self->make_response_promise<fhir_reply>();
      handle(self, req, [rp](fhir_reply r) mutable { rp.deliver(std::move(r)); });
      return rp;
    },
    [=](fhir_request& req, fhir_callback& reply) { handle(self, req, std::move(reply)); },
  };
}

} // namespace atrium::actors
