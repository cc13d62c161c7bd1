#include "protocols/fhir/search/extract_dates.hpp"

#include "protocols/fhir/instant.hpp"

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
  std::int64_t start = days_since_epoch(f.year, f.month, f.day) * us_per_day +
                       (f.hour * 3600LL + f.minute * 60LL + second) * us_per_second + f.micros;
  std::int64_t next = 0; // first microsecond after the range
  switch (f.p) {
  case prec::year: next = days_since_epoch(f.year + 1, 1, 1) * us_per_day; break;
  case prec::month:
    next = (f.month == 12 ? days_since_epoch(f.year + 1, 1, 1)
                          : days_since_epoch(f.year, f.month + 1, 1)) *
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

} // namespace

std::optional<instant_range> date_range(std::string_view text) {
  // The query side reads dates the same way (protocols/fhir/instant.hpp).
  auto p = parse_fhir_period(text);
  if (!p) return std::nullopt;
  return instant_range{p->start, p->end};
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
