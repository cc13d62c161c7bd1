#include "actors/fhir/search_worker.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/fhir/param_catalog.hpp"
#include "actors/fhir/replies.hpp"
#include "actors/fhir/search_exec.hpp"
#include "actors/node_context.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "protocols/fhir/search/query.hpp"
#include "protocols/http/query.hpp"
#include "storage/store.hpp"

namespace atrium::actors {

namespace {

fhir_reply run(node_context* ctx, const fhir_request& req) {
  namespace fs = fhir::search;
  auto params = http::parse_query(req.query);
  if (!params)
    return error_reply(errc::invalid, "the query string has a malformed escape");
  auto q = fs::parse_query(*params);
  if (!q)
    return error_reply(q.error().code(), q.error().message(), q.error().where());
  // The edge bound the query by the same registry; if a $reindex job
  // completed in between, this is the newer one, whose parameters are all
  // indexed as well.
  const auto registries = ctx->params->get(req.service);
  const auto& registry = *registries->search;
  auto view = ctx->db->view();
  search::exec_context ec{*view, req.service, registry};
  ec.service_path = registries->service_path;
  auto page = [&]() -> result<search::page> {
    if (req.op == fhir_op::search_system)
      return search::run_system_search(ec, *q); // binds per type
    auto type = fhir::resource_type_name(req.type);
    if (auto s = fs::bind_query(*q, type, registry); !s)
      return s;
    return search::run_search(ec, type, *q, req.compartment);
  }();
  if (!page)
    return error_reply(page.error().code(), page.error().message(), page.error().where());
  fhir_reply r;
  r.total = page->total;
  r.next_cursor = std::move(page->next_cursor);
  r.previous_cursor = std::move(page->previous_cursor);
  r.hits.reserve(page->hits.size());
  for (auto& h : page->hits)
    r.hits.push_back({h.type, std::move(h.id), std::move(h.json), h.included});
  return r;
}

} // namespace

fhir_actor::behavior_type
search_worker(fhir_actor::stateful_pointer<search_worker_state> self, node_context* ctx) {
  (void)self;
  return {
    [=](fhir_request& req) -> fhir_reply { return run(ctx, req); },
    [=](fhir_request& req, fhir_callback& reply) { reply(run(ctx, req)); },
  };
}

} // namespace atrium::actors
