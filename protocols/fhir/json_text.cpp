#include "protocols/fhir/json_text.hpp"

#include <array>
#include <cstring>

namespace atrium::fhir {

namespace {

/// The bytes a JSON string cannot hold as they are: '"', '\\' and controls.
constexpr auto escaped_bytes = [] {
  std::array<bool, 256> table{};
  for (int b = 0; b < 0x20; ++b) table[b] = true;
  table['"'] = table['\\'] = true;
  return table;
}();

} // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  // Runs of bytes that need no escape (nearly all; UTF-8 sequences pass
  // through unchanged) are appended whole: byte by byte, this was ~3% of a
  // transaction's instructions.
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto byte = static_cast<unsigned char>(s[i]);
    if (!escaped_bytes[byte])
      continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (byte) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out.push_back(hex[byte >> 4]);
        out.push_back(hex[byte & 0xF]);
    }
  }
  out.append(s.data() + run, s.size() - run);
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

} // namespace

// Only strings and nesting need tracking: the JSON is minified and valid.
std::size_t json_value_end(std::string_view text, std::size_t pos) {
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

std::vector<raw_member> raw_members(std::string_view object) {
  std::vector<raw_member> members;
  members.reserve(16); // most objects have fewer: one allocation, not one per doubling
  std::size_t pos = 1; // after '{'
  while (pos < object.size() && object[pos] != '}') {
    const std::size_t key_end = json_value_end(object, pos);
    raw_member m;
    if (key_end >= pos + 2) m.key = object.substr(pos + 1, key_end - pos - 2);
    pos = key_end + 1; // past the key and its ':'
    const std::size_t end = json_value_end(object, pos);
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
    const std::size_t end = json_value_end(array, pos);
    elements.push_back(array.substr(pos, end - pos));
    pos = end < array.size() && array[end] == ',' ? end + 1 : end;
  }
  return elements;
}

} // namespace atrium::fhir
