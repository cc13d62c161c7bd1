#include "protocols/http/query.hpp"

#include <algorithm>

namespace atrium::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Calls f(piece) for each non-empty piece of s between separators.
template <class F>
void for_each_piece(std::string_view s, char separator, F&& f) {
  while (!s.empty()) {
    const std::size_t end = s.find(separator);
    const std::string_view piece = s.substr(0, end);
    if (!piece.empty()) f(piece);
    if (end == std::string_view::npos) break;
    s.remove_prefix(end + 1);
  }
}

} // namespace

std::optional<std::string> percent_decode(std::string_view s, bool form) {
  // Most paths and values carry no escape: copy them whole. (Not
  // find_first_of: it calls memchr over its set once per byte.)
  const bool escaped = s.find('%') != std::string_view::npos ||
                       (form && s.find('+') != std::string_view::npos);
  if (!escaped)
    return std::string{s};
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int high = hex_value(s[i + 1]);
      const int low = hex_value(s[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && form) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<query_params> parse_query(std::string_view query) {
  query_params params;
  bool malformed = false;
  for_each_piece(query, '&', [&](std::string_view piece) {
    const std::size_t equals = piece.find('=');
    auto key = percent_decode(piece.substr(0, equals), true);
    auto value = equals == std::string_view::npos
                     ? std::optional<std::string>(std::string())
                     : percent_decode(piece.substr(equals + 1), true);
    if (!key || !value) {
      malformed = true;
      return;
    }
    params.emplace_back(std::move(*key), std::move(*value));
  });
  if (malformed) return std::nullopt;
  return params;
}

std::optional<std::string_view> find_param(const query_params& q, std::string_view key) {
  for (const auto& [k, v] : q)
    if (k == key) return std::string_view(v);
  return std::nullopt;
}

bool equals_nocase(std::string_view a, std::string_view b) noexcept {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

std::optional<bool> parse_bool(std::string_view value) noexcept {
  if (equals_nocase(value, "true"))
    return true;
  if (equals_nocase(value, "false"))
    return false;
  return std::nullopt;
}

std::optional<std::string_view> find_param_nocase(const query_params& q, std::string_view key) {
  for (const auto& [k, v] : q)
    if (equals_nocase(k, key))
      return std::string_view(v);
  return std::nullopt;
}

std::string without_param(std::string_view query, std::string_view key) {
  std::string out;
  for_each_piece(query, '&', [&](std::string_view piece) {
    if (piece.substr(0, piece.find('=')) == key) return;
    if (!out.empty()) out += '&';
    out += piece;
  });
  return out;
}

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return {target, {}};
  return {target.substr(0, question), target.substr(question + 1)};
}

std::optional<std::vector<std::string>> split_path(std::string_view path) {
  std::vector<std::string> segments;
  segments.reserve(6); // {ws}/{service}/{type}/{id}/_history/{vid}: one allocation
  bool malformed = false;
  // '+' is literal in a path; only query strings use it for a space.
  for_each_piece(path, '/', [&](std::string_view piece) {
    auto segment = percent_decode(piece, false);
    if (!segment) {
      malformed = true;
      return;
    }
    segments.push_back(std::move(*segment));
  });
  if (malformed) return std::nullopt;
  return segments;
}

std::string percent_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                      (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

} // namespace atrium::http
