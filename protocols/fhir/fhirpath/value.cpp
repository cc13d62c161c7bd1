#include "protocols/fhir/fhirpath/value.hpp"

#include "protocols/fhir/instant.hpp"

#include <cmath>
#include <cstdio>

namespace atrium::fhir::fhirpath {

namespace {

bool digits(std::string_view s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) return false;
  for (std::size_t i = at; i < at + n; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

int num(std::string_view s, std::size_t at, std::size_t n) {
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) v = v * 10 + (s[i] - '0');
  return v;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int month_days(int y, int m) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[(m - 1) % 12];
}


void civil_from_days(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

std::int64_t to_millis(const temporal& t) {
  const std::int64_t days = t.kind == temporal_kind::time ? 0 : days_since_epoch(t.year, t.month, t.day);
  return ((days * 24 + t.hour) * 60 + t.minute) * 60000LL + t.second * 1000LL + t.millis;
}

void from_millis(temporal& t, std::int64_t ms) {
  std::int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  std::int64_t rest = ms - days * 86400000;
  if (t.kind != temporal_kind::time) civil_from_days(days, t.year, t.month, t.day);
  t.hour = static_cast<int>(rest / 3600000);
  t.minute = static_cast<int>(rest / 60000 % 60);
  t.second = static_cast<int>(rest / 1000 % 60);
  t.millis = static_cast<int>(rest % 1000);
}

// Parses hh[:mm[:ss[.fff]]] at `at`; returns the index after it or npos.
std::size_t parse_clock(std::string_view s, std::size_t at, temporal& t) {
  if (!digits(s, at, 2)) return std::string_view::npos;
  t.hour = num(s, at, 2);
  t.prec = precision::hour;
  at += 2;
  if (at < s.size() && s[at] == ':' && digits(s, at + 1, 2)) {
    t.minute = num(s, at + 1, 2);
    t.prec = precision::minute;
    at += 3;
    if (at < s.size() && s[at] == ':' && digits(s, at + 1, 2)) {
      t.second = num(s, at + 1, 2);
      t.prec = precision::second;
      at += 3;
      if (at < s.size() && s[at] == '.' && digits(s, at + 1, 1)) {
        ++at;
        int scale = 100;
        t.millis = 0;
        while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
          t.millis += (s[at] - '0') * scale;
          scale /= 10;
          ++at;
        }
        t.prec = precision::millisecond;
      }
    }
  }
  if (t.hour > 23 || t.minute > 59 || t.second > 60) return std::string_view::npos;
  return at;
}

std::size_t parse_calendar(std::string_view s, temporal& t) {
  if (!digits(s, 0, 4)) return std::string_view::npos;
  t.year = num(s, 0, 4);
  t.prec = precision::year;
  std::size_t at = 4;
  if (at < s.size() && s[at] == '-' && digits(s, at + 1, 2)) {
    t.month = num(s, at + 1, 2);
    t.prec = precision::month;
    at += 3;
    if (at < s.size() && s[at] == '-' && digits(s, at + 1, 2)) {
      t.day = num(s, at + 1, 2);
      t.prec = precision::day;
      at += 3;
    }
  }
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > month_days(t.year, t.month))
    return std::string_view::npos;
  return at;
}

int merged(precision p) {
  return p == precision::millisecond ? static_cast<int>(precision::second) : static_cast<int>(p);
}

temporal to_utc(const temporal& t) {
  if (!t.has_tz || t.tz_minutes == 0 || t.prec < precision::hour || t.kind == temporal_kind::time)
    return t;
  temporal u = t;
  from_millis(u, to_millis(t) - t.tz_minutes * 60000LL);
  u.tz_minutes = 0;
  return u;
}

struct unit_def {
  std::string_view code;
  std::string_view dimension;
  long double factor;
};

constexpr unit_def units[] = {
    {"kg", "g", 1e3L}, {"g", "g", 1}, {"mg", "g", 1e-3L}, {"ug", "g", 1e-6L}, {"ng", "g", 1e-9L},
    {"[lb_av]", "g", 453.59237L}, {"km", "m", 1e3L}, {"m", "m", 1}, {"cm", "m", 1e-2L},
    {"mm", "m", 1e-3L}, {"um", "m", 1e-6L}, {"nm", "m", 1e-9L}, {"[in_i]", "m", 0.0254L},
    {"[ft_i]", "m", 0.3048L}, {"L", "L", 1}, {"l", "L", 1}, {"dL", "L", 1e-1L}, {"cL", "L", 1e-2L},
    {"mL", "L", 1e-3L}, {"ml", "L", 1e-3L}, {"uL", "L", 1e-6L}, {"ms", "s", 1e-3L}, {"s", "s", 1},
    {"min", "s", 60}, {"h", "s", 3600}, {"d", "s", 86400}, {"wk", "s", 604800},
    {"millisecond", "s", 1e-3L}, {"second", "s", 1}, {"minute", "s", 60}, {"hour", "s", 3600},
    {"day", "s", 86400}, {"week", "s", 604800}, {"mo", "mo", 1}, {"a", "a", 1},
    {"month", "month", 1}, {"year", "year", 1},
};

const unit_def* find_unit(std::string_view code) {
  for (const auto& u : units)
    if (u.code == code) return &u;
  return nullptr;
}

} // namespace

