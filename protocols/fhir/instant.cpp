#include "protocols/fhir/instant.hpp"

#include <cctype>

#include <array>

namespace atrium::fhir {
namespace {

constexpr std::int64_t micros_per_second = 1'000'000;
constexpr std::int64_t micros_per_day = 86'400 * micros_per_second;

constexpr std::array<std::string_view, 12> month_names = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
// Index 0 is the weekday of 1970-01-01.
constexpr std::array<std::string_view, 7> weekday_names = {
    "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};

struct civil_date {
  std::int64_t year;
  int month; // 1..12
  int day;   // 1..31
};

constexpr bool is_leap_year(std::int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

constexpr int days_in_month(std::int64_t year, int month) {
  constexpr int lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : lengths[month - 1];
}

// Division that rounds toward negative infinity, so that instants before the
// epoch still land on the right day and second.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

// Counting years from 1 March puts the leap day at the end of the year, so a
// day-of-year formula needs no leap case; 400-year cycles (146097 days) keep
// the arithmetic in small numbers. 719468 is the count from 0000-03-01 to
// 1970-01-01.
constexpr std::int64_t days_since_epoch(const civil_date& date) {
  const std::int64_t march_year = date.year - (date.month <= 2 ? 1 : 0);
  const std::int64_t cycle = floor_div(march_year, 400);
  const std::int64_t year_of_cycle = march_year - cycle * 400;          // 0..399
  const std::int64_t month_from_march = (date.month + 9) % 12;         // Mar = 0
  const std::int64_t day_of_year = (153 * month_from_march + 2) / 5 + date.day - 1;
  const std::int64_t day_of_cycle =
      year_of_cycle * 365 + year_of_cycle / 4 - year_of_cycle / 100 + day_of_year;
  return cycle * 146097 + day_of_cycle - 719468;
}

constexpr civil_date civil_from_days(std::int64_t days) {
  const std::int64_t shifted = days + 719468;
  const std::int64_t cycle = floor_div(shifted, 146097);
  const std::int64_t day_of_cycle = shifted - cycle * 146097; // 0..146096
  // The last day of a 400-year cycle and of each century are the exceptions
  // that the corrections below take out before dividing by 365.
  const std::int64_t year_of_cycle =
      (day_of_cycle - day_of_cycle / 1460 + day_of_cycle / 36524 - day_of_cycle / 146096) / 365;
  const std::int64_t day_of_year =
      day_of_cycle - (365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100);
  const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;
  const int day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  const int month = static_cast<int>(month_from_march < 10 ? month_from_march + 3
                                                           : month_from_march - 9);
  const std::int64_t year = year_of_cycle + cycle * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

static_assert(days_since_epoch({1970, 1, 1}) == 0);
static_assert(days_since_epoch({2000, 3, 1}) == 11017);
static_assert(civil_from_days(11016).month == 2 && civil_from_days(11016).day == 29);

/// Text built in place: the formats below are short and bounded (a year of
/// at most 20 characters with its sign), and appending to a std::string a
/// character at a time cost a read answer ~1k instructions per date.
class short_text {
public:
  void put(char c) { text_[size_++] = c; }
  void put(std::string_view s) {
    for (char c : s) put(c);
  }
  /// `value` in decimal, zero-padded to at least `width` digits.
  void number(std::int64_t value, int width) {
    char digits[20];
    int count = 0;
    std::uint64_t rest = value < 0 ? 0 - static_cast<std::uint64_t>(value)
                                   : static_cast<std::uint64_t>(value);
    do {
      digits[count++] = static_cast<char>('0' + rest % 10);
      rest /= 10;
    } while (rest != 0);
    if (value < 0) put('-');
    for (int i = count; i < width; ++i) put('0');
    while (count > 0) put(digits[--count]);
  }
  std::string str() const { return {text_.data(), size_}; }

private:
  std::array<char, 64> text_;
  std::size_t size_ = 0;
};

struct broken_down {
  civil_date date;
  int hour, minute, second, micros;
  std::int64_t days;
};

broken_down split(std::int64_t micros) {
  const std::int64_t days = floor_div(micros, micros_per_day);
  const std::int64_t of_day = micros - days * micros_per_day;
  const std::int64_t seconds = of_day / micros_per_second;
  return {civil_from_days(days), static_cast<int>(seconds / 3600),
          static_cast<int>(seconds / 60 % 60), static_cast<int>(seconds % 60),
          static_cast<int>(of_day % micros_per_second), days};
}

/// hh:mm:ss, as both formats below write it.
void put_clock_time(short_text& out, const broken_down& t) {
  out.number(t.hour, 2);
  out.put(':');
  out.number(t.minute, 2);
  out.put(':');
  out.number(t.second, 2);
}

// Reads fixed-width fields left to right; every reader fails without
// consuming when the text does not match, so "2026-1-1" is rejected.
struct cursor {
  std::string_view text;
  std::size_t pos = 0;

  bool done() const { return pos == text.size(); }
  bool peek(char c) const { return pos < text.size() && text[pos] == c; }
  bool take(char c) {
    if (!peek(c)) return false;
    ++pos;
    return true;
  }
  bool take(std::string_view s) {
    if (text.substr(pos, s.size()) != s) return false;
    pos += s.size();
    return true;
  }
  bool is_digit() const { return pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; }
  std::optional<int> number(std::size_t width, int min, int max) {
    if (text.size() - pos < width) return std::nullopt;
    int value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      const char c = text[pos + i];
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    if (value < min || value > max) return std::nullopt;
    pos += width;
    return value;
  }
  template <std::size_t N>
  std::optional<int> one_of(const std::array<std::string_view, N>& names) {
    for (std::size_t i = 0; i < N; ++i)
      if (take(names[i])) return static_cast<int>(i);
    return std::nullopt;
  }
};

std::int64_t to_micros(const civil_date& date, int hour, int minute, int second) {
  return days_since_epoch(date) * micros_per_day +
         (hour * 3600LL + minute * 60LL + second) * micros_per_second;
}

// Zone offset in minutes east of UTC; FHIR allows -14:00..+14:00.
std::optional<int> parse_zone(cursor& c) {
  if (c.take('Z')) return 0;
  const bool east = c.peek('+');
  if (!c.take('+') && !c.take('-')) return std::nullopt;
  const auto hours = c.number(2, 0, 14);
  if (!hours || !c.take(':')) return std::nullopt;
  const auto minutes = c.number(2, 0, *hours == 14 ? 0 : 59);
  if (!minutes) return std::nullopt;
  const int offset = *hours * 60 + *minutes;
  return east ? offset : -offset;
}

} // namespace

std::string format_instant(std::int64_t micros) {
  const broken_down t = split(micros);
  short_text out;
  out.number(t.date.year, 4);
  out.put('-');
  out.number(t.date.month, 2);
  out.put('-');
  out.number(t.date.day, 2);
  out.put('T');
  put_clock_time(out, t);
  out.put('.');
  out.number(t.micros, 6);
  out.put('Z');
  return out.str();
}

std::string format_http_date(std::int64_t micros) {
  const broken_down t = split(micros);
  short_text out;
  out.put(weekday_names[static_cast<std::size_t>(t.days - floor_div(t.days, 7) * 7)]);
  out.put(", ");
  out.number(t.date.day, 2);
  out.put(' ');
  out.put(month_names[static_cast<std::size_t>(t.date.month - 1)]);
  out.put(' ');
  out.number(t.date.year, 4);
  out.put(' ');
  put_clock_time(out, t);
  out.put(" GMT");
  return out.str();
}

std::optional<std::int64_t> parse_fhir_datetime(std::string_view text) {
  cursor c{text};
  const auto year = c.number(4, 1, 9999);
  if (!year) return std::nullopt;
  civil_date date{*year, 1, 1};
  if (c.done()) return to_micros(date, 0, 0, 0);

  const auto month = c.take('-') ? c.number(2, 1, 12) : std::nullopt;
  if (!month) return std::nullopt;
  date.month = *month;
  if (c.done()) return to_micros(date, 0, 0, 0);

  const auto day = c.take('-') ? c.number(2, 1, days_in_month(*year, *month)) : std::nullopt;
  if (!day) return std::nullopt;
  date.day = *day;
  if (c.done()) return to_micros(date, 0, 0, 0);

  const auto hour = c.take('T') ? c.number(2, 0, 23) : std::nullopt;
  const auto minute = hour && c.take(':') ? c.number(2, 0, 59) : std::nullopt;
  if (!minute) return std::nullopt;
  int second = 0;
  std::int64_t fraction = 0;
  if (c.take(':')) {
    const auto s = c.number(2, 0, 60); // FHIR admits a leap second
    if (!s) return std::nullopt;
    second = *s;
    if (c.take('.')) {
      if (!c.is_digit()) return std::nullopt;
      // ".5" is half a second; digits beyond microseconds are dropped.
      int places = 0;
      for (; c.is_digit(); ++c.pos) {
        if (places == 6) continue;
        fraction = fraction * 10 + (text[c.pos] - '0');
        ++places;
      }
      for (; places < 6; ++places) fraction *= 10;
    }
  }
  int offset_minutes = 0;
  if (!c.done()) {
    const auto zone = parse_zone(c);
    if (!zone || !c.done()) return std::nullopt;
    offset_minutes = *zone;
  }
  return to_micros(date, *hour, *minute, second) + fraction -
         offset_minutes * 60LL * micros_per_second;
}

std::int64_t days_since_epoch(int year, int month, int day) {
  return days_since_epoch(civil_date{year, month, day});
}

std::optional<period> parse_fhir_period(std::string_view text) {
  auto start = parse_fhir_datetime(text);
  if (!start)
    return std::nullopt;
  // The length of the period is that of the last component written; years
  // and months carry no zone, so they end where the next one starts in UTC.
  auto year = std::stoi(std::string{text.substr(0, 4)});
  if (text.size() == 4)
    return period{*start, days_since_epoch(civil_date{year + 1, 1, 1}) * micros_per_day - 1};
  if (text.size() == 7) {
    auto month = std::stoi(std::string{text.substr(5, 2)});
    auto next = month == 12 ? civil_date{year + 1, 1, 1} : civil_date{year, month + 1, 1};
    return period{*start, days_since_epoch(next) * micros_per_day - 1};
  }
  if (text.size() == 10)
    return period{*start, *start + micros_per_day - 1};
  // hh:mm[:ss[.fff]] then a zone: count what follows the minutes.
  auto time = text.substr(11);
  std::int64_t unit = 60 * micros_per_second;
  if (time.size() > 5 && time[5] == ':') {
    unit = micros_per_second;
    if (time.size() > 8 && time[8] == '.') {
      std::size_t digits = 0;
      while (9 + digits < time.size() && std::isdigit(static_cast<unsigned char>(time[9 + digits])))
        ++digits;
      unit = 1;
      for (auto d = digits; d < 6; ++d)
        unit *= 10;
    }
  }
  return period{*start, *start + unit - 1};
}

std::optional<std::int64_t> parse_http_date(std::string_view text) {
  cursor c{text};
  if (!c.one_of(weekday_names) || !c.take(", ")) return std::nullopt;
  const auto day = c.number(2, 1, 31);
  if (!day || !c.take(' ')) return std::nullopt;
  const auto month = c.one_of(month_names);
  if (!month || !c.take(' ')) return std::nullopt;
  const auto year = c.number(4, 1, 9999);
  if (!year || *day > days_in_month(*year, *month + 1) || !c.take(' ')) return std::nullopt;
  const auto hour = c.number(2, 0, 23);
  const auto minute = hour && c.take(':') ? c.number(2, 0, 59) : std::nullopt;
  const auto second = minute && c.take(':') ? c.number(2, 0, 60) : std::nullopt;
  if (!second || !c.take(" GMT") || !c.done()) return std::nullopt;
  return to_micros({*year, *month + 1, *day}, *hour, *minute, *second);
}

} // namespace atrium::fhir
