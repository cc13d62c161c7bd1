#include "protocols/http/media.hpp"

#include <initializer_list>

#include "protocols/http/query.hpp"

namespace atrium::http {
namespace {

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

bool is_one_of(std::string_view s, std::initializer_list<std::string_view> names) {
  for (auto name : names)
    if (equals_nocase(s, name)) return true;
  return false;
}

// One element of Accept or a Content-Type: "type/subtype; name=value; ...".
struct media_range {
  std::string_view type;
  bool refused = false; // q=0: the client explicitly does not want it
  std::string_view fhir_version;
  std::string_view charset;
};

media_range parse_range(std::string_view text) {
  media_range range;
  std::size_t semicolon = text.find(';');
  range.type = trim(text.substr(0, semicolon));
  while (semicolon != std::string_view::npos) {
    text.remove_prefix(semicolon + 1);
    semicolon = text.find(';');
    const std::string_view param = text.substr(0, semicolon);
    const std::size_t equals = param.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view name = trim(param.substr(0, equals));
    std::string_view value = trim(param.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    if (equals_nocase(name, "q")) {
      range.refused = !value.empty() && value.find_first_not_of("0.") == std::string_view::npos;
    } else if (equals_nocase(name, "fhirVersion")) {
      range.fhir_version = value;
    } else if (equals_nocase(name, "charset")) {
      range.charset = value;
    }
  }
  return range;
}

bool is_json_type(std::string_view type) {
  return is_one_of(type, {"application/json", "application/fhir+json"});
}

bool is_xml_type(std::string_view type) {
  return is_one_of(type, {"application/xml", "text/xml", "application/fhir+xml"});
}

// We serve R4 only; a range that names another FHIR version cannot be met.
bool serves_version(std::string_view fhir_version) {
  return fhir_version.empty() || fhir_version == "4.0" || fhir_version.starts_with("4.0.");
}

fhir_format from_format_param(std::string_view value) {
  const std::string_view type = trim(value.substr(0, value.find(';')));
  // An unencoded '+' in a query string arrives as a space.
  if (is_json_type(type) || is_one_of(type, {"json", "application/fhir json"}))
    return fhir_format::json;
  if (is_xml_type(type) || is_one_of(type, {"xml", "application/fhir xml"}))
    return fhir_format::xml;
  return fhir_format::other;
}

} // namespace

fhir_format negotiate(std::optional<std::string_view> format_param,
                      std::optional<std::string_view> accept) {
  if (format_param && !trim(*format_param).empty()) return from_format_param(*format_param);
  if (!accept || trim(*accept).empty()) return fhir_format::json;

  // Only JSON is produced, so any acceptable JSON range settles it whatever
  // its q-value relative to the others.
  bool wants_xml = false;
  std::string_view rest = *accept;
  while (true) {
    const std::size_t comma = rest.find(',');
    const media_range range = parse_range(rest.substr(0, comma));
    if (!range.refused && serves_version(range.fhir_version)) {
      if (is_json_type(range.type) || is_one_of(range.type, {"*/*", "application/*"}))
        return fhir_format::json;
      if (is_xml_type(range.type)) wants_xml = true;
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return wants_xml ? fhir_format::xml : fhir_format::other;
}

bool is_fhir_json_content_type(std::string_view content_type) {
  const media_range range = parse_range(content_type);
  return is_json_type(range.type) && (range.charset.empty() || equals_nocase(range.charset, "utf-8"));
}

} // namespace atrium::http