std::optional<temporal> parse_date(std::string_view text) {
  temporal t;
  t.kind = temporal_kind::date;
  if (parse_calendar(text, t) != text.size()) return std::nullopt;
  return t;
}

std::optional<temporal> parse_datetime(std::string_view text) {
  temporal t;
  std::size_t at = parse_calendar(text, t);
  if (at == std::string_view::npos) return std::nullopt;
  if (at == text.size()) {
    t.kind = temporal_kind::date;
    return t;
  }
  t.kind = temporal_kind::datetime;
  if (text[at] != 'T' || t.prec != precision::day) return std::nullopt;
  ++at;
  if (at == text.size()) return t;
  at = parse_clock(text, at, t);
  if (at == std::string_view::npos) return std::nullopt;
  if (at < text.size() && text[at] == 'Z') {
    t.has_tz = true;
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    if (!digits(text, at + 1, 2) || at + 3 >= text.size() || text[at + 3] != ':' ||
        !digits(text, at + 4, 2))
      return std::nullopt;
    t.has_tz = true;
    t.tz_minutes = (num(text, at + 1, 2) * 60 + num(text, at + 4, 2)) * (text[at] == '-' ? -1 : 1);
    at += 6;
  }
  if (at != text.size()) return std::nullopt;
  return t;
}

std::optional<temporal> parse_time(std::string_view text) {
  temporal t;
  t.kind = temporal_kind::time;
  if (parse_clock(text, 0, t) != text.size()) return std::nullopt;
  return t;
}

std::string format_temporal(const temporal& t) {
  char buf[64];
  std::string out;
  if (t.kind != temporal_kind::time) {
    std::snprintf(buf, sizeof buf, "%04d", t.year);
    out = buf;
    if (t.prec >= precision::month) {
      std::snprintf(buf, sizeof buf, "-%02d", t.month);
      out += buf;
    }
    if (t.prec >= precision::day) {
      std::snprintf(buf, sizeof buf, "-%02d", t.day);
      out += buf;
    }
    if (t.kind == temporal_kind::date || t.prec <= precision::day) return out;
    out += 'T';
  }
  std::snprintf(buf, sizeof buf, "%02d", t.hour);
  out += buf;
  if (t.prec >= precision::minute) {
    std::snprintf(buf, sizeof buf, ":%02d", t.minute);
    out += buf;
  }
  if (t.prec >= precision::second) {
    std::snprintf(buf, sizeof buf, ":%02d", t.second);
    out += buf;
  }
  if (t.prec >= precision::millisecond) {
    std::snprintf(buf, sizeof buf, ".%03d", t.millis);
    out += buf;
  }
  if (t.has_tz && t.kind == temporal_kind::datetime) {
    if (t.tz_minutes == 0) {
      out += 'Z';
    } else {
      const int m = t.tz_minutes < 0 ? -t.tz_minutes : t.tz_minutes;
      std::snprintf(buf, sizeof buf, "%c%02d:%02d", t.tz_minutes < 0 ? '-' : '+', m / 60, m % 60);
      out += buf;
    }
  }
  return out;
}

