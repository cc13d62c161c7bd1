#include "actors/fhir/conditional.hpp"

#include <charconv>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/directory.hpp"
#include "actors/fhir/param_catalog.hpp"
#include "actors/fhir/replies.hpp"
#include "actors/fhir/search_exec.hpp"
#include "actors/fhir/service.hpp"
#include "actors/node_context.hpp"
#include <simdjson.h>

#include "protocols/fhir/ids.hpp"
#include "protocols/fhir/resource_json.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "protocols/fhir/search/query.hpp"
#include "protocols/http/query.hpp"
#include "storage/store.hpp"

namespace atrium::actors {

namespace {

namespace fs = fhir::search;
using self_ptr = fhir_actor::stateful_pointer<fhir_service_state>;

} // namespace

std::string body_id_of(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::element root;
  std::string_view id;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS ||
      root["id"].get_string().get(id) != simdjson::SUCCESS)
    return {};
  return std::string{id};
}

namespace {

/// Sends `req` to the partition that owns it; `reply` once it is durable
/// (the criteria stay held until then, so the next search with them sees
/// this write).
void write_and_wait(self_ptr self, fhir_request req, fhir_callback reply) {
  auto dest = self->state.ctx->dir->fhir_partition(req.service, req.type, req.id);
  auto id = req.id;
  self->request(dest, caf::infinite, std::move(req))
    .then([reply, id](fhir_reply& r) mutable {
             r.id = id;
             reply(std::move(r));
           },
           [reply](caf::error& err) mutable { reply(transport_error_reply(err)); });
}

/// Deletes `ids` one after the other, each durable before the next.
void delete_each(self_ptr self, fhir_request req, std::vector<std::string> ids, std::size_t next,
                 fhir_callback reply) {
  if (next == ids.size())
    return reply(fhir_reply{});
  req.id = ids[next];
  write_and_wait(self, req, [self, req, ids, next, reply](fhir_reply r) mutable {
    if (!r.status.ok())
      return reply(std::move(r));
    delete_each(self, std::move(req), std::move(ids), next + 1, std::move(reply));
  });
}

} // namespace

result<std::uint32_t> delete_count(const std::string& criteria, std::uint32_t max) {
  auto params = http::parse_query(criteria);
  if (!params)
    return 0u;
  auto count = http::find_param(*params, "_count");
  if (!count)
    return 0u;
  std::uint32_t n = 0;
  auto [p, ec] = std::from_chars(count->data(), count->data() + count->size(), n);
  if (ec != std::errc{} || p != count->data() + count->size())
    return 0u;
  if (n > max)
    return status{errc::invalid, "a conditional delete removes at most " + std::to_string(max) +
                                   " resources; _count=" + std::to_string(n) + " asks for more",
                  "_count"};
  return n;
}

result<bool> hard_delete_of(const http::query_params& query) {
  auto value = http::find_param(query, "hardDelete");
  if (!value)
    return false;
  if (auto yes = http::parse_bool(*value))
    return *yes;
  return status{errc::invalid, "hardDelete must be true or false, not '" + std::string{*value} + "'",
                "hardDelete"};
}

result<std::vector<std::string>> match_criteria(const node_context& ctx, std::uint32_t service,
                                                std::uint16_t type, const std::string& criteria,
                                                std::uint32_t limit) {
  auto params = http::parse_query(criteria);
  if (!params)
    return status{errc::invalid, "the condition has a malformed escape"};
  if (params->empty())
    return status{errc::invalid, "a conditional interaction needs search criteria"};
  auto q = fs::parse_query(*params);
  if (!q)
    return q.error();
  // _count, _sort, _summary… shape a result; alone they select everything.
  if (q->clauses.empty())
    return status{errc::invalid, "a conditional interaction needs search criteria; " + criteria +
                                   " has only result parameters, which select every resource"};
  const auto type_name = fhir::resource_type_name(type);
  const auto registries = ctx.params->get(service);
  if (auto s = fs::bind_query(*q, type_name, *registries->search); !s)
    return s;
  if (!q->problems.empty())
    return status{errc::invalid, "the condition cannot be used: " + q->problems.front()};
  q->count = limit;
  auto view = ctx.db->view();
  search::exec_context ec{*view, service, *registries->search};
  ec.service_path = registries->service_path;
  auto page = search::run_search(ec, type_name, *q);
  if (!page)
    return page.error();
  std::vector<std::string> ids;
  for (auto& h : page->hits)
    if (!h.included)
      ids.push_back(std::move(h.id));
  return ids;
}

