#include "actors/fhir/partition.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/fhir/replies.hpp"
#include "actors/node_context.hpp"
#include "protocols/fhir/resource_json.hpp"
#include "protocols/fhir/resource_types.hpp"
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
};

result<current_version> lookup_current(self_ptr self, const std::string& id) {
  auto& st = self->state;
  if (auto it = st.pending.find(id); it != st.pending.end())
    return current_version{true, it->second.deleted, it->second.version,
                           it->second.index_keys};
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
  current_version cur{true, h->kind == storage::record_kind::erase, h->version, {}};
  std::string manifest;
  s = st.ctx->db->get(storage::column::index,
                      ix::manifest_key(st.key.service, st.key.type, id), &manifest);
  if (s.is_ok()) {
    auto listed = ix::decode_manifest(manifest);
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
std::vector<std::string> append_index_ops(std::vector<storage::write_op>& ops,
                                          const partition_key& k, const std::string& id,
                                          const std::vector<std::string>& old_keys,
                                          std::vector<ix::entry> entries,
                                          const storage::resource_record& rec) {
  using storage::column;
  for (auto& key : old_keys)
    ops.push_back({column::index, true, false, key, {}});
  auto manifest = ix::manifest_key(k.service, k.type, id);
  if (rec.deleted()) {
    ops.push_back({column::index, true, false, std::move(manifest), {}});
    return {};
  }
  ix::add_last_updated(entries, k.service, k.type, id, rec.last_updated_micros);
  std::vector<std::string> new_keys;
  new_keys.reserve(entries.size());
  for (auto& e : entries) {
    new_keys.push_back(e.key);
    ops.push_back({column::index, false, false, std::move(e.key), std::move(e.value)});
  }
  ops.push_back({column::index, false, false, std::move(manifest), ix::encode_manifest(new_keys)});
  return new_keys;
}

/// Sends a new version to the writer; answers once it is durable.
void commit(self_ptr self, const std::string& id, storage::resource_record rec,
            bool created, const current_version& previous, std::vector<ix::entry> index,
            fhir_callback reply) {
  auto& st = self->state;
  auto svc = st.key.service;
  auto type = st.key.type;
  std::vector<storage::write_op> ops;
  ops.reserve(6 + previous.index_keys.size() + 2 * index.size());
  auto index_keys = append_index_ops(ops, st.key, id, previous.index_keys, std::move(index), rec);
  auto encoded = storage::encode_record(rec);
  ops.push_back({storage::column::resources, false, false,
                 keys::resource(svc, type, id), encoded});
  ops.push_back({storage::column::history, false, false,
                 keys::version(svc, type, id, rec.version), std::move(encoded)});
  ops.push_back({storage::column::changes, false, false,
                 keys::system_change(svc, rec.last_updated_micros, type, id, rec.version), {}});
  ops.push_back({storage::column::changes, false, false,
                 keys::type_change(svc, type, rec.last_updated_micros, id, rec.version), {}});

  auto& slot = st.pending[id];
  slot.version = rec.version;
  slot.deleted = rec.deleted();
  slot.index_keys = std::move(index_keys);
  ++slot.count;

  auto shard = (std::uint64_t{svc} << 32) ^ (std::uint64_t{type} << 16) ^ st.key.partition;
  auto release = [self, id] {
    auto it = self->state.pending.find(id);
    if (it != self->state.pending.end() && --it->second.count == 0)
      self->state.pending.erase(it);
  };
  // Durable writes must not wait forever, but a slow disk is not an error:
  // the timeout is generous.
  self->request(st.ctx->writer_for(shard), std::chrono::seconds(60),
                write_request{std::move(ops)})
    .then(
      [=, rec = std::move(rec)](write_ack& ack) mutable {
        release();
        if (!ack.status.ok()) {
          reply(error_reply(ack.status.code, ack.status.message));
          return;
        }
        fhir_reply r;
        r.created = created;
        r.record = std::move(rec);
        reply(std::move(r));
      },
      [=](caf::error& err) mutable {
        release();
        reply(transport_error_reply(err));
      });
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

void write_version(self_ptr self, fhir_request& req, fhir_callback reply) {
  auto& st = self->state;
  auto cur = lookup_current(self, req.id);
  if (!cur)
    return reply(error_reply(cur.error().code(), cur.error().message()));
  auto what = label(st.key, req.id);
  if (auto s = check_if_match(req, *cur, what); !s)
    return reply(error_reply(s.code(), s.message(), s.where()));

  storage::resource_record rec;
  rec.version = cur->version + 1;
  bool created = false;
  switch (req.op) {
    case fhir_op::create:
      if (cur->exists)
        return reply(error_reply(errc::conflict, what + " already exists"));
      rec.kind = storage::record_kind::create;
      created = true;
      break;
    case fhir_op::update:
      rec.kind = storage::record_kind::update;
      created = !cur->exists || cur->deleted;
      break;
    default: // erase
      if (!cur->exists || cur->deleted) {
        // Deleting what is absent or already deleted changes nothing.
        fhir_reply r;
        r.record.kind = storage::record_kind::erase;
        r.record.version = cur->version;
        return reply(std::move(r));
      }
      rec.kind = storage::record_kind::erase;
      break;
  }
  rec.last_updated_micros = st.ctx->clock.now_micros();
  if (rec.kind != storage::record_kind::erase)
    rec.json = fhir::render_resource(
      fhir::resource_template{{}, req.id, std::move(req.head), std::move(req.tail)},
      rec.version, rec.last_updated_micros);
  commit(self, req.id, std::move(rec), created, *cur, std::move(req.index), std::move(reply));
}

/// Every request ends in exactly one call of `reply`: at once for reads,
/// after the durable write for writes.
void handle(self_ptr self, fhir_request& req, fhir_callback reply) {
  auto& st = self->state;
  switch (req.op) {
    case fhir_op::read:
      return reply(read_current(*st.ctx->db, st.key.service, st.key.type, req.id));
    case fhir_op::vread:
      return reply(read_version(*st.ctx->db, st.key.service, st.key.type, req.id, req.version));
    case fhir_op::create:
    case fhir_op::update:
    case fhir_op::erase:
      return write_version(self, req, std::move(reply));
    case fhir_op::history_instance:
      return reply(instance_history(*st.ctx->db, st.key.service, st.key.type, req));
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
