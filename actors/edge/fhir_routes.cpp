// The FHIR R4 REST API of one FHIR service, at /{ws}/{service}/…:
//   GET metadata · GET _history · POST {type} · GET {type}/_history
//   GET|PUT|PATCH|DELETE {type}/{id} · GET {type}/{id}/_history[/{vid}]
//   DELETE {type}/{id}?hardDelete=true · DELETE {type}/{id}/$purge-history
//   POST {type} with If-None-Exist · PUT|PATCH|DELETE {type}?criteria (conditional)
//   POST $reindex · GET _operations/reindex/{id}
// Requests are validated here, on the io threads; the owning actor decides
// versions, and its reply is turned into HTTP by answer().
#include <algorithm>
#include <charconv>

#include <caf/send.hpp>

#include "actors/directory.hpp"
#include "actors/edge/fhir_prefer.hpp"
#include "actors/edge/fhir_send.hpp"
#include "actors/edge/router.hpp"
#include "actors/fhir/conditional.hpp"
#include "actors/fhir/param_catalog.hpp"
#include "actors/fhir/replies.hpp"
#include "protocols/fhir/bundle.hpp"
#include "protocols/fhir/capability.hpp"
#include "protocols/fhir/ids.hpp"
#include "protocols/fhir/instant.hpp"
#include "protocols/fhir/outcome.hpp"
#include "protocols/fhir/patch.hpp"
#include "protocols/fhir/resource_json.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "protocols/fhir/search/extract.hpp"
#include "protocols/fhir/search/query.hpp"
#include "storage/index_entries.hpp"
#include "protocols/http/media.hpp"
#include "protocols/http/preconditions.hpp"
#include "protocols/http/query.hpp"

