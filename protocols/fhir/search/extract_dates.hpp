#pragma once
// The instant range a FHIR date, dateTime or instant covers by its precision,
// for date search parameters (R4 search §3.1.1.4.4: "2026-05" is all of May).
// Values without a time zone are taken as UTC.
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "protocols/fhir/fhirpath/value.hpp"

namespace atrium::fhir::search {

/// Inclusive bounds in microseconds since 1970-01-01T00:00:00Z.
struct instant_range {
  std::int64_t start = 0;
  std::int64_t end = 0;
};

/// Bounds of an open Period side (no start / no end).
inline constexpr std::int64_t open_start = std::numeric_limits<std::int64_t>::min();
inline constexpr std::int64_t open_end = std::numeric_limits<std::int64_t>::max();

/// "2026" → the whole year, "2026-02-03T10:00:00.25+01:00" → that quarter…
/// hundredth of a second, i.e. [09:00:00.250000Z, 09:00:00.259999Z]. Fractions
/// count to the microsecond (more digits are truncated). nullopt when the text
/// is not a date, dateTime or instant (times of day are not dates).
std::optional<instant_range> date_range(std::string_view text);

/// The same for a FHIRPath System date/dateTime (time-of-day values: nullopt).
std::optional<instant_range> date_range(const fhirpath::temporal& t);

} // namespace atrium::fhir::search
