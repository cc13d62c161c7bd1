#include "protocols/fhir/bundle_request.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>

#include <simdjson.h>

#include "protocols/common/base64.hpp"
#include "protocols/fhir/json_text.hpp"
#include "protocols/fhir/link_values.hpp"
#include "protocols/fhir/structure.hpp"
#include "protocols/http/query.hpp"

namespace atrium::fhir {

namespace {

std::string text(simdjson::dom::object o, std::string_view key) {
  std::string_view s;
  return o.at_key(key).get_string().get(s) == simdjson::SUCCESS ? std::string{s} : std::string{};
}

bundle_entry_request entry_of(simdjson::dom::element entry, std::string_view resource) {
  bundle_entry_request out;
  auto refuse = [&](std::string why) {
    out.refused = status{errc::invalid, std::move(why), "Bundle.entry.request"};
    return out;
  };
  simdjson::dom::object e;
  if (entry.get_object().get(e) != simdjson::SUCCESS)
    return refuse("the entry is not an object");
  out.full_url = text(e, "fullUrl");
  out.resource = std::string{resource};
  simdjson::dom::object request;
  if (e["request"].get_object().get(request) != simdjson::SUCCESS)
    return refuse("the entry has no request");
  out.method = text(request, "method");
  out.url = text(request, "url");
  out.if_match = text(request, "ifMatch");
  out.if_none_exist = text(request, "ifNoneExist");
  out.if_none_match = text(request, "ifNoneMatch");
  out.if_modified_since = text(request, "ifModifiedSince");
  // request.method is one of R4's http-verbs: the Bundle's structure check
  // (parse_bundle_request) refuses any other.
  // A scheme in the path makes the URL absolute; in the query it is a
  // search value ("Patient?identifier=http://hospital/mrn|1").
  if (out.url.empty() || out.url.front() == '/' ||
      out.url.substr(0, out.url.find('?')).find("://") != std::string::npos)
    return refuse("request.url must be relative to the service base ('Patient/123'), not '" +
                  out.url + "'");
  return out;
}

/// The resource of each entry of a minified, validated Bundle as written
/// (decimals keep their digits), "" where an entry has none, in entry
/// order. One pass: splitting the Bundle, then its entries, then each entry
/// into members read every resource's bytes three times.
std::vector<std::string_view> entry_resources(std::string_view bundle) {
  std::vector<std::string_view> out;
  auto past_comma = [&](std::size_t pos) {
    return pos < bundle.size() && bundle[pos] == ',' ? pos + 1 : pos;
  };
  // pos at a key's opening quote: the key, and pos moved past its ':'.
  auto take_key = [&](std::size_t& pos) {
    const auto end = json_value_end(bundle, pos);
    const auto key = bundle.substr(pos + 1, end - pos - 2);
    pos = end + 1;
    return key;
  };
  std::size_t pos = 1; // past the Bundle's '{'
  while (pos < bundle.size() && bundle[pos] != '}') {
    if (take_key(pos) != "entry" || bundle[pos] != '[') {
      pos = past_comma(json_value_end(bundle, pos));
      continue;
    }
    for (++pos; pos < bundle.size() && bundle[pos] != ']'; pos = past_comma(pos)) {
      std::string_view resource;
      if (bundle[pos] != '{') { // not an entry: refused by entry_of
        pos = json_value_end(bundle, pos);
      } else {
        for (++pos; pos < bundle.size() && bundle[pos] != '}';) {
          const bool wanted = take_key(pos) == "resource";
          const auto end = json_value_end(bundle, pos);
          if (wanted)
            resource = bundle.substr(pos, end - pos);
          pos = past_comma(end);
        }
        ++pos; // past the entry's '}'
      }
      out.push_back(resource);
    }
    break; // the first "entry", as the parser reads it
  }
  return out;
}

/// The four hex digits at text[pos]; std::nullopt if they are not.
std::optional<std::uint32_t> hex4(std::string_view text, std::size_t pos) {
  if (pos + 4 > text.size()) return std::nullopt;
  std::uint32_t v = 0;
  for (std::size_t k = pos; k < pos + 4; ++k) {
    const char c = text[k];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= static_cast<std::uint32_t>(c - '0');
    else if (c >= 'a' && c <= 'f') v |= static_cast<std::uint32_t>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= static_cast<std::uint32_t>(c - 'A' + 10);
    else return std::nullopt;
  }
  return v;
}

/// The JSON string starting at text[pos] (after its opening quote) decoded,
/// and where it ends (at its closing quote): a view of the text itself when
/// it has no escapes (most), else decoded into `decoded`. The text was
/// validated by a parser, so every escape is well formed.
std::string_view string_at(std::string_view text, std::size_t pos, std::size_t& end,
                           std::string& decoded) {
  // The closing quote, then a backslash before it: two memchr calls, where
  // find_first_of("\\\"") calls memchr over its set once per byte.
  const auto rest = text.substr(std::min(pos, text.size()));
  const auto* quote = static_cast<const char*>(std::memchr(rest.data(), '"', rest.size()));
  if (quote != nullptr && std::memchr(rest.data(), '\\', quote - rest.data()) == nullptr) {
    end = pos + (quote - rest.data());
    return text.substr(pos, end - pos);
  }
  decoded.clear();
  std::string& out = decoded;
  std::size_t i = pos;
  for (; i < text.size() && text[i] != '"'; ++i) {
    if (text[i] != '\\') {
      out.push_back(text[i]);
      continue;
    }
    const char esc = text[++i];
    switch (esc) {
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        auto cp = hex4(text, i + 1).value_or(0xFFFD);
        i += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && i + 2 < text.size() && text[i + 1] == '\\' &&
            text[i + 2] == 'u') { // a surrogate pair
          auto low = hex4(text, i + 3).value_or(0);
          if (low >= 0xDC00 && low < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            i += 6;
          }
        }
        append_utf8(out, cp);
        break;
      }
      default: out.push_back(esc); // " \ /
    }
  }
  end = i;
  return decoded;
}

} // namespace