namespace atrium::actors {

// Routes compare segments with views: a std::string == "literal" measures
// the literal with strlen first, and a read passes a dozen of them.
using namespace std::string_view_literals;

namespace {

constexpr std::string_view fhir_json = "application/fhir+json; charset=utf-8";
// History pages share search's _count limit.
constexpr std::uint32_t max_count = fhir::search::max_count;

/// What this build of the FHIR service does (the CapabilityStatement).
constexpr fhir::capabilities build_capabilities{.search = true,
                                                .conditional_create = true,
                                                .conditional_update = true,
                                                .conditional_delete = true,
                                                .patch = true,
                                                .batch = true,
                                                .transaction = true};

/// What a reply needs to become a response, kept by the callback.
struct call {
  fhir_op op;
  std::string base;      // http://host/ws/svc
  std::string type_name;
  std::string id;
  prefer_return prefer = prefer_return::representation;
  std::string self_url;  // history: this page
  std::string next_base; // history: the next page's URL without the cursor
  fhir::subset_request subset; // read, vread: _summary / _elements
  // read: a conditional read answers 304 when the client's copy is current
  std::optional<std::string> if_none_match;      // the header as sent
  std::optional<std::int64_t> if_modified_since; // microseconds UTC
};

status error(errc code, std::string message, std::string where = {}) {
  return {code, std::move(message), std::move(where)};
}

std::string etag(std::uint64_t version) { return "W/\"" + std::to_string(version) + "\""; }

/// If-None-Match and If-Modified-Since of a read or vread, answered 304 when
/// the client's copy is current.
void take_read_preconditions(const http::request& req, call& c) {
  if (auto inm = req.header("if-none-match"))
    c.if_none_match = std::string{*inm};
  if (auto ims = req.header("if-modified-since"))
    c.if_modified_since = fhir::parse_http_date(*ims);
}

void add_version_headers(http::response& res, const storage::resource_record& rec) {
  res.add_header("ETag", etag(rec.version));
  res.add_header("Last-Modified", fhir::format_http_date(rec.last_updated_micros));
}

http::response answer(const call& c, fhir_reply&& reply) {
  if (!reply.status.ok()) {
    auto res = fhir_error(reply.status.to_status());
    if (reply.status.code == errc::gone && reply.record.version)
      add_version_headers(res, reply.record);
    return res;
  }
  auto& rec = reply.record;
  switch (c.op) {
    case fhir_op::read:
    case fhir_op::vread: {
      // If-Modified-Since has whole seconds: modified means in a later
      // second. It is ignored when If-None-Match is sent (RFC 9110 §13.1.3).
      const bool unchanged =
        c.if_none_match ? http::none_match_names(*c.if_none_match, etag(rec.version))
                        : c.if_modified_since &&
                            rec.last_updated_micros / 1'000'000 <= *c.if_modified_since / 1'000'000;
      if (unchanged) {
        http::response res{304, {}, {}, {}};
        add_version_headers(res, rec);
        return res;
      }
      if (c.subset.m != fhir::subset_request::mode::whole)
        rec.json = fhir::subset_resource(rec.json, c.type_name, c.subset);
      http::response res{200, std::string{fhir_json}, std::move(rec.json), {}};
      add_version_headers(res, rec);
      return res;
    }
    case fhir_op::create:
    case fhir_op::update: {
      http::response res{reply.created ? 201u : 200u, std::string{fhir_json}, {}, {}};
      // A conditional interaction names the resource it acted on.
      const auto& id = reply.id.empty() ? c.id : reply.id;
      res.add_header("Location", c.base + "/" + c.type_name + "/" + id + "/_history/" +
                                   std::to_string(rec.version));
      add_version_headers(res, rec);
      if (c.prefer == prefer_return::representation)
        res.body = std::move(rec.json);
      else if (c.prefer == prefer_return::outcome)
        res.body = fhir::informational_outcome(
          (reply.created ? "created " : "updated ") + c.type_name + "/" + id + " at version " +
          std::to_string(rec.version));
      else
        res.content_type.clear();
      return res;
    }
    case fhir_op::reindex_start: {
      http::response res{201, std::string{fhir_json}, std::move(rec.json), {}};
      auto status_url = c.base + "/_operations/reindex/" + reply.job_id;
      res.add_header("Content-Location", status_url);
      res.add_header("Location", status_url);
      return res;
    }
    case fhir_op::reindex_status:
      return {200, std::string{fhir_json}, std::move(rec.json), {}};
    case fhir_op::erase: {
      http::response res{204, {}, {}, {}};
      if (rec.version)
        res.add_header("ETag", etag(rec.version));
      return res;
    }
    default: { // history
      std::vector<fhir::history_entry> entries;
      entries.reserve(reply.history.size());
      for (auto& item : reply.history) {
        auto method = item.record.kind == storage::record_kind::create ? fhir::history_method::create
                      : item.record.kind == storage::record_kind::erase ? fhir::history_method::erase
                                                                        : fhir::history_method::update;
        entries.push_back({fhir::resource_type_name(item.type), item.id, item.record.version,
                           item.record.last_updated_micros, method, item.record.json});
      }
      std::string next;
      if (!reply.next_cursor.empty())
        next = c.next_base + "_cursor=" + http::percent_encode(reply.next_cursor);
      return {200, std::string{fhir_json},
              fhir::history_bundle(c.base, entries, c.self_url, next), {}};
    }
  }
}

void send(edge_context& ctx, const fhir_actor& dest, fhir_request&& req, call c,
          http::responder respond) {
  send_fhir(ctx, dest, std::move(req),
            [c = std::move(c)](fhir_reply&& r) { return answer(c, std::move(r)); },
            std::move(respond));
}

/// Whether a partition lives on this node, so its reads can be served here.
bool is_local(const edge_context& ctx, const fhir_actor& dest) {
  return ctx.db != nullptr && dest && dest.node() == ctx.local_node;
}

/// _summary and _elements of a read; other search parameters mean nothing
/// there and are ignored.
result<fhir::subset_request> read_subset(const http::query_params& q, std::string_view type) {
  if (q.empty()) // the common read: nothing to parse
    return fhir::subset_request{};
  auto parsed = fhir::search::parse_query(q);
  if (!parsed)
    return parsed.error();
  std::vector<std::string> unknown_elements; // lenient: unknown names just match nothing
  return fhir::search::subset_of(*parsed, type, unknown_elements);
}

/// If-Match: W/"3" or "3" → 3; absent → 0.
result<std::uint64_t> parse_if_match(const http::request& req) {
  auto h = req.header("if-match");
  if (!h)
    return std::uint64_t{0};
  if (auto v = fhir::parse_version_etag(*h))
    return *v;
  return error(errc::invalid, "If-Match must be a version ETag such as W/\"1\"", "If-Match");
}

result<history_query> parse_history(const http::query_params& q) {
  history_query h;
  if (auto count = http::find_param(q, "_count")) {
    std::uint64_t n = 0;
    auto [p, ec] = std::from_chars(count->data(), count->data() + count->size(), n);
    if (ec != std::errc{} || p != count->data() + count->size())
      return error(errc::invalid, "_count must be a non-negative integer", "_count");
    h.count = static_cast<std::uint32_t>(std::min<std::uint64_t>(n, max_count));
  }
  if (auto v = http::find_param(q, "_since")) {
    auto t = fhir::parse_fhir_datetime(*v);
    if (!t)
      return error(errc::invalid, "_since must be a FHIR instant or date", "_since");
    h.since = *t;
  }
  if (auto v = http::find_param(q, "_at")) {
    auto period = fhir::parse_fhir_period(*v);
    if (!period)
      return error(errc::invalid, "_at must be a FHIR instant or date", "_at");
    h.at = period->start;
    h.at_end = period->end;
  }
  if (auto cursor = http::find_param(q, "_cursor"))
    h.cursor = std::string{*cursor};
  return h;
}

std::string next_base(std::string_view base, std::string_view path_tail,
                      const history_query& h, const http::query_params& q) {
  std::string url{base};
  url += path_tail;
  url += "?_count=" + std::to_string(h.count) + "&";
  for (auto name : {"_since", "_at"})
    if (auto v = http::find_param(q, name))
      url += std::string{name} + "=" + http::percent_encode(*v) + "&";
  return url;
}

/// The search index entries of a resource about to be written, extracted
/// here on the io threads so the owning partition only adds them to its
/// batch. A resource the indexer cannot evaluate is refused rather than
/// stored unsearchable.
status add_index_entries(edge_context& ctx, const service_info& svc, fhir_request& r,
                         const simdjson::dom::element& resource) {
  const auto params = ctx.params->get(svc.id);
  auto entries = write_entries(*params, svc.id, r.type, r.id, resource);
  if (!entries)
    return entries.error();
  r.index = std::move(*entries);
  r.index_registry = params->write->uid();
  return status::ok();
}

status check_json_body(const http::request& req) {
  auto ct = req.header("content-type");
  if (ct && !http::is_fhir_json_content_type(*ct))
    return error(errc::unsupported_media,
                 "Content-Type '" + std::string{*ct} +
                   "' is not supported; send application/fhir+json",
                 "Content-Type");
  return status::ok();
}

http::response method_not_allowed(const http::request& req, std::string_view allowed) {
  auto res = fhir_error(error(errc::method_not_allowed,
                              req.method + " is not allowed here (allowed: " +
                                std::string{allowed} + ")"));
  res.add_header("Allow", std::string{allowed});
  return res;
}

http::response not_built(std::string_view what) {
  return fhir_error(error(errc::not_implemented, std::string{what} + " is not implemented yet"));
}

/// PATCH takes JSON Patch or FHIRPath Patch, each in its media type.
std::optional<http::response> refuse_patch_media(const http::request& req) {
  auto ct = req.header("content-type");
  if (auto s = fhir::check_patch_body(ct ? *ct : std::string_view{}, req.body); !s)
    return fhir_error(s);
  return std::nullopt;
}

} // namespace

void serve_fhir(edge_context& ctx, const service_info& svc,
                std::span<const std::string> rest, http::request&& req,
                http::responder respond) {
  auto [path, raw_query] = http::split_target(req.target);
  auto query = http::parse_query(raw_query);
  if (!query)
    return respond(fhir_error(error(errc::invalid, "the query string has a malformed escape")));
  auto format = http::negotiate(http::find_param(*query, "_format"), req.header("accept"));
  if (format != http::fhir_format::json)
    return respond(fhir_error(error(errc::not_acceptable,
                                    "this server answers in JSON only (application/fhir+json)",
                                    "Accept")));
  call c;
  auto host = req.header("host");
  const auto host_name = host ? *host : "localhost"sv;
  c.base.reserve(9 + host_name.size() + svc.workspace.size() + svc.name.size());
  c.base.append("http://"sv)
    .append(host_name)
    .append("/"sv)
    .append(svc.workspace)
    .append("/"sv)
    .append(svc.name);
  fhir_request r;
  r.service = svc.id;

  auto history = [&](fhir_op op) {
    auto h = parse_history(*query);
    if (!h)
      return respond(fhir_error(h.error()));
    r.op = c.op = op;
    r.history = std::move(*h);
    const auto service_path =
      path.substr(std::min(path.size(), svc.workspace.size() + svc.name.size() + 2));
    c.self_url = c.base;
    c.self_url.append(service_path);
    if (!raw_query.empty())
      c.self_url.append("?").append(raw_query);
    c.next_base = next_base(c.base, service_path, r.history, *query);
    auto dest = op == fhir_op::history_instance ? ctx.dir->fhir_partition(svc.id, r.type, r.id)
                                                : ctx.dir->fhir_service(svc.id);
    send(ctx, dest, std::move(r), std::move(c), std::move(respond));
  };

  // ---- service level ----
  if (rest.empty()) {
    if (req.method == "POST"sv) {
      if (auto s = check_json_body(req); !s)
        return respond(fhir_error(s));
      return serve_fhir_bundle(ctx, svc, std::move(req), std::move(respond));
    }
    if (req.method == "GET"sv)
      return serve_fhir_search(ctx, svc, 0, "", c.base, std::move(req), std::move(respond));
    return respond(method_not_allowed(req, "GET, POST"));
  }
  if (rest[0] == "metadata"sv) {
    if (rest.size() > 1)
      return respond(fhir_error(error(errc::not_found, "nothing is served at " + std::string{path})));
    if (req.method != "GET"sv)
      return respond(method_not_allowed(req, "GET"));
    return respond({200, std::string{fhir_json},
                    fhir::capability_statement(c.base, ctx.software_version, build_capabilities,
                                               *ctx.params->get(svc.id)->search),
                    {}});
  }
  if (rest[0] == "_search"sv && rest.size() == 1) {
    if (req.method != "POST"sv)
      return respond(method_not_allowed(req, "POST"));
    return serve_fhir_search(ctx, svc, 0, "", c.base, std::move(req), std::move(respond));
  }
  if (rest[0] == "_history"sv && rest.size() == 1) {
    if (req.method != "GET"sv)
      return respond(method_not_allowed(req, "GET"));
    return history(fhir_op::history_system);
  }
  if (rest[0] == "$reindex"sv && rest.size() == 1) {
    if (req.method != "POST"sv)
      return respond(method_not_allowed(req, "POST"));
    r.op = c.op = fhir_op::reindex_start;
    return send(ctx, ctx.dir->fhir_service(svc.id), std::move(r), std::move(c),
                std::move(respond));
  }
  if (rest[0] == "_operations"sv && rest.size() == 3 && rest[1] == "reindex"sv) {
    if (req.method != "GET"sv)
      return respond(method_not_allowed(req, "GET"));
    r.op = c.op = fhir_op::reindex_status;
    r.id = rest[2];
    return send(ctx, ctx.dir->fhir_service(svc.id), std::move(r), std::move(c),
                std::move(respond));
  }
  if (rest.size() == 3 && rest[2] == "$purge-history"sv) {
    auto type = fhir::find_resource_type(rest[0]);
    if (!type)
      return respond(fhir_error(error(errc::not_found,
                                      "'" + rest[0] + "' is not an R4 resource type", "type")));
    if (!fhir::is_valid_id(rest[1]))
      return respond(fhir_error(error(errc::invalid, "'" + rest[1] + "' is not a valid FHIR id",
                                      "id")));
    if (req.method != "DELETE"sv)
      return respond(method_not_allowed(req, "DELETE"));
    r.op = fhir_op::purge_history;
    c.op = fhir_op::erase; // answered 204 like a delete
    r.type = *type;
    r.id = c.id = rest[1];
    return send(ctx, ctx.dir->fhir_partition(svc.id, r.type, r.id), std::move(r), std::move(c),
                std::move(respond));
  }
  if (rest[0].starts_with("$") || (rest.size() > 1 && rest.back().starts_with("$"))) {
    // An operation FHIR R4 or the mission names is on its way (501); any
    // other is unknown here, as a path no route serves is.
    static constexpr std::string_view planned[] = {
      "$everything", "$export",  "$import",   "$validate", "$convert-data", "$meta",
      "$meta-add",   "$meta-delete", "$expand", "$lookup", "$validate-code", "$translate",
      "$subsumes",   "$closure", "$document", "$process-message", "$graphql", "$match",
      "$lastn",      "$stats",   "$apply",    "$populate", "$evaluate-measure"};
    if (std::find(std::begin(planned), std::end(planned), rest.back()) != std::end(planned))
      return respond(not_built("operation " + rest.back()));
    return respond(fhir_error(error(errc::not_found, "no operation " + rest.back() +
                                                       " is known on this server",
                                    "operation")));
  }

  // ---- type level ----
  auto type = fhir::find_resource_type(rest[0]);
  if (!type)
    return respond(fhir_error(error(errc::not_found,
                                    "'" + rest[0] + "' is not an R4 resource type", "type")));
  r.type = *type;
  c.type_name = rest[0];
  if (rest.size() == 1) {
    if (req.method == "GET"sv)
      return serve_fhir_search(ctx, svc, r.type, rest[0], c.base, std::move(req),
                               std::move(respond));
    // A conditional write's If-Match holds for its match, as it would for
    // the instance (lost-update protection); none matching fails it.
    if (req.method == "DELETE"sv || req.method == "PATCH"sv || req.method == "PUT"sv) {
      auto if_match = parse_if_match(req);
      if (!if_match)
        return respond(fhir_error(if_match.error()));
      r.if_match = *if_match;
    }
    if (req.method == "DELETE"sv) { // conditional delete: DELETE {type}?criteria
      if (auto s = check_search_parameter_write(*ctx.params, svc.id, rest[0], nullptr); !s)
        return respond(fhir_error(s));
      r.op = fhir_op::conditional_delete;
      r.write = fhir_op::erase;
      c.op = fhir_op::erase;
      r.query = std::string{raw_query};
      // hardDelete says how to delete, not what: it is no criterion.
      auto hard = hard_delete_of(*query);
      if (!hard)
        return respond(fhir_error(hard.error()));
      if (*hard)
        r.write = fhir_op::hard_erase;
      r.query = http::without_param(raw_query, "hardDelete");
      return send(ctx, ctx.dir->fhir_service(svc.id), std::move(r), std::move(c),
                  std::move(respond));
    }
    // The service resolves the criteria; the body goes as the client sent it.
    auto conditional_write = [&](fhir_op op) {
      r.op = op;
      c.op = fhir_op::update; // answered like an update
      r.query = std::string{raw_query};
      r.head = std::move(req.body);
      c.prefer = parse_prefer(req);
      send(ctx, ctx.dir->fhir_service(svc.id), std::move(r), std::move(c), std::move(respond));
    };
    if (req.method == "PATCH"sv) { // conditional patch: PATCH {type}?criteria
      if (auto refused = refuse_patch_media(req))
        return respond(std::move(*refused));
      if (auto s = check_search_parameter_write(*ctx.params, svc.id, rest[0], nullptr); !s)
        return respond(fhir_error(s));
      return conditional_write(fhir_op::conditional_patch);
    }
    if (req.method == "PUT"sv) { // conditional update: PUT {type}?criteria
      if (auto s = check_json_body(req); !s)
        return respond(fhir_error(s));
      if (auto s = check_search_parameter_write(*ctx.params, svc.id, rest[0], &req.body); !s)
        return respond(fhir_error(s));
      // Checked here; prepared again by the service once the id is known.
      if (auto checked = fhir::prepare_resource(req.body, rest[0], "x", fhir::id_rule::replace);
          !checked)
        return respond(fhir_error(checked.error()));
      return conditional_write(fhir_op::conditional_update);
    }
    if (req.method != "POST"sv)
      return respond(method_not_allowed(req, "GET, POST, PUT, PATCH, DELETE"));
    if (auto s = check_json_body(req); !s)
      return respond(fhir_error(s));
    if (auto s = check_search_parameter_write(*ctx.params, svc.id, rest[0], &req.body); !s)
      return respond(fhir_error(s));
    auto prefer = parse_prefer(req);
    r.op = c.op = fhir_op::create;
    r.id = c.id = fhir::new_resource_id();
    r.new_id = true;
    auto prepared =
      fhir::prepare_resource(req.body, rest[0], r.id, fhir::id_rule::replace,
                             [&](const simdjson::dom::element& resource) {
                               return add_index_entries(ctx, svc, r, resource);
                             });
    if (!prepared)
      return respond(fhir_error(prepared.error()));
    r.head = std::move(prepared->head);
    r.tail = std::move(prepared->tail);
    c.prefer = prefer;
    if (auto criteria = req.header("if-none-exist")) { // conditional create
      r.op = fhir_op::conditional_create;
      r.query = std::string{*criteria};
      return send(ctx, ctx.dir->fhir_service(svc.id), std::move(r), std::move(c),
                  std::move(respond));
    }
    auto dest = ctx.dir->fhir_partition(svc.id, r.type, r.id);
    return send(ctx, dest, std::move(r), std::move(c), std::move(respond));
  }
  if (rest[1] == "_history"sv && rest.size() == 2) {
    if (req.method != "GET"sv)
      return respond(method_not_allowed(req, "GET"));
    return history(fhir_op::history_type);
  }
  if (rest[1] == "_search"sv && rest.size() == 2) {
    if (req.method != "POST"sv)
      return respond(method_not_allowed(req, "POST"));
    return serve_fhir_search(ctx, svc, r.type, rest[0], c.base, std::move(req),
                             std::move(respond));
  }

  // ---- instance level ----
  r.id = c.id = rest[1];
  if (!fhir::is_valid_id(r.id))
    return respond(fhir_error(error(errc::invalid,
                                    "'" + r.id + "' is not a valid FHIR id ([A-Za-z0-9-.]{1,64})",
                                    "id")));
  if (rest.size() == 2) {
    auto if_match = parse_if_match(req);
    if (!if_match)
      return respond(fhir_error(if_match.error()));
    r.if_match = *if_match;
    if (req.method == "GET"sv) {
      auto subset = read_subset(*query, rest[0]);
      if (!subset)
        return respond(fhir_error(subset.error()));
      c.subset = std::move(*subset);
      r.op = c.op = fhir_op::read;
      take_read_preconditions(req, c);
    } else if (req.method == "PUT"sv) {
      if (auto s = check_json_body(req); !s)
        return respond(fhir_error(s));
      // The body is validated first, then the SearchParameter check.
      auto prepared =
        fhir::prepare_resource(req.body, rest[0], r.id, fhir::id_rule::must_match,
                               [&](const simdjson::dom::element& resource) {
                                 if (auto s = check_search_parameter_write(*ctx.params, svc.id,
                                                                           rest[0], &req.body);
                                     !s)
                                   return s;
                                 return add_index_entries(ctx, svc, r, resource);
                               });
      if (!prepared)
        return respond(fhir_error(prepared.error()));
      r.op = c.op = fhir_op::update;
      r.head = std::move(prepared->head);
      r.tail = std::move(prepared->tail);
      if (auto inm = req.header("if-none-match"))
        r.if_none_match = std::string{*inm}; // "*": create only
      c.prefer = parse_prefer(req);
    } else if (req.method == "DELETE"sv) {
      if (auto s = check_search_parameter_write(*ctx.params, svc.id, rest[0], nullptr); !s)
        return respond(fhir_error(s));
      r.op = c.op = fhir_op::erase;
      auto hard = hard_delete_of(*query);
      if (!hard)
        return respond(fhir_error(hard.error()));
      if (*hard)
        r.op = fhir_op::hard_erase; // answered like a delete, history gone too
    } else if (req.method == "PATCH"sv) {
      if (auto refused = refuse_patch_media(req))
        return respond(std::move(*refused));
      // A patched SearchParameter is checked when a $reindex activates it.
      if (auto s = check_search_parameter_write(*ctx.params, svc.id, rest[0], nullptr); !s)
        return respond(fhir_error(s));
      r.op = fhir_op::patch;
      c.op = fhir_op::update; // answered like an update
      r.head = std::move(req.body);
      c.prefer = parse_prefer(req);
    } else {
      return respond(method_not_allowed(req, "GET, PUT, PATCH, DELETE"));
    }
    auto dest = ctx.dir->fhir_partition(svc.id, r.type, r.id);
    if (r.op == fhir_op::read && is_local(ctx, dest))
      return respond(answer(c, read_current(*ctx.db, svc.id, r.type, r.id)));
    return send(ctx, dest, std::move(r), std::move(c), std::move(respond));
  }
  if (rest[0] == "Patient"sv && rest.size() == 3 && rest[2] != "_history"sv) {
    // Compartment search: GET /Patient/{id}/{type}?…
    auto member = fhir::find_resource_type(rest[2]);
    if (!member)
      return respond(fhir_error(error(errc::not_found,
                                      "'" + rest[2] + "' is not an R4 resource type", "type")));
    if (req.method != "GET"sv)
      return respond(method_not_allowed(req, "GET"));
    return serve_fhir_search(ctx, svc, *member, rest[2], c.base, std::move(req),
                             std::move(respond), "Patient/" + r.id);
  }
  if (rest[2] != "_history"sv || rest.size() > 4)
    return respond(fhir_error(error(errc::not_found, "nothing is served at " + std::string{path})));
  if (req.method != "GET"sv)
    return respond(method_not_allowed(req, "GET"));
  if (rest.size() == 3)
    return history(fhir_op::history_instance);
  std::uint64_t v = 0;
  auto& vid = rest[3];
  auto [p, ec] = std::from_chars(vid.data(), vid.data() + vid.size(), v);
  if (ec != std::errc{} || p != vid.data() + vid.size() || v == 0)
    return respond(fhir_error(error(errc::not_found, "version '" + vid + "' of " + rest[0] + "/" +
                                                       r.id + " is not known")));
  auto subset = read_subset(*query, rest[0]);
  if (!subset)
    return respond(fhir_error(subset.error()));
  c.subset = std::move(*subset);
  r.op = c.op = fhir_op::vread;
  take_read_preconditions(req, c);
  r.version = v;
  auto dest = ctx.dir->fhir_partition(svc.id, r.type, r.id);
  if (is_local(ctx, dest))
    return respond(answer(c, read_version(*ctx.db, svc.id, r.type, r.id, v)));
  send(ctx, dest, std::move(r), std::move(c), std::move(respond));
}

} // namespace atrium::actors