result<std::string> conditional_update_id(const node_context& ctx, std::uint32_t service,
                                          std::uint16_t type, const std::string& what,
                                          const std::vector<std::string>& matches,
                                          std::string_view body) {
  auto body_id = body_id_of(body);
  if (!matches.empty()) {
    if (!body_id.empty() && body_id != matches.front())
      return status{errc::invalid, "the body's id " + body_id + " is not the id of the match " +
                                      matches.front() + " of " + what};
    return matches.front();
  }
  if (!body_id.empty() && read_current(*ctx.db, service, type, body_id).status.ok())
    return status{errc::conflict, std::string{fhir::resource_type_name(type)} + "/" + body_id +
                                    " exists but does not match " + what};
  return body_id.empty() ? fhir::new_resource_id() : body_id;
}

void run_conditional(self_ptr self, fhir_request& req, fhir_callback reply) {
  auto& st = self->state;
  if (req.op == fhir_op::conditional_delete) {
    auto n = delete_count(req.query, st.ctx->conditional_delete_max);
    if (!n)
      return reply(error_reply(n.error().code(), n.error().message(), n.error().where()));
    // If-Match names one version of one resource: with several matches it
    // would fail part-way, after deleting some.
    if (*n > 0 && req.if_match != 0)
      return reply(error_reply(errc::invalid,
                               "If-Match names one version; a conditional delete with _count "
                               "may match several resources",
                               "If-Match"));
    if (*n > 0) { // "multiple": every match, up to n
      auto found = match_criteria(*st.ctx, st.service, req.type, req.query, *n);
      if (!found)
        return reply(error_reply(found.error().code(), found.error().message(),
                                 found.error().where()));
      req.op = req.write;
      return delete_each(self, std::move(req), std::move(*found), 0, std::move(reply));
    }
  }
  auto found = match_criteria(*st.ctx, st.service, req.type, req.query);
  if (!found)
    return reply(error_reply(found.error().code(), found.error().message(), found.error().where()));
  const auto what = std::string{fhir::resource_type_name(req.type)} + "?" + req.query;
  if (found->size() > 1)
    return reply(error_reply(
      errc::precondition_failed,
      "more than one " + what + " matches; the condition must be selective" +
        (req.op == fhir_op::conditional_delete
           ? std::string{" (to delete several matches, add _count=N, N at most "} +
               std::to_string(st.ctx->conditional_delete_max) + ")"
           : std::string{})));
  // If-Match holds for the match; with none there is no version it can name.
  if (found->empty() && req.if_match != 0)
    return reply(error_reply(errc::precondition_failed,
                             "If-Match W/\"" + std::to_string(req.if_match) + "\": no " + what +
                               " matches",
                             "If-Match"));
  switch (req.op) {
    case fhir_op::conditional_create: {
      if (found->size() == 1) { // nothing created: the match is the answer
        auto r = read_current(*st.ctx->db, st.service, req.type, found->front());
        r.id = found->front();
        return reply(std::move(r));
      }
      req.op = fhir_op::create;
      return write_and_wait(self, std::move(req), std::move(reply));
    }
    case fhir_op::conditional_update: {
      // req.head holds the client's body. One match is updated; none
      // creates, with the body's id or a new one.
      auto id = conditional_update_id(*st.ctx, st.service, req.type, what, *found, req.head);
      if (!id)
        return reply(error_reply(id.error().code(), id.error().message()));
      req.id = std::move(*id);
      auto t = fhir::prepare_resource(req.head, fhir::resource_type_name(req.type), req.id,
                                      fhir::id_rule::replace);
      if (!t)
        return reply(error_reply(t.error().code(), t.error().message(), t.error().where()));
      req.op = fhir_op::update;
      req.head = std::move(t->head);
      req.tail = std::move(t->tail);
      req.index.clear();
      req.index_registry = 0; // the partition extracts: the id is only known now
      return write_and_wait(self, std::move(req), std::move(reply));
    }
    case fhir_op::conditional_patch: {
      if (found->empty())
        return reply(error_reply(errc::not_found, "no " + what + " to patch"));
      req.op = fhir_op::patch; // req.head holds the JSON Patch document
      req.id = found->front();
      return write_and_wait(self, std::move(req), std::move(reply));
    }
    default: { // conditional_delete: req.write is erase or hard_erase
      if (found->empty())
        return reply(fhir_reply{});
      req.op = req.write;
      req.id = found->front();
      return write_and_wait(self, std::move(req), std::move(reply));
    }
  }
}

} // namespace atrium::actors