bool bundle_entry_request::is_conditional() const {
  if (!if_none_exist.empty()) return true;
  return (method == "PUT" || method == "PATCH" || method == "DELETE") &&
         url.find('?') != std::string::npos;
}

std::string bundle_entry_request::criteria_key() const {
  if (!is_conditional())
    return {};
  const auto q = url.find('?');
  const auto type = std::string_view{url}.substr(0, std::min(q, url.find('/')));
  return criteria_lock_key(type, if_none_exist.empty() ? std::string_view{url}.substr(q + 1)
                                                       : std::string_view{if_none_exist});
}

std::string criteria_lock_key(std::string_view type, std::string_view query) {
  auto params = http::parse_query(query);
  if (!params) // malformed: the search refuses it; any key will do
    return std::string{type} + "?" + std::string{query};
  std::sort(params->begin(), params->end());
  std::string key{type};
  key += '?';
  for (auto& [name, value] : *params) {
    if (key.back() != '?')
      key += '&';
    key += http::percent_encode(name);
    key += '=';
    key += http::percent_encode(value);
  }
  return key;
}

result<bundle_request> parse_bundle_request(std::string_view body, std::size_t max_entries) {
  // Resources are spliced from minified text (entry_resources needs it),
  // written into a buffer not zero-filled first (minify writes the text,
  // memset the padding simdjson needs after it), which the parser then reads
  // in place.
  auto minified = std::make_unique_for_overwrite<char[]>(body.size() + simdjson::SIMDJSON_PADDING);
  std::size_t length = 0;
  if (simdjson::minify(body.data(), body.size(), minified.get(), length) != simdjson::SUCCESS)
    return status{errc::invalid, "the body is not JSON"};
  std::memset(minified.get() + length, 0, simdjson::SIMDJSON_PADDING);
  const std::string_view text(minified.get(), length);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size(), /*realloc_if_needed=*/false).get(root) !=
      simdjson::SUCCESS)
    return status{errc::invalid, "the body is not JSON"};
  std::string_view resource_type;
  if (root["resourceType"].get_string().get(resource_type) != simdjson::SUCCESS ||
      resource_type != "Bundle")
    return status{errc::invalid, "POST to the service base takes a Bundle", "resourceType"};
  simdjson::dom::array entries;
  const bool has_entries = root["entry"].get_array().get(entries) == simdjson::SUCCESS;
  if (has_entries && entries.size() > max_entries) // before any walk of them
    return status{errc::invalid,
                  "a Bundle holds at most " + std::to_string(max_entries) + " entries, not " +
                    std::to_string(entries.size()),
                  "Bundle.entry"};
  bundle_request out;
  std::string_view type;
  if (root["type"].get_string().get(type) == simdjson::SUCCESS)
    out.type = std::string{type};
  // The Bundle itself; its entries' resources are checked as each is
  // written (prepare_resource). A transaction fails whole on any entry; a
  // batch's entries are independent, so one malformed entry fails alone.
  const auto bundle = root.get_object().value_unsafe();
  const bool batch = out.type == "batch" && (has_entries || bundle["entry"].error());
  if (auto s = batch ? check_bundle_without_entries(bundle)
                     : check_structure(bundle, "Bundle", nested_resources::left_to_caller);
      !s)
    return s;
  if (!has_entries)
    return out;
  if (batch && entries.size() == 0)
    return status{errc::invalid, "Bundle.entry is an empty array; R4 JSON leaves absent elements out",
                  "Bundle.entry"};
  const auto resources = entry_resources(text);
  out.entries.reserve(entries.size());
  std::size_t i = 0;
  for (auto e : entries) {
    out.entries.push_back(entry_of(e, i < resources.size() ? resources[i] : std::string_view{}));
    simdjson::dom::object entry;
    if (batch && !out.entries.back().refused && !e.get_object().get(entry))
      if (auto s = check_bundle_entry(entry, i); !s)
        out.entries.back().refused = s;
    ++i;
  }
  return out;
}

