// POST [base] with a Bundle.
// - batch: every entry is an independent request, run through the same
//   routes as if it had come on its own (so it behaves exactly like one), and
//   answered in a batch-response Bundle in entry order.
// - transaction: all or nothing. Its writes go to the FHIR service, whose
//   coordinator runs them atomically (actors/fhir/transaction.hpp); its reads
//   (GET, HEAD) run here once the writes are stored, so they see them, and
//   once before, so that a read that fails fails the transaction unwritten
//   (check_reads).
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_set>

#include <simdjson.h>

#include "actors/directory.hpp"
#include "actors/edge/fhir_prefer.hpp"
#include "actors/edge/fhir_send.hpp"
#include "actors/edge/router.hpp"
#include "protocols/fhir/bundle_request.hpp"
#include "protocols/fhir/instant.hpp"
#include "protocols/fhir/json_text.hpp"
#include "protocols/fhir/outcome.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "protocols/http/query.hpp"
#include "protocols/http/status_map.hpp"

namespace atrium::actors {

namespace {

constexpr std::string_view fhir_json = "application/fhir+json; charset=utf-8";

/// An entry's request as the routes take it.
result<http::request> http_request_of(const fhir::bundle_entry_request& e,
                                      const service_info& svc, const http::request& outer) {
  if (e.refused)
    return *e.refused;
  http::request r;
  r.method = e.method == "HEAD" ? "GET" : e.method;
  r.target = "/" + svc.workspace + "/" + svc.name + "/" + e.url;
  if (auto host = outer.header("host")) r.headers.emplace_back("host", std::string{*host});
  // The Bundle's Prefer applies to each entry's answer (R4 http.html#ops).
  if (auto prefer = outer.header("prefer")) r.headers.emplace_back("prefer", std::string{*prefer});
  for (auto [value, header] : {std::pair{&e.if_match, "if-match"},
                               std::pair{&e.if_none_exist, "if-none-exist"},
                               std::pair{&e.if_none_match, "if-none-match"}})
    if (!value->empty()) r.headers.emplace_back(header, *value);
  // An entry's ifModifiedSince is a FHIR instant (the Bundle's structure
  // check refuses an HTTP date there); the header an HTTP date.
  if (!e.if_modified_since.empty()) {
    auto since = fhir::parse_fhir_datetime(e.if_modified_since);
    if (!since)
      return status{errc::invalid, "ifModifiedSince '" + e.if_modified_since +
                                     "' is not an instant such as 2026-01-01T00:00:00Z",
                    "ifModifiedSince"};
    r.headers.emplace_back("if-modified-since", fhir::format_http_date(*since));
  }
  if (e.method == "PATCH") {
    auto patch = fhir::patch_of(e);
    if (!patch)
      return patch.error();
    r.headers.emplace_back("content-type", patch->content_type);
    r.body = std::move(patch->body);
  } else if (!e.resource.empty()) {
    r.headers.emplace_back("content-type", "application/fhir+json");
    r.body = e.resource;
  }
  return r;
}

void append_member(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":";
  fhir::append_json_string(out, value);
}

std::string status_line(unsigned status) {
  return std::to_string(status) + " " + http::reason_phrase(status);
}

/// A batch- or transaction-response entry for an answer the routes gave;
/// `head`: a HEAD entry, answered without its resource; `outcome_asked`:
/// a write under Prefer: return=OperationOutcome, whose answer is its
/// outcome (a read's OperationOutcome is the resource it read).
std::string response_entry(const http::response& res, bool head, bool outcome_asked) {
  std::string out = R"({"response":{"status":)";
  fhir::append_json_string(out, status_line(res.status));
  std::string_view last_modified; // the header: whole seconds only
  for (const auto& [name, value] : res.headers) {
    if (name == "Location")
      append_member(out, "location", value);
    else if (name == "ETag")
      append_member(out, "etag", value);
    else if (name == "Last-Modified")
      last_modified = value;
  }
  const bool json_body = !res.body.empty() && res.body.front() == '{';
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json_body ? res.body : std::string{"{}"});
  simdjson::dom::element root;
  std::string_view last_updated;
  std::string_view type;
  const bool parsed = json_body && parser.parse(padded).get(root) == simdjson::SUCCESS;
  // From the resource (to the microsecond) when the answer carries it; else
  // (Prefer: return=minimal or OperationOutcome) from Last-Modified.
  if (parsed && res.status < 400 &&
      root.at_pointer("/meta/lastUpdated").get_string().get(last_updated) == simdjson::SUCCESS)
    append_member(out, "lastModified", last_updated);
  else if (auto micros = fhir::parse_http_date(last_modified); micros && res.status < 400)
    append_member(out, "lastModified", fhir::format_instant(*micros));
  // An error's OperationOutcome, or the one Prefer: return=OperationOutcome
  // asked for, is the entry's outcome, not its resource.
  const bool outcome = parsed && root["resourceType"].get_string().get(type) == simdjson::SUCCESS &&
                       type == "OperationOutcome" && (res.status >= 400 || outcome_asked);
  if (outcome || (json_body && res.status >= 400)) {
    out += R"(,"outcome":)";
    out += res.body;
  }
  out += '}';
  if (json_body && res.status < 400 && !head && !outcome) {
    out += R"(,"resource":)";
    out += res.body;
  }
  out += '}';
  return out;
}

/// A transaction-response entry for a write the coordinator stored.
std::string response_entry(const bundle_entry_result& r, const std::string& base,
                           prefer_return prefer) {
  std::string out = R"({"response":{"status":)";
  fhir::append_json_string(out, status_line(r.status));
  const auto& rec = r.record;
  if (r.status != 204)
    append_member(out, "location", base + "/" + std::string{fhir::resource_type_name(r.type)} +
                                     "/" + r.id + "/_history/" + std::to_string(rec.version));
  if (rec.version != 0) // a delete of what was already gone has no new version
    append_member(out, "etag", "W/\"" + std::to_string(rec.version) + "\"");
  if (rec.last_updated_micros != 0)
    append_member(out, "lastModified", fhir::format_instant(rec.last_updated_micros));
  if (prefer == prefer_return::outcome) {
    out += R"(,"outcome":)";
    out += fhir::informational_outcome(
      r.id.empty() ? status_line(r.status) // a delete that found nothing
                   : status_line(r.status) + " " +
                       std::string{fhir::resource_type_name(r.type)} + "/" + r.id);
  }
  out += '}';
  if (prefer == prefer_return::representation && !rec.json.empty()) {
    out += R"(,"resource":)";
    out += rec.json;
  }
  out += '}';
  return out;
}

/// The entries' answers, collected until the last arrives; then the Bundle
/// is sent. Answers come on any io thread.
struct collected_entries {
  std::string bundle_type; // batch-response, transaction-response
  std::vector<std::string> entries;
  std::atomic<std::size_t> remaining{0};
  http::responder respond;

