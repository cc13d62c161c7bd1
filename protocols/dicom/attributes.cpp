// DICOM JSON helpers that need no DCMTK.
#include <simdjson.h>

#include "protocols/dicom/instance.hpp"
#include "protocols/dicom/levels.hpp"

namespace atrium::dicom {

bool is_valid_uid(std::string_view uid) noexcept {
  if (uid.empty() || uid.size() > 64)
    return false;
  for (char c : uid)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '.' ||
          c == '-'))
      return false;
  return true;
}

std::string dataset_json(const std::vector<attribute>& attributes) {
  std::string out = "{";
  for (auto& a : attributes) {
    if (out.size() > 1)
      out += ',';
    out += '"';
    out += tag_key(a.tag);
    out += "\":";
    out += a.json;
  }
  out += '}';
  return out;
}

std::string first_value_text(const attribute& a) {
  simdjson::dom::parser parser;
  simdjson::dom::element value;
  if (parser.parse(a.json.data(), a.json.size()).at_pointer("/Value/0").get(value))
    return {};
  std::string_view s;
  if (!value.get(s))
    return std::string{s};
  std::int64_t i = 0;
  if (!value.get(i))
    return std::to_string(i);
  std::uint64_t u = 0;
  if (!value.get(u))
    return std::to_string(u);
  double d = 0;
  if (!value.get(d)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    return buf;
  }
  if (!value["Alphabetic"].get(s))
    return std::string{s};
  return {};
}

} // namespace atrium::dicom
