#include "protocols/fhir/primitive_forms.hpp"

#include <array>
#include <utility>

#include "protocols/fhir/ids.hpp"

namespace atrium::fhir {
namespace {

constexpr std::array<std::pair<std::string_view, primitive>, 20> names{{
    {"boolean", primitive::boolean},
    {"integer", primitive::integer},
    {"positiveInt", primitive::positive_int},
    {"unsignedInt", primitive::unsigned_int},
    {"decimal", primitive::decimal},
    {"string", primitive::string},
    {"code", primitive::code},
    {"id", primitive::id},
    {"uri", primitive::uri},
    {"url", primitive::url},
    {"canonical", primitive::canonical},
    {"oid", primitive::oid},
    {"uuid", primitive::uuid},
    {"markdown", primitive::markdown},
    {"base64Binary", primitive::base64_binary},
    {"date", primitive::date},
    {"dateTime", primitive::date_time},
    {"instant", primitive::instant},
    {"time", primitive::time},
    {"xhtml", primitive::xhtml},
}};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at `pos` as a number; -1 when they are not there.
int digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

int days_in_month(int year, int month) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

// YYYY, YYYY-MM or YYYY-MM-DD at the start of `s`; the characters read, 0
// when malformed. `full` asks for the day.
std::size_t read_date(std::string_view s, bool full) {
  const int year = digits(s, 0, 4);
  if (year < 1) return 0;
  if (s.size() == 4 || s[4] != '-') return full ? 0 : 4;
  const int month = digits(s, 5, 2);
  if (month < 1 || month > 12) return 0;
  if (s.size() == 7 || s[7] != '-') return full ? 0 : 7;
  const int day = digits(s, 8, 2);
  if (day < 1 || day > days_in_month(year, month)) return 0;
  return 10;
}

// hh:mm:ss(.f+)? at the start of `s`; the characters read, 0 when malformed.
std::size_t read_time(std::string_view s) {
  if (s.size() < 8) return 0;
  const int h = digits(s, 0, 2), m = digits(s, 3, 2), sec = digits(s, 6, 2);
  if (h < 0 || h > 23 || s[2] != ':' || m < 0 || m > 59 || s[5] != ':' || sec < 0 || sec > 60)
    return 0;
  std::size_t pos = 8;
  if (pos < s.size() && s[pos] == '.') {
    const std::size_t first = ++pos;
    while (pos < s.size() && is_digit(s[pos])) ++pos;
    if (pos == first) return 0;
  }
  return pos;
}

// Z or ±hh:mm (hours to 13, or 14:00) as the whole of `s`.
bool is_zone(std::string_view s) {
  if (s == "Z") return true;
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return false;
  const int h = digits(s, 1, 2), m = digits(s, 4, 2);
  return (h >= 0 && h <= 13 && m >= 0 && m <= 59) || (h == 14 && m == 0);
}

// A date with a time and zone: instant, and dateTime beyond the day.
bool is_full_date_time(std::string_view s) {
  if (read_date(s, true) != 10 || s.size() < 11 || s[10] != 'T') return false;
  const std::size_t t = read_time(s.substr(11));
  return t > 0 && is_zone(s.substr(11 + t));
}

// [^\s]+(\s[^\s]+)*: no leading, trailing or doubled whitespace.
bool is_code(std::string_view s) {
  if (s.empty() || is_space(s.front()) || is_space(s.back())) return false;
  for (std::size_t i = 1; i < s.size(); ++i)
    if (is_space(s[i]) && is_space(s[i - 1])) return false;
  return true;
}

bool has_no_space(std::string_view s) {
  for (char c : s)
    if (is_space(c)) return false;
  return true;
}

// urn:oid:[0-2](\.(0|[1-9][0-9]*))+
bool is_oid(std::string_view s) {
  constexpr std::string_view prefix = "urn:oid:";
  if (!s.starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  if (s.size() < 3 || s[0] < '0' || s[0] > '2' || s[1] != '.') return false;
  std::size_t arcs = 0;
  for (std::size_t pos = 1; pos < s.size();) {
    if (s[pos] != '.' || pos + 1 >= s.size() || !is_digit(s[pos + 1])) return false;
    const std::size_t first = ++pos;
    while (pos < s.size() && is_digit(s[pos])) ++pos;
    if (s[first] == '0' && pos - first > 1) return false;
    ++arcs;
  }
  return arcs > 0;
}

// urn:uuid: and the lowercase 8-4-4-4-12 form.
bool is_uuid(std::string_view s) {
  constexpr std::string_view prefix = "urn:uuid:";
  if (!s.starts_with(prefix) || s.size() != prefix.size() + 36) return false;
  s.remove_prefix(prefix.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!is_digit(c) && (c < 'a' || c > 'f')) {
      return false;
    }
  }
  return true;
}

// Groups of four base64 characters, whitespace between them allowed, '='
// only as the padding of the last group.
bool is_base64(std::string_view s) {
  std::size_t count = 0, padding = 0;
  for (char c : s) {
    if (is_space(c)) continue;
    const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) ||
                        c == '+' || c == '/';
    if (c == '=') {
      ++padding;
    } else if (!letter || padding > 0) {
      return false;
    }
    ++count;
  }
  return count > 0 && count % 4 == 0 && padding <= 2;
}

// The narrative is XHTML in one div of the XHTML namespace
// (narrative.html#xhtml): its opening tag names it. Whether the rest is
// well-formed XHTML is not checked.
bool is_xhtml_div(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  if (!s.starts_with("<div") || s.size() < 5 || !is_space(s[4])) return false;
  // The opening tag ends at the first '>' outside a quoted attribute value.
  std::size_t end = 4;
  for (char quote = 0; end < s.size() && (quote || s[end] != '>'); ++end)
    if (quote ? s[end] == quote : (s[end] == '"' || s[end] == '\''))
      quote = quote ? 0 : s[end];
  const std::string_view tag = s.substr(0, end);
  for (char quote : {'"', '\''}) {
    const std::string attribute = std::string("xmlns=") + quote + "http://www.w3.org/1999/xhtml" + quote;
    if (tag.find(attribute) != std::string_view::npos) return true;
  }
  return false;
}

} // namespace