  void answer(std::size_t i, std::string entry) {
    entries[i] = std::move(entry);
    done_one();
  }

  void done_one() {
    if (remaining.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    std::string body = R"({"resourceType":"Bundle","type":")" + bundle_type + '"';
    if (!entries.empty()) { // R4 JSON leaves an empty array out
      body += R"(,"entry":[)";
      for (std::size_t k = 0; k < entries.size(); ++k) body += (k ? "," : "") + entries[k];
      body += ']';
    }
    body += '}';
    respond({200, std::string{fhir_json}, std::move(body), {}});
  }
};

/// Runs entry `e` through the routes; `done` gets the answer.
void serve_entry(edge_context& ctx, const service_info& svc, const http::request& outer,
                 const fhir::bundle_entry_request& e, http::responder done) {
  auto r = http_request_of(e, svc, outer);
  if (!r)
    return done(fhir_error(r.error()));
  auto [path, query] = http::split_target(r->target);
  auto segments = http::split_path(path);
  if (!segments || segments->size() < 3)
    return done(fhir_error({errc::invalid, "request.url names no resource type"}));
  serve_fhir(ctx, svc, std::span{*segments}.subspan(2), std::move(*r), std::move(done));
}

/// Runs entry `e` through the routes; its answer goes to slot `i`.
void run_entry(edge_context& ctx, const service_info& svc, const http::request& outer,
               const fhir::bundle_entry_request& e, std::size_t i,
               const std::shared_ptr<collected_entries>& out) {
  const bool head = e.method == "HEAD";
  const bool outcome_asked = !e.is_read() && parse_prefer(outer) == prefer_return::outcome;
  serve_entry(ctx, svc, outer, e, [out, i, head, outcome_asked](http::response res) {
    out->answer(i, response_entry(res, head, outcome_asked));
  });
}

/// The first issue's diagnostics of an OperationOutcome body ("" if none).
std::string diagnostics_of(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view text;
  if (parser.parse(body).get(root) != simdjson::SUCCESS ||
      root.at_pointer("/issue/0/diagnostics").get_string().get(text) != simdjson::SUCCESS)
    return {};
  return std::string{text};
}

/// R4 fails a whole transaction when any entry fails, reads included, but
/// reads run after the writes are durable (they see them). So each read
/// runs once before anything is written, and a failure the writes cannot
/// undo fails the transaction: any but a 404 or 410 of a resource that an
/// entry writes by id. `done` gets that failure, or nothing to go on.
/// (A resource deleted by someone else between this run and the reads'
/// second one still answers 410 in a committed transaction.)
void check_reads(edge_context& ctx, const service_info& svc, const http::request& outer,
                 const fhir::bundle_request& bundle,
                 std::function<void(std::optional<http::response>)> done) {
  std::vector<std::size_t> reads;
  std::unordered_set<std::string> written; // "Type/id" of the writes by id
  for (std::size_t i = 0; i < bundle.entries.size(); ++i) {
    const auto& e = bundle.entries[i];
    if (e.is_read())
      reads.push_back(i);
    else if (e.url.find('?') == std::string::npos)
      written.insert(e.url);
  }
  if (reads.empty())
    return done(std::nullopt);
  struct state {
    std::mutex lock;
    std::optional<http::response> failure;
    std::size_t failed_entry = 0;
    std::size_t remaining = 0;
    std::function<void(std::optional<http::response>)> done;
  };
  auto st = std::make_shared<state>();
  st->remaining = reads.size();
  st->done = std::move(done);
  for (auto i : reads) {
    const auto& e = bundle.entries[i];
    const bool undoable = written.contains(e.url.substr(0, e.url.find('?')));
    auto label = "Bundle.entry[" + std::to_string(i) + "] (" + e.method + " " + e.url + ")";
    serve_entry(ctx, svc, outer, e,
                [st, i, undoable, label = std::move(label)](http::response res) {
      const bool fails = res.status >= 400 &&
                         !(undoable && (res.status == 404 || res.status == 410));
      std::optional<http::response> failure;
      {
        std::lock_guard<std::mutex> guard(st->lock);
        if (fails && (!st->failure || i < st->failed_entry)) {
          st->failed_entry = i;
          st->failure = fhir_error({http::errc_for(res.status),
                                    label + ": " + diagnostics_of(res.body),
                                    "Bundle.entry[" + std::to_string(i) + "]"});
          st->failure->status = res.status;
        }
        if (--st->remaining != 0)
          return;
        failure = std::move(st->failure);
      }
      st->done(std::move(failure));
    });
  }
}

/// R4: "There SHALL be no interdependencies between the different entries
/// in the Bundle" of a batch, which servers validate: an entry whose
/// resource refers to another entry's fullUrl is refused (a transaction
/// would resolve the reference; a batch would store it dangling).
void refuse_interdependent(fhir::bundle_request& bundle) {
  std::unordered_set<std::string_view> full_urls;
  for (const auto& e : bundle.entries)
    if (!e.full_url.empty()) full_urls.insert(e.full_url);
  if (full_urls.empty())
    return;
  for (auto& e : bundle.entries) {
    if (e.refused || e.resource.empty() || (e.method != "POST" && e.method != "PUT"))
      continue;
    const auto type = std::string_view{e.url}.substr(0, e.url.find_first_of("/?"));
    std::string named;
    fhir::for_each_reference(e.resource, type, [&](std::string_view ref) {
      if (named.empty() && ref != e.full_url && full_urls.contains(ref)) named = ref;
    });
    if (!named.empty())
      e.refused = status{errc::invalid,
                         "the resource refers to " + named + ", the fullUrl of another entry; "
                         "a batch's entries are independent (a transaction resolves such "
                         "references)",
                         "resource"};
  }
}

void serve_batch(edge_context& ctx, const service_info& svc, const http::request& req,
                 fhir::bundle_request&& bundle, http::responder respond) {
  refuse_interdependent(bundle);
  auto out = std::make_shared<collected_entries>();
  out->bundle_type = "batch-response";
  out->entries.resize(bundle.entries.size());
  out->remaining = bundle.entries.size() + 1; // +1: this loop
  out->respond = std::move(respond);
  for (std::size_t i = 0; i < bundle.entries.size(); ++i)
    run_entry(ctx, svc, req, bundle.entries[i], i, out);
  out->done_one();
}

/// The urn fullUrls (urn:uuid:, urn:oid:) of the resources a transaction
/// wrote, each with the reference it became ("Patient/123").
std::vector<std::pair<std::string, std::string>>
created_urns(const fhir::bundle_request& bundle, const std::vector<bundle_entry_result>& written) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i < bundle.entries.size() && i < written.size(); ++i) {
    const auto& url = bundle.entries[i].full_url;
    if (written[i].status != 0 && !written[i].id.empty() && url.starts_with("urn:"))
      out.emplace_back(url, std::string{fhir::resource_type_name(written[i].type)} + "/" +
                              written[i].id);
  }
  return out;
}

