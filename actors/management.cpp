#include "actors/management.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/directory.hpp"
#include "actors/fhir/replies.hpp"
#include "actors/node_context.hpp"
#include "actors/work_pool.hpp"
#include "storage/file_store.hpp"
#include "protocols/mgmt/resources.hpp"
#include "storage/keyspace.hpp"
#include "storage/store.hpp"

namespace atrium::actors {

namespace {

namespace keys = storage::keys;
using storage::column;
using storage::write_op;

constexpr auto write_timeout = std::chrono::seconds(60);

mgmt_reply fail(errc code, std::string message, std::string where = {}) {
  mgmt_reply r;
  r.status = {code, std::move(message), std::move(where)};
  return r;
}

mgmt_reply fail(const status& s) {
  return fail(s.code(), s.message(), s.where());
}

mgmt_reply ok(std::string json, bool created = false) {
  mgmt_reply r;
  r.created = created;
  r.json = std::move(json);
  return r;
}

const char* kind_label(service_kind k) {
  switch (k) {
    case service_kind::fhir: return "FHIR service";
    case service_kind::dicom: return "DICOM service";
    case service_kind::iot: return "IoT connector";
  }
  return "service";
}

/// Writes ops durably, waiting (await) so that the next management request
/// sees their effect; then runs `done` and answers with its reply.
template <class Self, class Done>
caf::result<mgmt_reply> write_then(Self* self, std::vector<write_op> ops, Done done) {
  auto rp = self->template make_response_promise<mgmt_reply>();
  self->request(self->state.ctx->writers.front(), write_timeout,
                write_request{std::move(ops)})
    .await(
      [=](write_ack& ack) mutable {
        if (!ack.status.ok())
          rp.deliver(fail(ack.status.code, ack.status.message));
        else
          rp.deliver(done());
      },
      [=](caf::error& err) mutable {
        auto s = transport_status(err);
        rp.deliver(fail(s.code, s.message));
      });
  return rp;
}

/// Removes every key of a service: its record and all of its data, in the
/// same atomic batch.
void append_service_removal(std::vector<write_op>& ops, std::string_view ws,
                            std::string_view name, std::uint32_t id) {
  ops.push_back({column::meta, true, false, keys::service(ws, name), {}});
  auto scope = keys::service_scope(id);
  auto end = keys::prefix_end(scope);
  for (auto cf : {column::resources, column::history, column::changes, column::index,
                  column::dicom, column::manifests})
    ops.push_back({cf, false, true, scope, end});
  // A DICOM service's extended query tags and operations.
  for (auto prefix : {keys::dicom_query_tags_prefix(id), keys::dicom_operation(id, {})})
    ops.push_back({column::meta, false, true, prefix, keys::prefix_end(prefix)});
  ops.push_back({column::meta, true, false, keys::dicom_mirror_cursor(id), {}});
}

/// A removed service's DICOM files go once its keys are gone (off the actor
/// thread when a pool is there: it is a recursive unlink).
void remove_files(node_context* ctx, std::uint32_t service) {
  auto* files = ctx->files;
  if (!files)
    return;
  if (!ctx->background || !ctx->background->submit([files, service] { files->remove_service(service); }))
    files->remove_service(service);
}

// ---- workspace actor ---------------------------------------------------------

using ws_ptr = mgmt_actor::stateful_pointer<workspace_state>;

void load_services(ws_ptr self) {
  auto& st = self->state;
  auto prefix = keys::service_prefix(st.workspace);
  auto cur = st.ctx->db->scan(column::meta, prefix, keys::prefix_end(prefix));
  for (; cur.valid(); cur.next()) {
    auto value = cur.value();
    if (value.empty())
      continue;
    auto kind = static_cast<service_kind>(value[0]);
    auto json = std::string{value.substr(1)};
    auto rec = mgmt::parse_stored(json);
    if (!rec)
      continue;
    std::string name{cur.key().substr(prefix.size())};
    st.services[name] = {kind, rec->service_id, json};
    st.ctx->dir->publish_service({rec->service_id, kind, st.workspace, name, rec->properties});
  }
}

caf::result<mgmt_reply> put_service(ws_ptr self, const mgmt_request& req) {
  auto& st = self->state;
  if (auto s = mgmt::validate_name(req.name, "service"); !s)
    return fail(s);
  auto props = mgmt::parse_properties(req.body);
  if (!props)
    return fail(props.error());
  auto it = st.services.find(req.name);
  if (it != st.services.end() && it->second.kind != req.kind)
    return fail(errc::conflict, "workspace '" + st.workspace + "' already has a " +
                                  kind_label(it->second.kind) + " named '" + req.name + "'");
  bool created = it == st.services.end();
  auto now = st.ctx->clock.now_micros();
  std::uint32_t id = 0;
  std::int64_t born = now;
  std::vector<write_op> ops;
  if (created) {
    id = st.ctx->next_service_id.fetch_add(1);
    std::string next;
    keys::append_u32(next, id + 1);
    ops.push_back({column::meta, false, false, keys::next_service_id(), next});
  } else {
    id = it->second.id;
    if (auto old = mgmt::parse_stored(it->second.json))
      born = old->created;
  }
  auto json = mgmt::service_json(st.workspace, service_kind_collection(req.kind), req.name,
                                 id, *props, born, now);
  std::string value(1, static_cast<char>(req.kind));
  value += json;
  ops.push_back({column::meta, false, false, keys::service(st.workspace, req.name), value});
  auto kind = req.kind;
  auto name = req.name;
  auto properties = *props;
  return write_then(self, std::move(ops), [=] {
    self->state.services[name] = {kind, id, json};
    self->state.ctx->dir->publish_service({id, kind, self->state.workspace, name, properties});
    return ok(json, created);
  });
}

const workspace_state::service* find(ws_ptr self, const mgmt_request& req) {
  auto it = self->state.services.find(req.name);
  if (it == self->state.services.end() || it->second.kind != req.kind)
    return nullptr;
  return &it->second;
}

mgmt_reply not_found(ws_ptr self, const mgmt_request& req) {
  return fail(errc::not_found, std::string{kind_label(req.kind)} + " '" + req.name +
                                 "' does not exist in workspace '" + self->state.workspace + "'");
}

caf::result<mgmt_reply> delete_service(ws_ptr self, const mgmt_request& req) {
  auto* svc = find(self, req);
  if (!svc)
    return not_found(self, req);
  std::vector<write_op> ops;
  append_service_removal(ops, self->state.workspace, req.name, svc->id);
  auto name = req.name;
  auto id = svc->id;
  return write_then(self, std::move(ops), [=] {
    self->state.services.erase(name);
    self->state.ctx->dir->retire_service(self->state.workspace, name);
    remove_files(self->state.ctx, id);
    return ok({});
  });
}

caf::result<mgmt_reply> delete_workspace(ws_ptr self, const mgmt_request& req) {
  auto& st = self->state;
  if (!st.services.empty() && !req.cascade)
    return fail(errc::conflict, "workspace '" + st.workspace + "' still has " +
                                  std::to_string(st.services.size()) +
                                  " service(s); delete them first or pass ?cascade=true");
  std::vector<write_op> ops;
  for (auto& [name, svc] : st.services)
    append_service_removal(ops, st.workspace, name, svc.id);
  ops.push_back({column::meta, true, false, keys::workspace(st.workspace), {}});
  return write_then(self, std::move(ops), [=] {
    for (auto& [name, svc] : self->state.services) {
      self->state.ctx->dir->retire_service(self->state.workspace, name);
      remove_files(self->state.ctx, svc.id);
    }
    self->state.services.clear();
    return ok({});
  });
}

} // namespace

mgmt_actor::behavior_type workspace_actor(ws_ptr self, node_context* ctx,
                                          std::string workspace) {
  self->state.ctx = ctx;
  self->state.workspace = std::move(workspace);
  load_services(self);
  return {
    [=](mgmt_request& req) -> caf::result<mgmt_reply> {
      switch (req.op) {
        case mgmt_op::list_services: {
          std::vector<std::string> items;
          for (auto& [name, svc] : self->state.services)
            if (svc.kind == req.kind)
              items.push_back(svc.json);
          return ok(mgmt::list_json(items.data(), items.size()));
        }
        case mgmt_op::get_service:
          if (auto* svc = find(self, req))
            return ok(svc->json);
          return not_found(self, req);
        case mgmt_op::put_service:
          return put_service(self, req);
        case mgmt_op::delete_service:
          return delete_service(self, req);
        case mgmt_op::delete_workspace:
          return delete_workspace(self, req);
        default:
          return fail(errc::internal, "operation not handled by a workspace actor");
      }
    },
  };
}

// ---- catalog -------------------------------------------------------------------

namespace {

using cat_ptr = mgmt_actor::stateful_pointer<catalog_state>;

mgmt_reply workspace_not_found(const std::string& ws) {
  return fail(errc::not_found, "workspace '" + ws + "' does not exist");
}

void load_workspaces(cat_ptr self) {
  auto& st = self->state;
  std::string prefix{keys::workspace_prefix};
  auto cur = st.ctx->db->scan(column::meta, prefix, keys::prefix_end(prefix));
  for (; cur.valid(); cur.next()) {
    std::string ws{cur.key().substr(prefix.size())};
    auto actor = self->home_system().spawn(workspace_actor, st.ctx, ws);
    st.workspaces[ws] = {std::string{cur.value()}, actor};
  }
}

caf::result<mgmt_reply> put_workspace(cat_ptr self, const mgmt_request& req) {
  auto& st = self->state;
  if (auto s = mgmt::validate_workspace_name(req.workspace); !s)
    return fail(s);
  auto props = mgmt::parse_properties(req.body);
  if (!props)
    return fail(props.error());
  auto now = st.ctx->clock.now_micros();
  auto it = st.workspaces.find(req.workspace);
  bool created = it == st.workspaces.end();
  std::int64_t born = now;
  if (!created)
    if (auto old = mgmt::parse_stored(it->second.json))
      born = old->created;
  auto json = mgmt::workspace_json(req.workspace, *props, born, now);
  std::vector<write_op> ops{{column::meta, false, false, keys::workspace(req.workspace), json}};
  auto ws = req.workspace;
  return write_then(self, std::move(ops), [=] {
    auto& entry = self->state.workspaces[ws];
    entry.json = json;
    if (!entry.actor)
      entry.actor = self->home_system().spawn(workspace_actor, self->state.ctx, ws);
    return ok(json, created);
  });
}

caf::result<mgmt_reply> delete_workspace_via_actor(cat_ptr self, const mgmt_request& req) {
  auto it = self->state.workspaces.find(req.workspace);
  if (it == self->state.workspaces.end())
    return workspace_not_found(req.workspace);
  auto rp = self->make_response_promise<mgmt_reply>();
  auto ws = req.workspace;
  auto actor = it->second.actor;
  self->request(actor, write_timeout, req)
    .await(
      [=](mgmt_reply& reply) mutable {
        if (reply.status.ok()) {
          self->state.workspaces.erase(ws);
          self->send_exit(actor, caf::exit_reason::user_shutdown);
        }
        rp.deliver(std::move(reply));
      },
      [=](caf::error& err) mutable {
        auto s = transport_status(err);
        rp.deliver(fail(s.code, s.message));
      });
  return rp;
}

} // namespace

mgmt_actor::behavior_type catalog_actor(cat_ptr self, node_context* ctx) {
  self->state.ctx = ctx;
  load_workspaces(self);
  // Workspace actors stop with the catalog. (An attached functor would run
  // after the state is gone, so this is done while handling the exit.)
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (auto& [ws, entry] : self->state.workspaces)
      self->send_exit(entry.actor, msg.reason);
    self->quit(msg.reason);
  });
  return {
    [=](mgmt_request& req) -> caf::result<mgmt_reply> {
      auto& st = self->state;
      switch (req.op) {
        case mgmt_op::list_workspaces: {
          std::vector<std::string> items;
          for (auto& [ws, entry] : st.workspaces)
            items.push_back(entry.json);
          return ok(mgmt::list_json(items.data(), items.size()));
        }
        case mgmt_op::get_workspace: {
          auto it = st.workspaces.find(req.workspace);
          if (it == st.workspaces.end())
            return workspace_not_found(req.workspace);
          return ok(it->second.json);
        }
        case mgmt_op::put_workspace:
          return put_workspace(self, req);
        case mgmt_op::delete_workspace:
          return delete_workspace_via_actor(self, req);
        default: {
          // Service operations belong to the workspace's own actor.
          auto it = st.workspaces.find(req.workspace);
          if (it == st.workspaces.end())
            return workspace_not_found(req.workspace);
          return self->delegate(it->second.actor, std::move(req));
        }
      }
    },
  };
}

} // namespace atrium::actors