std::optional<primitive> primitive_named(std::string_view name) {
  for (const auto& [n, p] : names)
    if (n == name) return p;
  return std::nullopt;
}

std::string_view primitive_name(primitive p) {
  for (const auto& [n, q] : names)
    if (q == p) return n;
  return "?";
}

bool is_valid_form(primitive p, std::string_view s) {
  if (s.empty()) return false; // R4 JSON has no empty strings: the element is left out
  switch (p) {
  case primitive::code: return is_code(s);
  case primitive::id: return is_valid_id(s);
  case primitive::uri:
  case primitive::url:
  case primitive::canonical: return has_no_space(s);
  case primitive::oid: return is_oid(s);
  case primitive::uuid: return is_uuid(s);
  case primitive::base64_binary: return is_base64(s);
  case primitive::date: return read_date(s, false) == s.size();
  case primitive::date_time: {
    const std::size_t d = read_date(s, false);
    return (d > 0 && d == s.size()) || is_full_date_time(s);
  }
  case primitive::instant: return is_full_date_time(s);
  case primitive::time: return read_time(s) == s.size();
  case primitive::xhtml: return is_xhtml_div(s);
  default: return true; // string, markdown: any text
  }
}

bool is_in_range(primitive p, std::int64_t v) {
  constexpr std::int64_t max = 2147483647;
  switch (p) {
  case primitive::integer: return v >= -max - 1 && v <= max;
  case primitive::positive_int: return v >= 1 && v <= max;
  case primitive::unsigned_int: return v >= 0 && v <= max;
  default: return false;
  }
}

} // namespace atrium::fhir