/// `url` with each urn of `urns` replaced by its reference where the urn
/// stands whole (as written or percent-encoded): after the start, '/', '='
/// or ',', and before the end or '&', ',', '|' or '/'. urn:oid:1.2.3 is no
/// part of urn:oid:1.2.3.4.
std::string with_created_urns(std::string url,
                              const std::vector<std::pair<std::string, std::string>>& urns) {
  const auto whole = [&](std::size_t at, std::size_t size) {
    const bool starts = at == 0 || std::string_view{"/=,"}.find(url[at - 1]) != std::string_view::npos;
    const auto end = at + size;
    const bool ends = end == url.size() || std::string_view{"&,|/"}.find(url[end]) != std::string_view::npos;
    return starts && ends;
  };
  for (const auto& [urn, reference] : urns)
    for (const auto& written : {urn, http::percent_encode(urn)})
      for (auto at = url.find(written); at != std::string::npos; at = url.find(written, at + 1))
        if (whole(at, written.size()))
          url.replace(at, written.size(), reference);
  return url;
}

void serve_transaction(edge_context& ctx, const service_info& svc, http::request&& req,
                       fhir::bundle_request&& bundle, http::responder respond) {
  auto host = req.header("host");
  auto base = "http://" + std::string{host ? *host : "localhost"} + "/" + svc.workspace + "/" +
              svc.name;
  const auto prefer = parse_prefer(req);
  fhir_request r;
  r.op = fhir_op::transaction;
  for (const auto& e : bundle.entries)
    if (auto key = e.criteria_key(); !key.empty()) r.ids.push_back(std::move(key));
  r.service = svc.id;
  // The outer request and the entries' requests serve the reads' check,
  // then the reads themselves; the resources go to the coordinator.
  fhir::bundle_request requests{bundle.type, {}};
  requests.entries.reserve(bundle.entries.size());
  for (auto& e : bundle.entries) { // each entry but its resource, which is not copied
    auto resource = std::move(e.resource);
    requests.entries.push_back(e);
    e.resource = std::move(resource);
  }
  r.bundle = std::move(bundle);
  std::string{}.swap(req.body); // read into r.bundle: no need to hold it
  auto held = std::make_shared<std::pair<http::request, fhir::bundle_request>>(
    std::move(req), std::move(requests));
  // The writes' reply, and then the reads, become the response: the
  // renderer keeps the reply for the responder, which runs the reads.
  auto reply = std::make_shared<std::optional<fhir_reply>>();
  auto render = [reply](fhir_reply&& rep) {
    if (!rep.status.ok())
      return fhir_error(rep.status.to_status());
    *reply = std::move(rep);
    return http::response{};
  };
  auto finish = [&ctx, svc, held, base, prefer, reply,
                 respond = std::move(respond)](http::response res) mutable {
    if (!*reply)
      return respond(std::move(res));
    const auto& [outer, entries] = *held;
    auto out = std::make_shared<collected_entries>();
    out->bundle_type = "transaction-response";
    out->entries.resize(entries.entries.size());
    out->remaining = entries.entries.size() + 1; // +1: this loop
    out->respond = std::move(respond);
    auto& written = (*reply)->entries;
    const auto urns = created_urns(entries, written);
    for (std::size_t i = 0; i < entries.entries.size(); ++i) {
      if (i < written.size() && written[i].status != 0) {
        out->answer(i, response_entry(written[i], base, prefer));
      } else if (urns.empty()) {
        run_entry(ctx, svc, outer, entries.entries[i], i, out);
      } else { // a read's url is a uri too: R4 rewrites the urns in it
        auto read = entries.entries[i];
        read.url = with_created_urns(std::move(read.url), urns);
        run_entry(ctx, svc, outer, read, i, out);
      }
    }
    out->done_one();
  };
  check_reads(ctx, svc, held->first, held->second,
              [&ctx, svc, r = std::move(r), render = std::move(render),
               finish = std::move(finish)](std::optional<http::response> failure) mutable {
    if (failure)
      return finish(std::move(*failure));
    send_fhir(ctx, ctx.dir->fhir_service(svc.id), std::move(r), std::move(render),
              std::move(finish));
  });
}

} // namespace

void serve_fhir_bundle(edge_context& ctx, const service_info& svc, http::request&& req,
                       http::responder respond) {
  auto bundle = fhir::parse_bundle_request(req.body, ctx.max_bundle_entries);
  if (!bundle)
    return respond(fhir_error(bundle.error()));
  if (bundle->type == "batch")
    return serve_batch(ctx, svc, req, std::move(*bundle), std::move(respond));
  if (bundle->type == "transaction")
    return serve_transaction(ctx, svc, std::move(req), std::move(*bundle), std::move(respond));
  return respond(fhir_error({errc::invalid,
                             "a Bundle posted to the service base must be of type batch or "
                             "transaction, not '" + bundle->type + "'",
                             "Bundle.type"}));
}

} // namespace atrium::actors
