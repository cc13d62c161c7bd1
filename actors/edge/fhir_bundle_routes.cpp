// POST [base] with a Bundle of type batch: every entry is an independent
// request, run through the same routes as if it had come on its own (so it
// behaves exactly like one), and answered in a batch-response Bundle in
// entry order. Transaction bundles (all or nothing) answer 501 until built.
#include <atomic>
#include <memory>
#include <optional>

#include <simdjson.h>

#include "actors/directory.hpp"
#include "actors/edge/router.hpp"
#include "protocols/fhir/json_text.hpp"
#include "protocols/fhir/outcome.hpp"
#include "protocols/http/query.hpp"
#include "protocols/http/status_map.hpp"

namespace atrium::actors {

namespace {

constexpr std::string_view fhir_json = "application/fhir+json; charset=utf-8";
/// More entries than this are refused as a whole (Azure's default limit).
constexpr std::size_t max_entries = 500;

/// One entry's request, as the routes take it; or the reason it is not one.
struct entry_request {
  http::request request;
  std::optional<status> refused;
};

std::string text(simdjson::dom::object o, std::string_view key) {
  std::string_view s;
  return o.at_key(key).get_string().get(s) == simdjson::SUCCESS ? std::string{s} : std::string{};
}

entry_request entry_of(simdjson::dom::element entry, std::string_view raw_entry,
                       const service_info& svc, const http::request& outer) {
  entry_request out;
  auto refuse = [&](std::string why) {
    out.refused = status{errc::invalid, std::move(why), "Bundle.entry.request"};
    return out;
  };
  simdjson::dom::object request;
  if (entry["request"].get_object().get(request) != simdjson::SUCCESS)
    return refuse("the entry has no request");
  auto method = text(request, "method");
  auto url = text(request, "url");
  if (method != "GET" && method != "POST" && method != "PUT" && method != "DELETE" &&
      method != "PATCH" && method != "HEAD")
    return refuse("request.method '" + method + "' is not GET, HEAD, POST, PUT, PATCH or DELETE");
  if (url.empty() || url.front() == '/' || url.find("://") != std::string::npos)
    return refuse("request.url must be relative to the service base ('Patient/123'), not '" +
                  url + "'");
  auto& r = out.request;
  r.method = method == "HEAD" ? "GET" : method;
  r.target = "/" + svc.workspace + "/" + svc.name + "/" + url;
  if (auto host = outer.header("host")) r.headers.emplace_back("host", std::string{*host});
  for (auto [field, header] : {std::pair{"ifMatch", "if-match"},
                               std::pair{"ifNoneExist", "if-none-exist"},
                               std::pair{"ifNoneMatch", "if-none-match"},
                               std::pair{"ifModifiedSince", "if-modified-since"}})
    if (auto v = text(request, field); !v.empty()) r.headers.emplace_back(header, v);
  // The resource as written (decimals keep their digits), when there is one.
  for (auto m : fhir::raw_members(raw_entry))
    if (m.key == "resource") r.body = std::string{m.value};
  if (!r.body.empty())
    r.headers.emplace_back("content-type", method == "PATCH" ? "application/json-patch+json"
                                                              : "application/fhir+json");
  return out;
}

/// A batch-response entry for one answer.
std::string response_entry(const http::response& res) {
  std::string out = R"({"response":{"status":)";
  fhir::append_json_string(out, std::to_string(res.status) + " " + http::reason_phrase(res.status));
  for (const auto& [name, value] : res.headers) {
    if (name == "Location") {
      out += R"(,"location":)";
      fhir::append_json_string(out, value);
    } else if (name == "ETag") {
      out += R"(,"etag":)";
      fhir::append_json_string(out, value);
    }
  }
  const bool json_body = !res.body.empty() && res.body.front() == '{';
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json_body ? res.body : std::string{"{}"});
  simdjson::dom::element root;
  std::string_view last_updated;
  if (json_body && parser.parse(padded).get(root) == simdjson::SUCCESS &&
      root.at_pointer("/meta/lastUpdated").get_string().get(last_updated) == simdjson::SUCCESS) {
    out += R"(,"lastModified":)";
    fhir::append_json_string(out, last_updated);
  }
  if (json_body && res.status >= 400) {
    out += R"(,"outcome":)";
    out += res.body;
  }
  out += '}';
  if (json_body && res.status < 400) {
    out += R"(,"resource":)";
    out += res.body;
  }
  out += '}';
  return out;
}

/// What the entries' answers are collected in; the last one to arrive sends
/// the Bundle. Answers come on any io thread.
struct batch {
  std::vector<std::string> entries;
  std::atomic<std::size_t> remaining{0};
  http::responder respond;

