#include "protocols/mgmt/resources.hpp"

#include <array>

#include <simdjson.h>

#include "protocols/fhir/instant.hpp"
#include "protocols/fhir/json_text.hpp"

namespace atrium::mgmt {

namespace {

// Top-level routes of a node; a workspace of that name would shadow them.
constexpr std::array reserved_names{"workspaces", "healthz", "readyz", "metrics",
                                    "well-known", "oauth", "admin"};

bool is_alnum_lower(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

void append_system_data(std::string& out, std::int64_t created, std::int64_t modified) {
  out += R"("systemData":{"createdAt":")";
  out += fhir::format_instant(created);
  out += R"(","lastModifiedAt":")";
  out += fhir::format_instant(modified);
  out += "\"}";
}

} // namespace

status validate_name(std::string_view name, std::string_view what) {
  auto bad = [&](std::string why) {
    return status{errc::invalid,
                  std::string{what} + " name '" + std::string{name} + "' " + why,
                  std::string{what}};
  };
  if (name.size() < 3 || name.size() > 24)
    return bad("must be 3 to 24 characters long");
  for (char c : name)
    if (!is_alnum_lower(c) && c != '-')
      return bad("may only contain lowercase letters, digits and hyphens");
  if (name.front() == '-' || name.back() == '-')
    return bad("must start and end with a letter or digit");
  return status::ok();
}

status validate_workspace_name(std::string_view name) {
  if (auto s = validate_name(name, "workspace"); !s)
    return s;
  for (auto r : reserved_names)
    if (name == r)
      return {errc::invalid, "workspace name '" + std::string{name} + "' is reserved",
              "workspace"};
  return status::ok();
}

result<std::string> parse_properties(std::string_view body) {
  auto blank = body.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (blank)
    return std::string{"{}"};
  simdjson::dom::parser parser;
  simdjson::padded_string padded{body};
  simdjson::dom::element doc;
  if (auto err = parser.parse(padded).get(doc))
    return status{errc::invalid,
                  std::string{"the body is not valid JSON: "} + simdjson::error_message(err),
                  "$"};
  if (!doc.is_object())
    return status{errc::invalid, "the body must be a JSON object", "$"};
  simdjson::dom::element props;
  if (doc["properties"].get(props) != simdjson::SUCCESS)
    return std::string{"{}"};
  if (!props.is_object())
    return status{errc::invalid, "properties must be a JSON object", "properties"};
  return simdjson::minify(props);
}

std::string workspace_json(std::string_view ws, std::string_view properties,
                           std::int64_t created, std::int64_t modified) {
  std::string out = R"({"id":)";
  fhir::append_json_string(out, "/workspaces/" + std::string{ws});
  out += R"(,"name":)";
  fhir::append_json_string(out, ws);
  out += R"(,"type":"workspaces","properties":)";
  out += properties;
  out += ',';
  append_system_data(out, created, modified);
  out += '}';
  return out;
}

std::string service_json(std::string_view ws, std::string_view collection,
                         std::string_view name, std::uint32_t service_id,
                         std::string_view properties, std::int64_t created,
                         std::int64_t modified) {
  std::string out = R"({"id":)";
  fhir::append_json_string(out, "/workspaces/" + std::string{ws} + "/" +
                                  std::string{collection} + "/" + std::string{name});
  out += R"(,"name":)";
  fhir::append_json_string(out, name);
  out += R"(,"type":)";
  fhir::append_json_string(out, collection);
  out += R"(,"serviceId":)";
  out += std::to_string(service_id);
  out += R"(,"serviceUrl":)";
  fhir::append_json_string(out, "/" + std::string{ws} + "/" + std::string{name});
  out += R"(,"properties":)";
  out += properties;
  out += ',';
  append_system_data(out, created, modified);
  out += '}';
  return out;
}

std::string list_json(const std::string* items, std::size_t n) {
  std::string out = R"({"value":[)";
  for (std::size_t i = 0; i < n; ++i) {
    if (i)
      out += ',';
    out += items[i];
  }
  out += "]}";
  return out;
}

result<stored_record> parse_stored(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded{json};
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc))
    return status{errc::internal, "a stored management record is corrupt"};
  stored_record r;
  simdjson::dom::element props;
  if (doc["properties"].get(props) == simdjson::SUCCESS)
    r.properties = simdjson::minify(props);
  std::string_view created;
  if (doc["systemData"]["createdAt"].get(created) == simdjson::SUCCESS)
    r.created = fhir::parse_fhir_datetime(created).value_or(0);
  std::uint64_t id = 0;
  if (doc["serviceId"].get(id) == simdjson::SUCCESS)
    r.service_id = static_cast<std::uint32_t>(id);
  return r;
}

} // namespace atrium::mgmt
