#include "protocols/fhir/resource_json.hpp"

#include <algorithm>
#include <vector>

#include <simdjson.h>

#include "protocols/fhir/ids.hpp"
#include "protocols/fhir/json_kinds.hpp"
#include "protocols/fhir/instant.hpp"
#include "protocols/fhir/json_text.hpp"
#include "protocols/fhir/structure.hpp"

namespace atrium::fhir {
namespace {

constexpr std::string_view between_version_and_time = "\",\"lastUpdated\":\"";
constexpr std::string_view id_pattern = " is not a valid FHIR id ([A-Za-z0-9-.]{1,64})";

status invalid(std::string message, std::string where) {
  return {errc::invalid, std::move(message), std::move(where)};
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

struct member {
  std::string_view key; // decoded
  simdjson::dom::element value;
  std::string_view raw; // minified text of the value
};

// Pairs the DOM's members with their raw text and refuses repeated keys,
// which JSON leaves undefined and which would otherwise be stored twice.
result<std::vector<member>> members_of(simdjson::dom::object object, std::string_view raw,
                                       const std::string& path) {
  const auto raw_values = raw_members(raw);
  std::vector<member> members;
  members.reserve(raw_values.size());
  for (auto field : object) members.push_back({field.key, field.value, {}});
  if (members.size() != raw_values.size())
    return status{errc::internal, "could not split the minified body", path};

  std::vector<std::string_view> keys;
  keys.reserve(members.size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    members[i].raw = raw_values[i].value;
    keys.push_back(members[i].key);
  }
  std::sort(keys.begin(), keys.end());
  const auto twice = std::adjacent_find(keys.begin(), keys.end());
  if (twice != keys.end())
    return invalid(path + " has the member " + quoted(*twice) + " more than once",
                   path + "." + std::string(*twice));
  return members;
}

const member* find(const std::vector<member>& members, std::string_view key) {
  for (const auto& m : members)
    if (m.key == key) return &m;
  return nullptr;
}

void append_member(std::string& out, const member& m) {
  out.push_back(',');
  append_json_string(out, m.key);
  out.push_back(':');
  out += m.raw;
}

status check_body_id(const std::vector<member>& members, const std::string& type,
                     std::string_view url_id) {
  const std::string where = type + ".id";
  const member* id = find(members, "id");
  if (id == nullptr) return invalid("a resource for update must carry an id", where);
  std::string_view body_id;
  if (id->value.get(body_id)) return invalid(where + " must be a string", where);
  if (!is_valid_id(body_id))
    return invalid("id " + quoted(body_id) + std::string(id_pattern), where);
  if (body_id != url_id)
    return invalid("the body's id " + quoted(body_id) + " does not match the URL's id " +
                       quoted(url_id), where);
  return status::ok();
}

} // namespace

result<resource_template> prepare_resource(std::string_view body, std::string_view url_type,
                                           std::string_view id, id_rule rule,
                                           const document_reader& read_also) {
  const std::string type(url_type);
  if (!is_valid_id(id))
    return invalid("the URL's id " + quoted(id) + std::string(id_pattern), type + ".id");
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return invalid("the body is empty", "$");

  // The parser keeps its buffers between requests on the same thread.
  thread_local simdjson::dom::parser parser;
  const simdjson::padded_string padded(body);
  simdjson::dom::element document;
  if (auto error = parser.parse(padded).get(document)) {
    if (error == simdjson::UTF8_ERROR) return invalid("the body is not valid UTF-8", "$");
    if (error == simdjson::NUMBER_ERROR)
      return invalid("the body has a number this server cannot hold (beyond a 64-bit integer "
                     "or a double's range)",
                     "$");
    return invalid(std::string("the body is not valid JSON: ") + simdjson::error_message(error),
                   "$");
  }
  simdjson::dom::object root;
  if (document.get(root))
    return invalid(std::string("the body must be a JSON object, not ") + describe_json(document.type()),
                   "$");
  std::string minified(padded.size(), '\0');
  std::size_t minified_size = 0;
  if (simdjson::minify(padded.data(), padded.size(), minified.data(), minified_size))
    return status{errc::internal, "could not minify the body", "$"};
  minified.resize(minified_size);

  auto top = members_of(root, minified, type);
  if (!top) return top.error();

  const member* resource_type = find(*top, "resourceType");
  if (resource_type == nullptr) return invalid("the resource has no resourceType", "resourceType");
  std::string_view body_type;
  if (resource_type->value.get(body_type))
    return invalid("resourceType must be a string", "resourceType");
  if (body_type != url_type)
    return invalid("resourceType " + quoted(body_type) + " does not match the URL's type " +
                       quoted(url_type), "resourceType");

  if (rule == id_rule::must_match) {
    if (auto s = check_body_id(*top, type, id); !s) return s;
  }

  std::vector<member> meta_fields;
  if (const member* meta = find(*top, "meta")) {
    simdjson::dom::object meta_object;
    if (meta->value.get(meta_object))
      return invalid(type + ".meta must be an object", type + ".meta");
    auto fields = members_of(meta_object, meta->raw, type + ".meta");
    if (!fields) return fields.error();
    meta_fields = std::move(*fields);
  }
  if (auto s = check_structure(root, url_type); !s) return s;

  resource_template t{type, std::string(id), {}, {}};
  t.head = "{\"resourceType\":";
  append_json_string(t.head, url_type);
  t.head += ",\"id\":";
  append_json_string(t.head, id);
  t.head += ",\"meta\":{\"versionId\":\"";

  t.tail.reserve(minified.size() + 2);
  t.tail = "\"";
  for (const auto& field : meta_fields)
    if (field.key != "versionId" && field.key != "lastUpdated") append_member(t.tail, field);
  t.tail.push_back('}');
  for (const auto& field : *top)
    if (field.key != "resourceType" && field.key != "id" && field.key != "meta")
      append_member(t.tail, field);
  t.tail.push_back('}');
  if (read_also)
    if (auto s = read_also(document); !s) return s;
  return t;
}

std::string render_resource(const resource_template& t, std::uint64_t version,
                            std::int64_t last_updated_micros) {
  const std::string version_text = std::to_string(version);
  const std::string time_text = format_instant(last_updated_micros);
  std::string out;
  out.reserve(t.head.size() + version_text.size() + between_version_and_time.size() +
              time_text.size() + t.tail.size());
  out += t.head;
  out += version_text;
  out += between_version_and_time;
  out += time_text;
  out += t.tail;
  return out;
}

} // namespace atrium::fhir