result<entry_patch> patch_of(const bundle_entry_request& entry) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view type, content_type, data;
  if (entry.resource.empty() || parser.parse(entry.resource).get(root) != simdjson::SUCCESS ||
      root["resourceType"].get_string().get(type) != simdjson::SUCCESS)
    return status{errc::invalid,
                  "a PATCH entry carries its patch as a Binary (JSON Patch) or a Parameters "
                  "(FHIRPath Patch) resource",
                  "Bundle.entry.resource"};
  if (type == "Parameters")
    return entry_patch{"application/fhir+json", entry.resource};
  if (type != "Binary")
    return status{errc::invalid, "a PATCH entry's resource is a Binary or a Parameters, not " +
                                   std::string{type},
                  "Bundle.entry.resource"};
  if (root["contentType"].get_string().get(content_type) != simdjson::SUCCESS ||
      !content_type.starts_with("application/json-patch+json"))
    return status{errc::unsupported_media,
                  "a Binary patch must have contentType application/json-patch+json",
                  "Bundle.entry.resource.contentType"};
  if (root["data"].get_string().get(data) != simdjson::SUCCESS)
    return status{errc::invalid, "the Binary patch has no data", "Bundle.entry.resource.data"};
  auto decoded = decode_base64(data);
  if (!decoded)
    return status{errc::invalid, "the Binary patch's data is not base64",
                  "Bundle.entry.resource.data"};
  return entry_patch{"application/json-patch+json", std::move(*decoded)};
}