  void answer(std::size_t i, const http::response& res) {
    entries[i] = response_entry(res);
    if (remaining.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    std::string body = R"({"resourceType":"Bundle","type":"batch-response","entry":[)";
    for (std::size_t k = 0; k < entries.size(); ++k) body += (k ? "," : "") + entries[k];
    body += "]}";
    respond({200, std::string{fhir_json}, std::move(body), {}});
  }
};

} // namespace

void serve_fhir_bundle(edge_context& ctx, const service_info& svc, http::request&& req,
                       http::responder respond) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(req.body);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS)
    return respond(fhir_error({errc::invalid, "the body is not JSON"}));
  std::string_view resource_type, type;
  if (root["resourceType"].get_string().get(resource_type) != simdjson::SUCCESS ||
      resource_type != "Bundle")
    return respond(fhir_error({errc::invalid, "POST to the service base takes a Bundle",
                               "resourceType"}));
  if (root["type"].get_string().get(type) != simdjson::SUCCESS)
    type = {};
  if (type == "transaction")
    return respond(fhir_error({errc::not_implemented,
                               "transaction bundles (all or nothing) are not implemented yet; "
                               "batch bundles are"}));
  if (type != "batch")
    return respond(fhir_error({errc::invalid, "a Bundle posted to the service base must be of "
                                              "type batch or transaction, not '" +
                                                std::string{type} + "'",
                               "Bundle.type"}));
  simdjson::dom::array entries;
  if (root["entry"].get_array().get(entries) != simdjson::SUCCESS || entries.size() == 0)
    return respond({200, std::string{fhir_json},
                    R"({"resourceType":"Bundle","type":"batch-response","entry":[]})", {}});
  if (entries.size() > max_entries)
    return respond(fhir_error({errc::invalid, "a batch holds at most " +
                                                std::to_string(max_entries) + " entries",
                               "Bundle.entry"}));
  // Raw entry texts, for resources as written.
  std::string minified(req.body.size(), '\0');
  std::size_t length = 0;
  if (simdjson::minify(req.body.data(), req.body.size(), minified.data(), length) !=
      simdjson::SUCCESS)
    return respond(fhir_error({errc::invalid, "the body is not JSON"}));
  minified.resize(length);
  std::vector<std::string_view> raw_entries;
  for (auto m : fhir::raw_members(minified))
    if (m.key == "entry") raw_entries = fhir::raw_elements(m.value);

  auto b = std::make_shared<batch>();
  b->entries.resize(entries.size());
  b->remaining = entries.size();
  b->respond = std::move(respond);
  std::vector<entry_request> requests;
  std::size_t i = 0;
  for (auto e : entries) {
    requests.push_back(entry_of(e, i < raw_entries.size() ? raw_entries[i] : "{}", svc, req));
    ++i;
  }
  for (i = 0; i < requests.size(); ++i) {
    auto& r = requests[i];
    if (r.refused) {
      b->answer(i, fhir_error(*r.refused));
      continue;
    }
    auto [path, query] = http::split_target(r.request.target);
    auto segments = http::split_path(path);
    if (!segments || segments->size() < 3) {
      b->answer(i, fhir_error({errc::invalid, "request.url names no resource type"}));
      continue;
    }
    serve_fhir(ctx, svc, std::span{*segments}.subspan(2), std::move(r.request),
               [b, i](http::response res) { b->answer(i, res); });
  }
}

} // namespace atrium::actors
