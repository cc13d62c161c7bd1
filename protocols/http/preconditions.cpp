#include "protocols/http/preconditions.hpp"

namespace atrium::http {

namespace {

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view opaque(std::string_view tag) {
  return tag.starts_with("W/") ? tag.substr(2) : tag;
}

} // namespace

bool none_match_names(std::string_view header, std::string_view etag) {
  // Entity tags are quoted and hold no comma, so the list splits at commas.
  while (!header.empty()) {
    const auto comma = header.find(',');
    const auto item = trimmed(header.substr(0, comma));
    if (item == "*" || (!item.empty() && opaque(item) == opaque(etag)))
      return true;
    if (comma == std::string_view::npos)
      break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

} // namespace atrium::http
