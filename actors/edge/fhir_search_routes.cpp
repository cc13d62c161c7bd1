// FHIR type-level search: GET /{type}?… and POST /{type}/_search (form body).
// The query is parsed and checked here (400 and strict handling without a
// hop); a search worker runs it and the page becomes a searchset Bundle.
#include <algorithm>

#include "actors/directory.hpp"
#include "actors/edge/fhir_send.hpp"
#include "actors/edge/router.hpp"
#include "actors/fhir/param_catalog.hpp"
#include "protocols/fhir/bundle.hpp"
#include "protocols/fhir/outcome.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "protocols/fhir/search/query.hpp"
#include "protocols/http/query.hpp"

namespace atrium::actors {

namespace {

namespace fs = fhir::search;

constexpr std::string_view fhir_json = "application/fhir+json; charset=utf-8";

/// What rendering the page needs besides the reply.
struct search_call {
  std::string base;       // http://host/ws/svc
  std::string self_url;
  std::string next_base;  // the next (or previous) page's URL up to "_cursor="
  std::string outcome;    // warnings about ignored parameters, or ""
  bool with_total = false;
  bool count_only = false;
  fhir::subset_request subset; // _summary / _elements
};

http::response render(const search_call& c, fhir_reply&& reply) {
  if (!reply.status.ok())
    return fhir_error(reply.status.to_status());
  std::vector<fhir::search_entry> entries;
  if (!c.count_only) {
    entries.reserve(reply.hits.size());
    for (auto& h : reply.hits) {
      auto type = fhir::resource_type_name(h.type);
      if (c.subset.m != fhir::subset_request::mode::whole)
        h.json = fhir::subset_resource(h.json, type, c.subset);
      entries.push_back({type, h.id, std::move(h.json), h.included});
    }
  }
  std::string next, previous;
  if (!reply.next_cursor.empty() && !c.count_only)
    next = c.next_base + http::percent_encode(reply.next_cursor);
  if (!reply.previous_cursor.empty() && !c.count_only)
    previous = c.next_base + http::percent_encode(reply.previous_cursor);
  std::optional<std::uint64_t> total;
  if (c.with_total)
    total = reply.total;
  return {200, std::string{fhir_json},
          fhir::searchset_bundle(c.base, entries, {c.self_url, next, previous}, total, c.outcome), {}};
}

/// The query again, without _cursor and the parameters at `left_out`, and
/// with every value percent-encoded.
std::string encode_query(const http::query_params& params,
                         const std::vector<std::size_t>& left_out = {}) {
  std::string out;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto& [k, v] = params[i];
    if (k == "_cursor" || std::ranges::find(left_out, i) != left_out.end())
      continue;
    out += http::percent_encode(k) + "=" + http::percent_encode(v) + "&";
  }
  return out;
}

bool strict_handling(const http::request& req) {
  auto prefer = req.header("prefer");
  return prefer && prefer->find("handling=strict") != std::string_view::npos;
}

/// Checks a system search's parameters as each type of _type would (the
/// worker binds per type again): a parameter must mean something on every
/// type or on none (then it is ignored like any unknown parameter). Without
/// _type, only Resource's parameters apply.
status bind_system_query(fs::search_query& q, const fs::param_registry& registry) {
  if (q.types.empty()) {
    auto checked = q;
    if (auto s = fs::bind_query(checked, "", registry); !s)
      return s;
    q.problems = std::move(checked.problems);
    q.ignored = std::move(checked.ignored);
  } else {
    std::erase_if(q.types, [&](const std::string& t) {
      if (fhir::find_resource_type(t)) return false;
      q.problems.push_back("unknown resource type '" + t + "' in _type");
      return true;
    });
    if (q.types.empty())
      return {errc::invalid, "none of the types in _type is an R4 resource type", "_type"};
    std::optional<std::vector<std::string>> common;
    std::vector<std::size_t> ignored; // alike for every type when the problems are
    for (const auto& type : q.types) {
      auto checked = q;
      checked.types.clear();
      if (auto s = fs::bind_query(checked, type, registry); !s)
        return s;
      if (common && *common != checked.problems)
        return {errc::invalid,
                "a system search's parameters must apply to every type in _type; they differ for " +
                  type + ": " + (checked.problems.empty() ? common->back() : checked.problems.back())};
      common = std::move(checked.problems);
      ignored = std::move(checked.ignored);
    }
    q.problems = std::move(*common);
    q.ignored = std::move(ignored);
  }
  if (!q.sort.empty() && q.types.size() != 1)
    q.problems.push_back("a system search over several types is ordered by type (as _type lists "
                         "them); _sort orders within each type");
  return status::ok();
}

} // namespace

void serve_fhir_search(edge_context& ctx, const service_info& svc, std::uint16_t type,
                       std::string_view type_name, const std::string& base,
                       http::request&& req, http::responder respond, std::string compartment) {
  std::string query{http::split_target(req.target).second};
  if (req.method == "POST") {
    auto ct = req.header("content-type");
    if (ct && !ct->starts_with("application/x-www-form-urlencoded"))
      return respond(fhir_error({errc::unsupported_media,
                                 "_search takes application/x-www-form-urlencoded parameters",
                                 "Content-Type"}));
    if (!req.body.empty())
      query += (query.empty() ? "" : "&") + req.body;
  }
  auto params = http::parse_query(query);
  if (!params)
    return respond(fhir_error({errc::invalid, "the query has a malformed percent-escape"}));
  auto q = fs::parse_query(*params);
  if (!q)
    return respond(fhir_error(q.error()));
  const bool system = type_name.empty();
  const auto registries = ctx.params->get(svc.id);
  const auto& registry = *registries->search;
  if (auto s = system ? bind_system_query(*q, registry) : fs::bind_query(*q, type_name, registry);
      !s)
    return respond(fhir_error(s));
  auto problems = q->problems;
  if (q->count_clamped)
    problems.push_back("_count is at most " + std::to_string(fs::max_count) + "; " +
                       std::to_string(fs::max_count) + " was used");
  auto subset = fs::subset_of(*q, type_name, problems);
  if (!problems.empty() && strict_handling(req)) {
    std::string all;
    for (auto& p : problems)
      all += (all.empty() ? "" : "; ") + p;
    return respond(fhir_error({errc::invalid, all}));
  }

  search_call c;
  c.base = base;
  auto type_url = system ? base
                         : base + "/" + (compartment.empty() ? "" : compartment + "/") +
                             std::string{type_name};
  // The self link shows the search that ran; the next and previous links
  // repeat the request as sent, so every page warns about what it ignores.
  c.self_url = type_url + "?" + encode_query(*params, q->ignored) +
               (q->cursor.empty() ? "" : "_cursor=" + q->cursor);
  if (c.self_url.back() == '&' || c.self_url.back() == '?')
    c.self_url.pop_back();
  c.next_base = type_url + "?" + encode_query(*params) + "_cursor=";
  if (!problems.empty())
    c.outcome = fhir::warning_outcome(problems);
  c.count_only = q->summary == fs::summary_mode::count;
  c.subset = std::move(subset);
  c.with_total = c.count_only || q->total != fs::total_mode::none;

  fhir_request r;
  r.op = system ? fhir_op::search_system : fhir_op::search;
  r.service = svc.id;
  r.type = type;
  r.query = std::move(query);
  r.compartment = std::move(compartment);
  send_fhir(ctx, ctx.dir->search_worker(), std::move(r),
            [c = std::move(c)](fhir_reply&& reply) { return render(c, std::move(reply)); },
            std::move(respond));
}

} // namespace atrium::actors
