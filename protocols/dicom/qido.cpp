#include "protocols/dicom/qido.hpp"

#include <algorithm>
#include <charconv>

#include <simdjson.h>

// Person names match without Latin accents, spelled as FHIR's string search
// spells them (and as the study index keeps them).
#include "protocols/fhir/search/extract.hpp"

namespace atrium::dicom {

namespace {

char fold(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

/// DICOM wildcards, case-insensitive: * any run, ? one character.
bool wildcard(std::string_view pattern, std::string_view value) {
  std::size_t p = 0, v = 0, star = std::string_view::npos, mark = 0;
  while (v < value.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || fold(pattern[p]) == fold(value[v]))) {
      ++p;
      ++v;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = v;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      v = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '^' || s[i] == ',' || s[i] == '='))
      ++i;
    auto start = i;
    while (i < s.size() && !(s[i] == ' ' || s[i] == '^' || s[i] == ',' || s[i] == '='))
      ++i;
    if (i > start)
      out.push_back(s.substr(start, i - start));
  }
  return out;
}

/// Azure's fuzzy person-name matching: every word of the query starts a
/// word of the name ("jo do" matches Doe^John; "ohn" does not).
bool fuzzy_name(std::string_view query, std::string_view name) {
  auto names = words(name);
  for (auto q : words(query)) {
    bool found = std::any_of(names.begin(), names.end(), [&](std::string_view w) {
      return w.size() >= q.size() && http::equals_nocase(w.substr(0, q.size()), q);
    });
    if (!found)
      return false;
  }
  return true;
}

bool is_temporal(std::string_view vr) { return vr == "DA" || vr == "TM" || vr == "DT"; }

bool is_date(std::string_view d) {
  if (d.size() != 8 || !std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  const int year = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
  const int month = (d[4] - '0') * 10 + (d[5] - '0');
  const int day = (d[6] - '0') * 10 + (d[7] - '0');
  constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1)
    return false;
  const bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  return day <= days[month - 1] + (month == 2 && leap ? 1 : 0);
}

/// A DA value or range ("20200101", "20200101-20201231", "-20201231",
/// "20200101-"), as Azure parses them: anything else is refused, not left
/// to match nothing.
status check_date(std::string_view name, std::string_view value) {
  const auto dash = value.find('-');
  const auto lo = value.substr(0, dash);
  const auto hi = dash == std::string_view::npos ? std::string_view{} : value.substr(dash + 1);
  const bool ok = dash == std::string_view::npos
                    ? is_date(value)
                    : (lo.empty() || is_date(lo)) && (hi.empty() || is_date(hi)) &&
                        !(lo.empty() && hi.empty());
  if (!ok)
    return {errc::invalid, "'" + std::string{name} + "' takes a date YYYYMMDD or a range of " +
                             "them (YYYYMMDD-YYYYMMDD, either end open), not '" +
                             std::string{value} + "'"};
  if (!lo.empty() && !hi.empty() && lo > hi)
    return {errc::invalid, "the range of '" + std::string{name} + "' ends before it starts: '" +
                             std::string{value} + "'"};
  return status::ok();
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

/// A DA, TM or DT value or range without the spaces around its ends.
std::string trimmed_range(std::string_view value) {
  const auto dash = value.find('-');
  if (dash == std::string_view::npos)
    return std::string{trim_spaces(value)};
  return std::string{trim_spaces(value.substr(0, dash))} + "-" +
         std::string{trim_spaces(value.substr(dash + 1))};
}

result<std::size_t> parse_count(std::string_view name, std::string_view text, std::size_t lo,
                                std::size_t hi) {
  std::size_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || p != text.data() + text.size() || n < lo || n > hi)
    return status{errc::invalid, "'" + std::string{name} + "' must be a whole number from " +
                                   std::to_string(lo) + " to " + std::to_string(hi) + ", not '" +
                                   std::string{text} + "'"};
  return n;
}

} // namespace