std::optional<int> compare_temporal(const temporal& a0, const temporal& b0) {
  const temporal a = to_utc(a0);
  const temporal b = to_utc(b0);
  const int pa = merged(a.prec), pb = merged(b.prec);
  const int common = pa < pb ? pa : pb;
  const bool time_only = a.kind == temporal_kind::time;
  const int fields_a[] = {a.year, a.month, a.day, a.hour, a.minute, a.second * 1000 + a.millis};
  const int fields_b[] = {b.year, b.month, b.day, b.hour, b.minute, b.second * 1000 + b.millis};
  for (int i = time_only ? static_cast<int>(precision::hour) : 0; i <= common; ++i) {
    if (fields_a[i] != fields_b[i]) return fields_a[i] < fields_b[i] ? -1 : 1;
  }
  if (pa != pb) return std::nullopt;
  return 0;
}

std::optional<temporal> add_duration(const temporal& t, long double amount, std::string_view unit0) {
  const std::string unit = normalize_unit(unit0);
  temporal r = t;
  const auto whole = static_cast<std::int64_t>(amount);
  if (unit == "year" || unit == "a") {
    if (t.kind == temporal_kind::time) return std::nullopt;
    r.year += static_cast<int>(whole);
  } else if (unit == "month" || unit == "mo") {
    if (t.kind == temporal_kind::time) return std::nullopt;
    if (t.prec == precision::year) {
      r.year += static_cast<int>(whole / 12);
    } else {
      std::int64_t total = t.year * 12LL + (t.month - 1) + whole;
      r.year = static_cast<int>(total >= 0 ? total / 12 : (total - 11) / 12);
      r.month = static_cast<int>(total - r.year * 12LL + 1);
    }
  } else {
    const unit_def* u = find_unit(unit);
    if (!u || u->dimension != "s") return std::nullopt;
    long double ms = amount * u->factor * 1000;
    // A value cannot gain precision: an amount finer than it is truncated to it.
    static constexpr long double step[] = {0, 0, 86400000.0L, 3600000.0L, 60000.0L, 1000.0L, 1};
    if (t.prec < precision::day) {
      // Days on a year or month value: whole months are not defined; ignore.
      return r;
    }
    const long double s = step[static_cast<int>(t.prec)];
    ms = std::trunc(ms / s) * s;
    from_millis(r, to_millis(t) + static_cast<std::int64_t>(ms));
    if (t.kind == temporal_kind::time) {
      std::int64_t m = to_millis(r) % 86400000;
      if (m < 0) m += 86400000;
      from_millis(r, m);
    }
    return r;
  }
  if (r.prec >= precision::day) {
    const int md = month_days(r.year, r.month);
    if (r.day > md) r.day = md;
  }
  return r;
}

bool is_calendar_keyword(std::string_view w) {
  static constexpr std::string_view words[] = {
      "year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours",
      "minute", "minutes", "second", "seconds", "millisecond", "milliseconds"};
  for (auto x : words)
    if (x == w) return true;
  return false;
}

std::string normalize_unit(std::string_view unit) {
  if (is_calendar_keyword(unit) && unit.back() == 's' && unit != "s")
    return std::string(unit.substr(0, unit.size() - 1));
  return std::string(unit);
}

std::optional<long double> convert_quantity(const quantity& q, std::string_view to_unit,
                                            bool equivalence) {
  const std::string from = normalize_unit(q.unit);
  const std::string to = normalize_unit(to_unit);
  if (from == to) return q.value;
  if (from.empty() || to.empty()) {
    // A unitless quantity equals '1'.
    if ((from.empty() || from == "1") && (to.empty() || to == "1")) return q.value;
    return std::nullopt;
  }
  if (equivalence) {
    if ((from == "year" && to == "a") || (from == "a" && to == "year")) return q.value;
    if ((from == "month" && to == "mo") || (from == "mo" && to == "month")) return q.value;
  }
  const unit_def* a = find_unit(from);
  const unit_def* b = find_unit(to);
  if (!a || !b || a->dimension != b->dimension) return std::nullopt;
  return q.value * a->factor / b->factor;
}

std::string format_decimal(long double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15Lg", v);
  std::string s = buf;
  if (s == "-0") s = "0";
  return s;
}

std::string format_quantity(const quantity& q) {
  const std::string number = format_decimal(q.value);
  if (is_calendar_keyword(q.unit))
    return number + " " + q.unit + (q.value == 1 ? "" : "s");
  return number + " '" + q.unit + "'";
}

bool decimal_equal(long double a, long double b) {
  if (a == b) return true;
  const long double scale = std::fmax(std::fabs(a), std::fabs(b));
  return std::fabs(a - b) <= 1e-15L * scale;
}

} // namespace atrium::fhir::fhirpath