namespace {

/// Whether `value` (a string's content at text[at…]) is where `links`
/// says a link of `kind` is: a string's content begins there, a narrative
/// holds its attribute anywhere inside.
bool is_link_at(const std::vector<link_value>& links, std::size_t at, link_kind kind) {
  for (const auto& l : links)
    if (l.kind == kind && (kind == link_kind::narrative ? l.begin <= at && at < l.end : l.begin == at))
      return true;
  return false;
}

/// Whether `resource` is or may hold a Bundle (whose entries link among
/// themselves): its text names one, or has escapes that could spell one.
bool holds_bundle(std::string_view resource, std::string_view type) {
  return type == "Bundle" || resource.find("\"resourceType\":\"Bundle\"") != std::string_view::npos ||
         resource.find("\\u") != std::string_view::npos;
}

/// Where the values of the Reference.reference strings of `resource` begin.
std::vector<std::size_t> reference_starts(std::string_view resource, std::string_view type) {
  std::vector<std::size_t> starts;
  if (!type.empty() && holds_bundle(resource, type)) {
    for (const auto& l : link_values(resource, type))
      if (l.kind == link_kind::reference) starts.push_back(l.begin);
    return starts;
  }
  // In valid minified JSON, `"reference":"` preceded by '{' or ',' is always
  // the key "reference" with a string value: inside a string every quote is
  // escaped, so neither `{"` nor `,"` occurs there.
  static constexpr std::string_view key = "\"reference\":\"";
  for (std::size_t at = resource.find(key); at != std::string_view::npos;
       at = resource.find(key, at + key.size()))
    if (at != 0 && (resource[at - 1] == '{' || resource[at - 1] == ','))
      starts.push_back(at + key.size());
  return starts;
}

} // namespace

void rewrite_urns(std::string& resource_text, std::string_view type, const urn_mapper& map) {
  static constexpr std::string_view urn = "urn:";
  const std::string_view resource = resource_text;
  std::string out;
  std::string decoded;
  std::size_t copied = 0;
  // Found by R4's types once a urn maps, which few resources hold.
  std::optional<std::vector<link_value>> links;
  for (std::size_t at = resource.find(urn); at != std::string_view::npos;
       at = resource.find(urn, at + urn.size())) {
    std::size_t end = std::string_view::npos;
    std::string_view value;
    link_kind kind = link_kind::uri;
    if (at >= 2 && resource[at - 1] == '"' &&
        (resource[at - 2] == ':' || resource[at - 2] == '[' || resource[at - 2] == ',')) {
      // A string value starting here (keys follow '{' or ',' and are never
      // urns in FHIR); decoded, and mapped only if it is the urn whole.
      value = string_at(resource, at, end, decoded);
    } else if (at >= 3 && resource.substr(at - 3, 3) == "=\\\"") {
      // An attribute inside narrative XHTML: href=\"urn:…\" in JSON text.
      end = resource.find("\\\"", at);
      if (end == std::string_view::npos) continue;
      value = resource.substr(at, end - at);
      kind = link_kind::narrative;
    } else {
      continue;
    }
    auto mapped = map(value);
    if (!mapped) continue;
    if (!type.empty()) {
      if (!links) links = link_values(resource, type);
      if (!is_link_at(*links, at, kind)) continue;
    }
    out.append(resource.substr(copied, at - copied));
    std::string escaped;
    append_json_string(escaped, *mapped);
    out.append(escaped.substr(1, escaped.size() - 2)); // without its quotes
    copied = end;
    at = end - urn.size();
  }
  if (copied == 0)
    return; // nothing mapped: the text stays as it is, not copied
  out.append(resource.substr(copied));
  resource_text = std::move(out);
}

void for_each_reference(std::string_view resource, std::string_view type,
                        const std::function<void(std::string_view reference)>& visit) {
  std::string decoded;
  for (const auto start : reference_starts(resource, type)) {
    std::size_t end = start;
    visit(string_at(resource, start, end, decoded));
  }
}

result<std::string> rewrite_references(std::string_view resource, std::string_view type,
                                       const reference_mapper& map) {
  std::string out;
  std::string decoded;
  std::size_t copied = 0;
  for (const auto start : reference_starts(resource, type)) {
    std::size_t end = start;
    auto value = string_at(resource, start, end, decoded);
    auto mapped = map(value);
    if (!mapped)
      return mapped.error();
    if (!*mapped)
      continue;
    out.append(resource.substr(copied, start - 1 - copied));
    append_json_string(out, **mapped);
    copied = end + 1;
  }
  if (copied == 0)
    return std::string{resource};
  out.append(resource.substr(copied));
  return out;
}

} // namespace atrium::fhir
