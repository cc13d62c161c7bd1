#pragma once
// Time as microseconds since the Unix epoch (UTC), and its FHIR and HTTP forms.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace atrium::fhir {

/// Days from 1970-01-01 to a proleptic Gregorian date (negative before).
std::int64_t days_since_epoch(int year, int month, int day);

/// FHIR instant with microseconds: "2026-11-26T14:46:18.123456Z".
std::string format_instant(std::int64_t micros);

/// RFC 7231 IMF-fixdate for Last-Modified: "Thu, 26 Nov 2026 14:46:18 GMT".
std::string format_http_date(std::int64_t micros);

/// Parses a FHIR date, dateTime or instant (YYYY, YYYY-MM, YYYY-MM-DD,
/// YYYY-MM-DDThh:mm[:ss[.fff…]](Z|±hh:mm)) into the first microsecond of the
/// period it names, in UTC. A dateTime without a zone is taken as UTC.
/// Returns nullopt for anything malformed (month 13, "2026-1-1", trailing text).
std::optional<std::int64_t> parse_fhir_datetime(std::string_view text);

/// The instants a FHIR date, dateTime or instant covers by its precision,
/// both ends inclusive: "2026" → the whole year, "2026-05" → May,
/// "2026-05-01T10:00" → that minute, "…:30.25" → those 10 ms.
struct period {
  std::int64_t start = 0;
  std::int64_t end = 0;
};
std::optional<period> parse_fhir_period(std::string_view text);

/// Parses an HTTP date (IMF-fixdate) as sent in If-Modified-Since.
std::optional<std::int64_t> parse_http_date(std::string_view text);

} // namespace atrium::fhir
