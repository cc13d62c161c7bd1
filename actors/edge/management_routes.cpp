// The management API, after Azure's resource model:
//   GET  /workspaces
//   PUT|GET|DELETE /workspaces/{ws}            (DELETE ?cascade=true)
//   GET  /workspaces/{ws}/{collection}
//   PUT|GET|DELETE /workspaces/{ws}/{collection}/{name}
// with collection one of fhirservices, dicomservices, iotconnectors.
#include <caf/send.hpp>

#include "actors/edge/router.hpp"
#include "protocols/http/query.hpp"
#include "protocols/http/status_map.hpp"

namespace atrium::actors {

namespace {

std::optional<service_kind> kind_of(std::string_view collection) {
  for (auto k : {service_kind::fhir, service_kind::dicom, service_kind::iot})
    if (collection == service_kind_collection(k))
      return k;
  return std::nullopt;
}

std::optional<mgmt_op> op_for(std::string_view method, bool item, bool workspace) {
  if (method == "GET")
    return item ? (workspace ? mgmt_op::get_workspace : mgmt_op::get_service)
                : (workspace ? mgmt_op::list_workspaces : mgmt_op::list_services);
  if (!item)
    return std::nullopt;
  if (method == "PUT")
    return workspace ? mgmt_op::put_workspace : mgmt_op::put_service;
  if (method == "DELETE")
    return workspace ? mgmt_op::delete_workspace : mgmt_op::delete_service;
  return std::nullopt;
}

http::response answer(const mgmt_request& req, mgmt_reply&& reply) {
  if (!reply.status.ok())
    return problem(http::status_for(reply.status.code), reply.status.message);
  if (req.op == mgmt_op::delete_workspace || req.op == mgmt_op::delete_service)
    return {204, {}, {}, {}};
  return {reply.created ? 201u : 200u, "application/json", std::move(reply.json), {}};
}

} // namespace

void serve_management(edge_context& ctx, std::span<const std::string> segs,
                      http::request&& req, http::responder respond) {
  mgmt_request m;
  std::optional<mgmt_op> op;
  const char* allowed = "GET, PUT, DELETE";
  switch (segs.size()) {
    case 0:
      op = op_for(req.method, false, true);
      allowed = "GET";
      break;
    case 1:
      m.workspace = segs[0];
      op = op_for(req.method, true, true);
      break;
    case 2:
    case 3: {
      m.workspace = segs[0];
      auto kind = kind_of(segs[1]);
      if (!kind)
        return respond(problem(404, "unknown collection '" + segs[1] +
                                      "' (fhirservices, dicomservices, iotconnectors)"));
      m.kind = *kind;
      if (segs.size() == 3)
        m.name = segs[2];
      else
        allowed = "GET";
      op = op_for(req.method, segs.size() == 3, false);
      break;
    }
    default:
      return respond(problem(404, "nothing is served at " + req.target));
  }
  if (!op) {
    auto res = problem(405, "method " + req.method + " is not allowed here");
    res.add_header("Allow", allowed);
    return respond(std::move(res));
  }
  m.op = *op;
  if (m.op == mgmt_op::put_workspace || m.op == mgmt_op::put_service)
    m.body = std::move(req.body);
  if (m.op == mgmt_op::delete_workspace) {
    auto query = http::parse_query(http::split_target(req.target).second);
    auto cascade = query ? http::find_param(*query, "cascade") : std::nullopt;
    m.cascade = cascade && *cascade == "true";
  }
  auto op_copy = m;
  op_copy.body.clear();
  caf::anon_send(ctx.gateway(), ctx.catalog, std::move(m),
                 mgmt_callback{[respond = std::move(respond), op_copy](mgmt_reply reply) {
                   respond(answer(op_copy, std::move(reply)));
                 }});
}

} // namespace atrium::actors
