#include "protocols/fhir/json_text.hpp"

#include <cstring>

namespace atrium::fhir {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  for (char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte < 0x20) {
          out += "\\u00";
          out.push_back(hex[byte >> 4]);
          out.push_back(hex[byte & 0xF]);
        } else {
          out.push_back(c); // UTF-8 sequences pass through unchanged
        }
    }
  }
  out.push_back('"');
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

namespace {

/// The closing quote of the string whose opening quote is text[open] (or
/// text.size() when there is none). memchr finds each candidate quote (most
/// of a resource's bytes are inside strings, so this is where a scan spends
/// its time); a quote after an odd run of backslashes is escaped.
std::size_t closing_quote(std::string_view text, std::size_t open) {
  for (std::size_t from = open + 1; from < text.size();) {
    const auto* q = static_cast<const char*>(std::memchr(text.data() + from, '"', text.size() - from));
    if (q == nullptr) break;
    const auto at = static_cast<std::size_t>(q - text.data());
    std::size_t slashes = 0;
    while (at - slashes > open + 1 && text[at - 1 - slashes] == '\\') ++slashes;
    if (slashes % 2 == 0) return at;
    from = at + 1;
  }
  return text.size();
}

// Where the value starting at text[pos] ends, in validated minified JSON (so
// only strings and nesting need tracking).
std::size_t value_end(std::string_view text, std::size_t pos) {
  int depth = 0;
  for (std::size_t i = pos; i < text.size(); ++i) {
    switch (text[i]) {
      case '"':
        i = closing_quote(text, i);
        if (i >= text.size()) return text.size();
        if (depth == 0) return i + 1;
        break;
      case '{':
      case '[': ++depth; break;
      case '}':
      case ']':
        if (depth == 0) return i; // end of the enclosing container
        if (--depth == 0) return i + 1;
        break;
      case ',':
        if (depth == 0) return i;
        break;
      default: break;
    }
  }
  return text.size();
}

} // namespace

std::vector<raw_member> raw_members(std::string_view object) {
  std::vector<raw_member> members;
  members.reserve(16); // most objects have fewer: one allocation, not one per doubling
  std::size_t pos = 1; // after '{'
  while (pos < object.size() && object[pos] != '}') {
    const std::size_t key_end = value_end(object, pos);
    raw_member m;
    if (key_end >= pos + 2) m.key = object.substr(pos + 1, key_end - pos - 2);
    pos = key_end + 1; // past the key and its ':'
    const std::size_t end = value_end(object, pos);
    m.value = object.substr(pos, end - pos);
    members.push_back(m);
    pos = end < object.size() && object[end] == ',' ? end + 1 : end;
  }
  return members;
}

std::vector<std::string_view> raw_elements(std::string_view array) {
  std::vector<std::string_view> elements;
  std::size_t pos = 1; // after '['
  while (pos < array.size() && array[pos] != ']') {
    const std::size_t end = value_end(array, pos);
    elements.push_back(array.substr(pos, end - pos));
    pos = end < array.size() && array[end] == ',' ? end + 1 : end;
  }
  return elements;
}

} // namespace atrium::fhir
