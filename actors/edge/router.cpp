#include "actors/edge/router.hpp"

#include "actors/directory.hpp"
#include "protocols/fhir/json_text.hpp"
#include "protocols/fhir/outcome.hpp"
#include "protocols/http/query.hpp"
#include "protocols/http/status_map.hpp"

namespace atrium::actors {

namespace {

constexpr std::string_view fhir_json = "application/fhir+json; charset=utf-8";

/// Whether a path belongs to a FHIR service, for errors found before routing.
bool is_fhir_path(edge_context* ctx, std::string_view target) {
  auto segs = http::split_path(http::split_target(target).first);
  if (!segs || segs->size() < 2 || !ctx)
    return false;
  auto svc = ctx->dir->find_service((*segs)[0], (*segs)[1]);
  return svc && svc->kind == service_kind::fhir;
}

http::response text_json(unsigned status, std::string body) {
  return {status, "application/json", std::move(body), {}};
}

} // namespace

http::response problem(unsigned status, std::string_view message) {
  std::string body = R"({"type":"about:blank","title":)";
  fhir::append_json_string(body, http::reason_phrase(status));
  body += R"(,"status":)" + std::to_string(status) + R"(,"detail":)";
  fhir::append_json_string(body, message);
  body += '}';
  return {status, "application/problem+json", std::move(body), {}};
}

http::response fhir_error(const status& error) {
  return {http::status_for(error.code()), std::string{fhir_json},
          fhir::operation_outcome(error), {}};
}

http::handler make_router(edge_context& ctx) {
  return [&ctx](http::request&& req, http::responder respond) {
    // HEAD is GET without the body (RFC 9110 §9.3.2): routed as GET; the
    // session, which keeps the method it read, sends the head only.
    if (req.method == "HEAD") {
      req.method = "GET";
      req.head_only = true;
    }
    auto [path, query] = http::split_target(req.target);
    auto segments = http::split_path(path);
    if (!segments)
      return respond(problem(400, "the path has a malformed percent-escape"));
    auto& segs = *segments;
    if (segs.size() == 1 && (segs[0] == "healthz" || segs[0] == "readyz")) {
      if (req.method != "GET" && req.method != "HEAD")
        return respond(problem(405, "only GET is allowed here"));
      if (segs[0] == "healthz")
        return respond(text_json(200, R"({"status":"ok"})"));
      if (!ctx.ready.load())
        return respond(problem(503, "the node is starting or shutting down"));
      return respond(text_json(200, R"({"status":"ready"})"));
    }
    if (!segs.empty() && segs[0] == "workspaces")
      return serve_management(ctx, std::span{segs}.subspan(1), std::move(req),
                              std::move(respond));
    if (segs.size() >= 2) {
      auto svc = ctx.dir->find_service(segs[0], segs[1]);
      if (!svc)
        return respond(problem(404, "no service '" + segs[1] + "' in workspace '" + segs[0] +
                                      "' (see GET /workspaces/" + segs[0] + ")"));
      switch (svc->kind) {
        case service_kind::fhir:
          return serve_fhir(ctx, *svc, std::span{segs}.subspan(2), std::move(req),
                            std::move(respond));
        case service_kind::dicom:
          return serve_dicom(ctx, *svc, std::span{segs}.subspan(2), std::move(req),
                             std::move(respond));
        case service_kind::iot:
          return respond(problem(501, "the IoT connector (MedTech) is not built yet: "
                                      "this node stores its definition only"));
      }
    }
    respond(problem(404, "nothing is served at " + std::string{path}));
  };
}

http::error_renderer make_error_renderer(edge_context& ctx) {
  return [&ctx](std::string_view target, unsigned status, std::string_view message) {
    if (is_fhir_path(&ctx, target))
      return fhir_error({http::errc_for(status), std::string{message}});
    return problem(status, message);
  };
}

http::spool_predicate make_spool_predicate(edge_context& ctx) {
  return [&ctx](std::string_view method, std::string_view target) {
    if (method != "POST" && method != "PUT")
      return false;
    // {ws}/{service}/v1|v2/studies[/{study}]
    auto segs = http::split_path(http::split_target(target).first);
    if (!segs || segs->size() < 4 || segs->size() > 5 || ((*segs)[2] != "v1" && (*segs)[2] != "v2") ||
        (*segs)[3] != "studies")
      return false;
    auto svc = ctx.dir->find_service((*segs)[0], (*segs)[1]);
    return svc && svc->kind == service_kind::dicom;
  };
}

} // namespace atrium::actors
