#include "protocols/fhir/fhirpath/lexer.hpp"

namespace atrium::fhir::fhirpath {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c); }

status error_at(std::size_t pos, std::string message) {
  return status(errc::invalid, std::move(message), "offset " + std::to_string(pos));
}

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Reads a quoted text starting at s[i] == quote; leaves i after the closing quote.
result<std::string> quoted(std::string_view s, std::size_t& i) {
  const char quote = s[i];
  const std::size_t start = i++;
  std::string out;
  while (i < s.size() && s[i] != quote) {
    char c = s[i++];
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i >= s.size()) break;
    c = s[i++];
    switch (c) {
    case '\'': case '"': case '`': case '\\': case '/': out += c; break;
    case 'f': out += '\f'; break;
    case 'n': out += '\n'; break;
    case 'r': out += '\r'; break;
    case 't': out += '\t'; break;
    case 'u': {
      if (i + 4 > s.size()) return error_at(i, "incomplete \\u escape");
      unsigned cp = 0;
      for (int k = 0; k < 4; ++k) {
        const char h = s[i++];
        cp <<= 4;
        if (is_digit(h)) cp |= static_cast<unsigned>(h - '0');
        else if (h >= 'a' && h <= 'f') cp |= static_cast<unsigned>(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F') cp |= static_cast<unsigned>(h - 'A' + 10);
        else return error_at(i - 1, "bad hex digit in \\u escape");
      }
      append_utf8(out, cp);
      break;
    }
    default: return error_at(i - 1, std::string("unknown escape \\") + c);
    }
  }
  if (i >= s.size()) return error_at(start, "unterminated quoted text");
  ++i;
  return out;
}

// A date/time literal after '@': the longest prefix shaped like one. The
// parser validates it as a date, dateTime or time.
token temporal_literal(std::string_view s, std::size_t& i, std::size_t pos) {
  token t;
  t.pos = pos;
  auto take_digits = [&](std::size_t n) {
    std::size_t k = 0;
    while (k < n && i + k < s.size() && is_digit(s[i + k])) ++k;
    if (k != n) return false;
    i += n;
    return true;
  };
  auto time_part = [&] {
    if (!take_digits(2)) return;
    if (i + 2 < s.size() && s[i] == ':' && is_digit(s[i + 1])) {
      ++i;
      if (!take_digits(2)) return;
      if (i + 2 < s.size() && s[i] == ':' && is_digit(s[i + 1])) {
        ++i;
        if (!take_digits(2)) return;
        if (i + 1 < s.size() && s[i] == '.' && is_digit(s[i + 1])) {
          ++i;
          while (i < s.size() && is_digit(s[i])) ++i;
        }
      }
    }
  };
  const std::size_t start = i;
  if (i < s.size() && s[i] == 'T') {
    ++i;
    time_part();
    t.kind = token_kind::time;
    t.text = std::string(s.substr(start + 1, i - start - 1));
    return t;
  }
  take_digits(4);
  if (i + 2 < s.size() && s[i] == '-' && is_digit(s[i + 1])) {
    ++i;
    take_digits(2);
    if (i + 2 < s.size() && s[i] == '-' && is_digit(s[i + 1])) {
      ++i;
      take_digits(2);
    }
  }
  t.kind = token_kind::date;
  if (i < s.size() && s[i] == 'T') {
    ++i;
    t.kind = token_kind::datetime;
    time_part();
    if (i < s.size() && s[i] == 'Z') {
      ++i;
    } else if (i + 5 < s.size() && (s[i] == '+' || s[i] == '-') && is_digit(s[i + 1]) &&
               is_digit(s[i + 2]) && s[i + 3] == ':') {
      i += 4;
      take_digits(2);
    }
  }
  t.text = std::string(s.substr(start, i - start));
  return t;
}

} // namespace

result<std::vector<token>> tokenize(std::string_view s) {
  std::vector<token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      const auto end = s.find("*/", i + 2);
      if (end == std::string_view::npos) return error_at(i, "unterminated comment");
      i = end + 2;
      continue;
    }
    token t;
    t.pos = i;
    if (is_ident_start(c)) {
      const std::size_t start = i;
      while (i < s.size() && is_ident_char(s[i])) ++i;
      t.kind = token_kind::identifier;
      t.text = std::string(s.substr(start, i - start));
    } else if (is_digit(c)) {
      const std::size_t start = i;
      while (i < s.size() && is_digit(s[i])) ++i;
      if (i + 1 < s.size() && s[i] == '.' && is_digit(s[i + 1])) {
        ++i;
        while (i < s.size() && is_digit(s[i])) ++i;
      }
      t.kind = token_kind::number;
      t.text = std::string(s.substr(start, i - start));
    } else if (c == '\'' || c == '`') {
      auto text = quoted(s, i);
      if (!text) return text.error();
      t.kind = c == '\'' ? token_kind::string : token_kind::delimited_identifier;
      t.text = std::move(*text);
    } else if (c == '@') {
      ++i;
      t = temporal_literal(s, i, t.pos);
    } else if (c == '$') {
      const std::size_t start = ++i;
      while (i < s.size() && is_ident_char(s[i])) ++i;
      const std::string_view name = s.substr(start, i - start);
      if (name == "this") t.kind = token_kind::this_;
      else if (name == "index") t.kind = token_kind::index;
      else if (name == "total") t.kind = token_kind::total;
      else return error_at(t.pos, "unknown special variable $" + std::string(name));
      t.text = "$" + std::string(name);
    } else if (c == '%') {
      ++i;
      t.kind = token_kind::env;
      if (i < s.size() && (s[i] == '`' || s[i] == '\'')) {
        auto text = quoted(s, i);
        if (!text) return text.error();
        t.text = std::move(*text);
      } else {
        const std::size_t start = i;
        // Environment names may contain '-' (%vs-name, %ext-name).
        while (i < s.size() && (is_ident_char(s[i]) || s[i] == '-')) ++i;
        if (i == start) return error_at(t.pos, "missing name after %");
        t.text = std::string(s.substr(start, i - start));
      }
    } else {
      static constexpr std::string_view two[] = {"!=", "!~", "<=", ">="};
      static constexpr std::string_view one = ".[](){},+-*/|&=~<>";
      t.kind = token_kind::symbol;
      for (auto op : two) {
        if (s.substr(i, 2) == op) t.text = std::string(op);
      }
      if (t.text.empty() && one.find(c) != std::string_view::npos) t.text = std::string(1, c);
      if (t.text.empty()) return error_at(i, std::string("unexpected character '") + c + "'");
      i += t.text.size();
    }
    out.push_back(std::move(t));
  }
  token end;
  end.kind = token_kind::end;
  end.pos = s.size();
  out.push_back(std::move(end));
  return out;
}

} // namespace atrium::fhir::fhirpath