result<qido_query> parse_qido(const http::query_params& params, dicom::level level,
                              std::span<const query_tag> extended,
                              std::optional<dicom::level> fixed) {
  qido_query q;
  q.level = level;
  q.extended.reserve(extended.size()); // never reallocated: terms point into it
  for (auto& t : extended)
    if (t.ready && t.query_enabled)
      q.extended.push_back({{}, t.tag, t.vr, t.level, true, false, false});
  auto disabled = [&](std::string_view name) {
    auto tag = tag_named(name);
    return tag && std::any_of(extended.begin(), extended.end(), [&](auto& t) {
             return t.tag == *tag && t.ready && !t.query_enabled;
           });
  };
  auto find_extended = [&](std::string_view name) -> const known_attribute* {
    auto tag = tag_named(name);
    for (auto& a : q.extended)
      if (tag && a.tag == *tag)
        return &a;
    return nullptr;
  };
  for (auto& [name, value] : params) {
    if (http::equals_nocase(name, "limit")) {
      auto n = parse_count(name, value, 1, 200);
      if (!n)
        return n.error();
      q.limit = *n;
    } else if (http::equals_nocase(name, "offset")) {
      auto n = parse_count(name, value, 0, 1u << 30);
      if (!n)
        return n.error();
      q.offset = *n;
    } else if (http::equals_nocase(name, "fuzzymatching")) {
      auto fuzzy = http::parse_bool(value);
      if (!fuzzy)
        return status{errc::invalid, "fuzzymatching is true or false, not '" + value + "'"};
      q.fuzzy = *fuzzy;
    } else if (http::equals_nocase(name, "includefield")) {
      for (auto field : words(value)) { // also splits at ','
        if (http::equals_nocase(field, "all")) {
          q.include_all = true;
        } else if (auto* a = find_attribute(field)) {
          q.include.push_back(a->tag);
        } else if (auto t = parse_tag(field)) {
          q.include.push_back(*t); // any tag of the stored dataset
        } else if (auto d = dictionary_tag(field)) {
          q.include.push_back(*d);
        } else {
          return status{errc::invalid, "includefield '" + std::string{field} +
                                         "' is neither a tag nor a known keyword"};
        }
      }
    } else {
      auto* a = find_attribute(name);
      if (!a || !a->searchable)
        a = find_extended(name);
      if (!a && disabled(name))
        return status{errc::invalid, "query is disabled on the extended query tag '" + name +
                                       "': its re-index met values that fail its VR (see its "
                                       "errors; PATCH QueryStatus Enabled to query it anyway)"};
      if (!a)
        return status{errc::invalid, "'" + name + "' is not a searchable attribute"};
      if (a->level > level)
        return status{errc::invalid, "'" + name + "' is not searchable at this level"};
      if (fixed && a->level <= *fixed)
        return status{errc::invalid, "'" + name + "' is an attribute of the " +
                                       (*fixed == level::study ? "study" : "series") +
                                       " the path names; it cannot be searched under it"};
      if (std::any_of(q.terms.begin(), q.terms.end(), [&](auto& t) { return t.attribute->tag == a->tag; }))
        return status{errc::invalid, "'" + name + "' names an attribute the query already searches; "
                                                  "give each attribute once"};
      // Spaces around a date or time, or around a range's ends, are no part
      // of it: "20050101 - 20051231" (Azure trims both ends).
      std::string wanted = is_temporal(a->vr) ? trimmed_range(value) : value;
      if (wanted.empty())
        return status{errc::invalid, "'" + name + "' has an empty value (empty values do not match)"};
      if (is_temporal(a->vr) && wanted == "-")
        return status{errc::invalid, "a range of '" + name + "' needs at least one end"};
      if (a->vr == "DA")
        if (auto s = check_date(name, wanted); !s)
          return s;
      q.terms.push_back({a, std::move(wanted)});
    }
  }
  return q;
}

bool matches(const match_term& term, std::string_view value, bool fuzzy) {
  const auto& a = *term.attribute;
  std::string_view want = term.value;
  if (a.tag == tags::modalities_in_study) { // the study's list: any of them
    auto values = split_values(value);
    return std::any_of(values.begin(), values.end(), [&](auto v) { return http::equals_nocase(v, want); });
  }
  if (a.vr == "UI") { // a list of UIDs: any of them
    auto uids = split_values(want, ",\\");
    return std::find(uids.begin(), uids.end(), value) != uids.end();
  }
  // A stored date that failed validation at STOW (WarningReason 1) matches
  // no date query, as Azure's v2 conformance says of such values; compared
  // as text, "NotADate" would fall after every date.
  if (a.vr == "DA" && !is_date(value))
    return false;
  if (is_temporal(a.vr) && want.find('-') != std::string_view::npos) {
    auto dash = want.find('-');
    auto lo = want.substr(0, dash), hi = want.substr(dash + 1);
    if (value.empty())
      return false;
    // DA, TM and DT compare as text: the formats are fixed-width, most
    // significant first. An end with less precision covers its whole span.
    if (!lo.empty() && value.substr(0, lo.size()) < lo)
      return false;
    if (!hi.empty() && value.substr(0, hi.size()) > hi)
      return false;
    return true;
  }
  if (want.find_first_of("*?") != std::string_view::npos)
    return a.vr == "PN" ? wildcard(fhir::search::fold_latin(want), fhir::search::fold_latin(value))
                        : wildcard(want, value);
  if (a.vr == "PN") { // case- and accent-insensitive (Azure's v2 conformance), as the index
    const auto q = fhir::search::fold_latin(want), name = fhir::search::fold_latin(value);
    return fuzzy ? fuzzy_name(q, name) : http::equals_nocase(q, name);
  }
  return http::equals_nocase(want, value);
}

std::vector<attribute> parse_dataset(std::string_view json) {
  std::vector<attribute> out;
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(json.data(), json.size()).get(obj))
    return out;
  for (auto field : obj) {
    auto t = parse_tag(field.key);
    if (!t)
      continue;
    attribute a;
    a.tag = *t;
    a.json = simdjson::minify(field.value);
    std::string_view vr;
    if (!field.value["vr"].get(vr))
      a.vr = std::string{vr};
    out.push_back(std::move(a));
  }
  return out;
}

} // namespace atrium::dicom
