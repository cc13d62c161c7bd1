#include "protocols/fhir/search/extract_dates.hpp"

namespace atrium::fhir::search {

namespace {

constexpr std::int64_t us_per_second = 1'000'000;
constexpr std::int64_t us_per_day = 86'400 * us_per_second;

bool leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : days[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// The fields of a date/time and the precision to which they were given.
enum class prec { year, month, day, hour, minute, second, fraction };

struct fields {
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  std::int64_t micros = 0; // fraction of a second, in microseconds
  int fraction_digits = 0;
  prec p = prec::year;
  int tz_minutes = 0; // east of UTC; 0 when absent (UTC)
};

std::optional<instant_range> range_of(const fields& f) {
  if (f.month < 1 || f.month > 12) return std::nullopt;
  if (f.day < 1 || f.day > days_in_month(f.year, f.month)) return std::nullopt;
  if (f.hour > 23 || f.minute > 59 || f.second > 60) return std::nullopt;
  const int second = f.second == 60 ? 59 : f.second; // a leap second counts as :59
  std::int64_t start = days_from_civil(f.year, f.month, f.day) * us_per_day +
                       (f.hour * 3600LL + f.minute * 60LL + second) * us_per_second + f.micros;
  std::int64_t next = 0; // first microsecond after the range
  switch (f.p) {
  case prec::year: next = days_from_civil(f.year + 1, 1, 1) * us_per_day; break;
  case prec::month:
    next = (f.month == 12 ? days_from_civil(f.year + 1, 1, 1)
                          : days_from_civil(f.year, f.month + 1, 1)) *
           us_per_day;
    break;
  case prec::day: next = start + us_per_day; break;
  case prec::hour: next = start + 3600 * us_per_second; break;
  case prec::minute: next = start + 60 * us_per_second; break;
  case prec::second: next = start + us_per_second; break;
  case prec::fraction: {
    std::int64_t unit = 1;
    for (int i = f.fraction_digits; i < 6; ++i)
      unit *= 10;
    next = start + unit;
    break;
  }
  }
  const std::int64_t offset = static_cast<std::int64_t>(f.tz_minutes) * 60 * us_per_second;
  return instant_range{start - offset, next - 1 - offset};
}

class cursor {
public:
  explicit cursor(std::string_view s) : s_(s) {}
  bool done() const { return i_ == s_.size(); }
  bool peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  bool take(char c) {
    if (!peek(c)) return false;
    ++i_;
    return true;
  }
  // Exactly n digits.
  std::optional<int> digits(int n) {
    if (s_.size() - i_ < static_cast<std::size_t>(n)) return std::nullopt;
    int v = 0;
    for (int k = 0; k < n; ++k) {
      const char c = s_[i_ + k];
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    i_ += n;
    return v;
  }
  bool digit() const { return i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9'; }
  char next() { return s_[i_++]; }

private:
  std::string_view s_;
  std::size_t i_ = 0;
};

} // namespace

std::optional<instant_range> date_range(std::string_view text) {
  cursor c(text);
  fields f;
  auto y = c.digits(4);
  if (!y || *y < 1) return std::nullopt;
  f.year = *y;
  if (c.done()) return range_of(f);
  if (!c.take('-')) return std::nullopt;
  auto m = c.digits(2);
  if (!m) return std::nullopt;
  f.month = *m;
  f.p = prec::month;
  if (c.done()) return range_of(f);
  if (!c.take('-')) return std::nullopt;
  auto d = c.digits(2);
  if (!d) return std::nullopt;
  f.day = *d;
  f.p = prec::day;
  if (c.done()) return range_of(f);
  if (!c.take('T')) return std::nullopt;
  if (c.done()) return range_of(f); // "2026-01-01T", as FHIRPath allows
  auto h = c.digits(2);
  if (!h) return std::nullopt;
  f.hour = *h;
  f.p = prec::hour;
  if (c.take(':')) {
    auto mi = c.digits(2);
    if (!mi) return std::nullopt;
    f.minute = *mi;
    f.p = prec::minute;
    if (c.take(':')) {
      auto s = c.digits(2);
      if (!s) return std::nullopt;
      f.second = *s;
      f.p = prec::second;
      if (c.take('.')) {
        if (!c.digit()) return std::nullopt;
        f.p = prec::fraction;
        while (c.digit()) {
          const int v = c.next() - '0';
          if (f.fraction_digits < 6) {
            f.micros = f.micros * 10 + v;
            ++f.fraction_digits;
          }
        }
        for (int k = f.fraction_digits; k < 6; ++k)
          f.micros *= 10;
      }
    }
  }
  if (c.take('Z')) {
    // UTC
  } else if (c.peek('+') || c.peek('-')) {
    const int sign = c.next() == '-' ? -1 : 1;
    auto th = c.digits(2);
    if (!th || !c.take(':')) return std::nullopt;
    auto tm = c.digits(2);
    if (!tm || *th > 14 || *tm > 59) return std::nullopt;
    f.tz_minutes = sign * (*th * 60 + *tm);
  }
  if (!c.done()) return std::nullopt;
  return range_of(f);
}

std::optional<instant_range> date_range(const fhirpath::temporal& t) {
  using fhirpath::precision;
  if (t.kind == fhirpath::temporal_kind::time) return std::nullopt;
  fields f;
  f.year = t.year;
  f.month = t.month;
  f.day = t.day;
  f.hour = t.hour;
  f.minute = t.minute;
  f.second = t.second;
  f.micros = static_cast<std::int64_t>(t.millis) * 1000;
  f.fraction_digits = 3;
  switch (t.prec) {
  case precision::year: f.p = prec::year; break;
  case precision::month: f.p = prec::month; break;
  case precision::day: f.p = prec::day; break;
  case precision::hour: f.p = prec::hour; break;
  case precision::minute: f.p = prec::minute; break;
  case precision::second: f.p = prec::second; break;
  case precision::millisecond: f.p = prec::fraction; break;
  }
  if (t.year < 1) return std::nullopt;
  f.tz_minutes = t.has_tz ? t.tz_minutes : 0;
  return range_of(f);
}

} // namespace atrium::fhir::search
