#include "protocols/fhir/bundle.hpp"

#include "protocols/fhir/instant.hpp"
#include "protocols/fhir/json_text.hpp"

#include <utility>

namespace atrium::fhir {
namespace {

void append_link(std::string& out, std::string_view relation, std::string_view url) {
  out += "{\"relation\":";
  append_json_string(out, relation);
  out += ",\"url\":";
  append_json_string(out, url);
  out.push_back('}');
}

struct request_line {
  std::string_view method;
  bool url_has_id; // a create targets the type, the others the instance
  std::string_view status;
};

request_line request_for(history_method method, std::uint64_t version) {
  switch (method) {
    // A PUT that wrote version 1 created the resource. (One that re-created
    // it after a delete is not told apart: that needs the version before.)
    case history_method::update: return {"PUT", true, version == 1 ? "201 Created" : "200 OK"};
    case history_method::erase: return {"DELETE", true, "204 No Content"};
    default: return {"POST", false, "201 Created"};
  }
}

void append_entry(std::string& out, std::string_view base_url, const history_entry& e) {
  std::string path(e.type);
  path.push_back('/');
  path += e.id;

  out += "{\"fullUrl\":";
  append_json_string(out, std::string(base_url) + "/" + path);
  // An erase has no resource; an empty json is never spliced, so a stored
  // value that went missing cannot produce invalid JSON.
  if (e.method != history_method::erase && !e.json.empty()) {
    out += ",\"resource\":";
    out += e.json;
  }

  const request_line r = request_for(e.method, e.version);
  out += ",\"request\":{\"method\":";
  append_json_string(out, r.method);
  out += ",\"url\":";
  append_json_string(out, r.url_has_id ? std::string_view(path) : e.type);
  out += "},\"response\":{\"status\":";
  append_json_string(out, r.status);
  out += ",\"etag\":";
  append_json_string(out, "W/\"" + std::to_string(e.version) + "\"");
  out += ",\"lastModified\":";
  append_json_string(out, format_instant(e.last_updated_micros));
  out += "}}";
}

/// {"resourceType":"Bundle","type":…[,"total":n],"link":[self[,next]] — the
/// caller appends the entries and the closing brace.
std::string open_bundle(std::string_view type, std::string_view self_url,
                        std::string_view next_url, std::optional<std::uint64_t> total,
                        std::string_view previous_url = {}) {
  std::string out = R"({"resourceType":"Bundle","type":)";
  append_json_string(out, type);
  if (total) out += ",\"total\":" + std::to_string(*total);
  out += ",\"link\":[";
  append_link(out, "self", self_url);
  if (!next_url.empty()) {
    out.push_back(',');
    append_link(out, "next", next_url);
  }
  if (!previous_url.empty()) {
    out.push_back(',');
    append_link(out, "previous", previous_url);
  }
  out.push_back(']');
  return out;
}

} // namespace

std::string history_bundle(std::string_view base_url, const std::vector<history_entry>& entries,
                           std::string_view self_url, std::string_view next_url,
                           std::optional<std::uint64_t> total) {
  // A base URL configured with a trailing slash would otherwise give "//".
  if (base_url.ends_with('/')) base_url.remove_suffix(1);
  auto out = open_bundle("history", self_url, next_url, total);
  // FHIR JSON forbids empty arrays, so an empty page has no "entry" at all.
  if (!entries.empty()) {
    out += ",\"entry\":[";
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (i != 0) out.push_back(',');
      append_entry(out, base_url, entries[i]);
    }
    out.push_back(']');
  }
  out.push_back('}');
  return out;
}

std::string searchset_bundle(std::string_view base_url, const std::vector<search_entry>& entries,
                             const page_links& links, std::optional<std::uint64_t> total,
                             std::string_view outcome) {
  if (base_url.ends_with('/')) base_url.remove_suffix(1);
  auto out = open_bundle("searchset", links.self, links.next, total, links.previous);
  if (!entries.empty() || !outcome.empty()) {
    out += ",\"entry\":[";
    bool first = true;
    for (auto& e : entries) {
      if (!std::exchange(first, false)) out.push_back(',');
      out += "{\"fullUrl\":";
      append_json_string(out, std::string(base_url) + "/" + std::string(e.type) + "/" +
                                std::string(e.id));
      out += ",\"resource\":";
      out += e.json;
      out += e.included ? R"(,"search":{"mode":"include"}})" : R"(,"search":{"mode":"match"}})";
    }
    if (!outcome.empty()) {
      if (!first) out.push_back(',');
      out += "{\"resource\":";
      out += outcome;
      out += R"(,"search":{"mode":"outcome"}})";
    }
    out.push_back(']');
  }
  out.push_back('}');
  return out;
}

} // namespace atrium::fhir
