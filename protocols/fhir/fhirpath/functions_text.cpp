// String functions (FHIRPath N1 §5.6). Regular expressions are std::regex
// ECMAScript; matches() looks for a match anywhere in the string, as N1 says.
#include <algorithm>
#include <cctype>
#include <regex>

#include "protocols/fhir/fhirpath/engine.hpp"

namespace atrium::fhir::fhirpath {

namespace {

using F = function_id;

// The single string of a collection: nullopt when empty, an error when there
// are several. Primitives (numbers, dates) are taken as their text.
result<std::optional<std::string>> text_of(const collection& c, const node& n) {
  auto one = singleton(c, n);
  if (!one) return one.error();
  if (!*one) return std::optional<std::string>();
  auto s = to_text(**one);
  if (!s) return eval_error(n, n.name + "() needs a string");
  return std::optional<std::string>(std::move(*s));
}

result<std::regex> compile_regex(const std::string& pattern, const node& n) {
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return eval_error(n, "invalid regular expression '" + pattern + "': " + e.what());
  }
}

collection text(std::string s) { return collection{item(std::move(s))}; }
collection boolean(bool b) { return collection{item(b)}; }

} // namespace

result<collection> call_string_function(const node& n, const collection& input,
                                        const std::vector<collection>& args) {
  auto in = text_of(input, n);
  if (!in) return in.error();
  if (!*in) return collection{};
  const std::string& s = **in;
  std::vector<std::optional<std::string>> a;
  for (const auto& arg : args) {
    if (n.fn == F::substring) break; // integer arguments, read below
    auto t = text_of(arg, n);
    if (!t) return t.error();
    if (!*t) return collection{};
    a.push_back(std::move(*t));
  }
  switch (n.fn) {
  case F::index_of: {
    const auto at = s.find(*a[0]);
    return collection{item(at == std::string::npos ? std::int64_t{-1} : static_cast<std::int64_t>(at))};
  }
  case F::substring: {
    auto start = singleton(args[0], n);
    if (!start) return start.error();
    if (!*start) return collection{};
    const auto* i = std::get_if<std::int64_t>(&(*start)->v);
    if (!i) return eval_error(n, "substring() needs an Integer start");
    if (*i < 0 || static_cast<std::size_t>(*i) >= s.size()) return collection{};
    std::size_t len = std::string::npos;
    if (args.size() > 1) {
      auto l = singleton(args[1], n);
      if (!l) return l.error();
      if (*l) {
        const auto* k = std::get_if<std::int64_t>(&(*l)->v);
        if (!k) return eval_error(n, "substring() needs an Integer length");
        len = *k < 0 ? 0 : static_cast<std::size_t>(*k);
      }
    }
    return text(s.substr(static_cast<std::size_t>(*i), len));
  }
  case F::starts_with: return boolean(s.starts_with(*a[0]));
  case F::ends_with: return boolean(s.ends_with(*a[0]));
  case F::contains: return boolean(s.find(*a[0]) != std::string::npos);
  case F::upper:
  case F::lower: {
    std::string out = s;
    for (char& c : out)
      c = static_cast<char>(n.fn == F::upper ? std::toupper(static_cast<unsigned char>(c))
                                             : std::tolower(static_cast<unsigned char>(c)));
    return text(std::move(out));
  }
  case F::replace: {
    const std::string& pattern = *a[0];
    const std::string& with = *a[1];
    std::string out;
    if (pattern.empty()) {
      // 'abc'.replace('', 'x') = 'xaxbxcx'.
      out = with;
      for (char c : s) {
        out += c;
        out += with;
      }
      return text(std::move(out));
    }
    std::size_t from = 0;
    for (;;) {
      const auto at = s.find(pattern, from);
      if (at == std::string::npos) break;
      out.append(s, from, at - from);
      out += with;
      from = at + pattern.size();
    }
    out.append(s, from, std::string::npos);
    return text(std::move(out));
  }
  case F::matches:
  case F::replace_matches: {
    auto re = compile_regex(*a[0], n);
    if (!re) return re.error();
    try {
      if (n.fn == F::matches) return boolean(std::regex_search(s, *re));
      return text(std::regex_replace(s, *re, *a[1]));
    } catch (const std::regex_error& e) {
      return eval_error(n, std::string("regular expression failed: ") + e.what());
    }
  }
  case F::length: return collection{item(static_cast<std::int64_t>(s.size()))};
  case F::to_chars: {
    collection out;
    for (char c : s) out.push_back(item(std::string(1, c)));
    return out;
  }
  default: return eval_error(n, "not a string function");
  }
}

} // namespace atrium::fhir::fhirpath
