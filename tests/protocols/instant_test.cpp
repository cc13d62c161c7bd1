#include <catch2/catch.hpp>

#include "protocols/fhir/instant.hpp"

using namespace atrium::fhir;

TEST_CASE("format_instant writes UTC with microseconds") {
  CHECK(format_instant(0) == "1970-01-01T00:00:00.000000Z");
  CHECK(format_instant(1795704378123456) == "2026-11-26T14:46:18.123456Z");
  CHECK(format_instant(-1) == "1969-12-31T23:59:59.999999Z");
  CHECK(format_instant(951782400000000) == "2000-02-29T00:00:00.000000Z");
  CHECK(format_instant(-62135596800000000) == "0001-01-01T00:00:00.000000Z");
  CHECK(format_instant(253402300799999999) == "9999-12-31T23:59:59.999999Z");
}

TEST_CASE("instants round-trip through text") {
  for (std::int64_t micros : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{951782400000000},
                              std::int64_t{1709251199000001}, std::int64_t{-62135596800000000},
                              std::int64_t{253402300799999999}, std::int64_t{1795697178500000}}) {
    INFO(micros);
    const auto parsed = parse_fhir_datetime(format_instant(micros));
    REQUIRE(parsed);
    CHECK(*parsed == micros);
  }
  // Every day across several leap and non-leap years, including 1900 and 2000.
  for (std::int64_t day = -25567; day < 11400; day += 1) {
    const std::int64_t micros = day * 86'400'000'000 + 45'296'000'007;
    const auto parsed = parse_fhir_datetime(format_instant(micros));
    REQUIRE(parsed);
    REQUIRE(*parsed == micros);
  }
}

TEST_CASE("parse_fhir_datetime takes the first microsecond of the period") {
  CHECK(parse_fhir_datetime("2026") == 1767225600000000);
  CHECK(parse_fhir_datetime("2026-01") == 1767225600000000);
  CHECK(parse_fhir_datetime("2026-03") == 1772323200000000);
  CHECK(parse_fhir_datetime("2000-02-29") == 951782400000000);
  CHECK(parse_fhir_datetime("2024-02-29T23:59:59Z") == 1709251199000000);
  CHECK(parse_fhir_datetime("1970-01-01T00:00") == 0);
}

TEST_CASE("parse_fhir_datetime applies zones and fractions") {
  CHECK(parse_fhir_datetime("2026-11-26T14:46:18.5+02:00") == 1795697178500000);
  CHECK(parse_fhir_datetime("2026-11-26T12:46:18.5Z") == 1795697178500000);
  CHECK(parse_fhir_datetime("2026-11-26T12:46:18.5") == 1795697178500000);
  CHECK(parse_fhir_datetime("2026-11-26T09:16:18.500-03:30") == 1795697178500000);
  CHECK(parse_fhir_datetime("1970-01-01T00:00:00.123456789Z") == 123456);
  CHECK(parse_fhir_datetime("1970-01-01T00:00:00.000001Z") == 1);
  CHECK(parse_fhir_datetime("1970-01-01T00:00:00+14:00") == -14 * 3600 * 1000000LL);
}

TEST_CASE("parse_fhir_datetime rejects malformed text") {
  for (const char* bad :
       {"", "202", "20260", "0000", "2026-13", "2026-00", "2026-02-30", "2025-02-29", "1900-02-29",
        "2026-1-1", "2026-01-1", "2026-01-01T", "2026-01-01T24:00:00Z", "2026-01-01T10:60Z",
        "2026-01-01T10:00:00.Z", "2026-01-01T10:00:00+2:00", "2026-01-01T10:00:00+15:00",
        "2026-01-01T10:00:00+14:30", "2026-01-01T10:00:00z", "2026-01-01 10:00:00Z",
        "2026-01-01T10:00:00Zjunk", "2026x", "2026-01-01junk", "-2026", " 2026"}) {
    INFO(bad);
    CHECK_FALSE(parse_fhir_datetime(bad));
  }
}

TEST_CASE("HTTP dates are IMF-fixdate in GMT") {
  CHECK(format_http_date(1795704378123456) == "Thu, 26 Nov 2026 14:46:18 GMT");
  CHECK(format_http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(format_http_date(-1) == "Wed, 31 Dec 1969 23:59:59 GMT");
  CHECK(format_http_date(951782400000000) == "Tue, 29 Feb 2000 00:00:00 GMT");
  CHECK(parse_http_date("Thu, 26 Nov 2026 14:46:18 GMT") == 1795704378000000);
  CHECK(parse_http_date(format_http_date(951782400000000)) == 951782400000000);
  CHECK_FALSE(parse_http_date("Thu, 26 Nov 2026 14:46:18 UTC"));
  CHECK_FALSE(parse_http_date("Thu, 30 Feb 2026 14:46:18 GMT"));
  CHECK_FALSE(parse_http_date("Thu, 26 Nov 2026 14:46:18 GMT "));
  CHECK_FALSE(parse_http_date("Thursday, 26-Nov-26 14:46:18 GMT"));
  CHECK_FALSE(parse_http_date(""));
}

TEST_CASE("parse_fhir_period covers a value's whole precision") {
  using atrium::fhir::parse_fhir_datetime;
  using atrium::fhir::parse_fhir_period;
  auto at = [](const char* s) { return *parse_fhir_datetime(s); };
  auto year = parse_fhir_period("2026");
  REQUIRE(year);
  CHECK(year->start == at("2026-01-01T00:00:00Z"));
  CHECK(year->end == at("2027-01-01T00:00:00Z") - 1);
  auto feb = parse_fhir_period("2028-02");
  REQUIRE(feb);
  CHECK(feb->end == at("2028-03-01T00:00:00Z") - 1); // leap year
  auto dec = parse_fhir_period("2026-12");
  REQUIRE(dec);
  CHECK(dec->end == at("2027-01-01T00:00:00Z") - 1);
  auto day = parse_fhir_period("2026-11-26");
  REQUIRE(day);
  CHECK(day->end == at("2026-11-27T00:00:00Z") - 1);
  auto minute = parse_fhir_period("2026-11-26T14:00+02:00");
  REQUIRE(minute);
  CHECK(minute->start == at("2026-11-26T12:00:00Z"));
  CHECK(minute->end == at("2026-11-26T12:01:00Z") - 1);
  auto second = parse_fhir_period("2026-11-26T14:00:05Z");
  REQUIRE(second);
  CHECK(second->end - second->start == 999'999);
  auto centis = parse_fhir_period("2026-11-26T14:00:05.25Z");
  REQUIRE(centis);
  CHECK(centis->end - centis->start == 9'999);
  CHECK_FALSE(parse_fhir_period("2026-13"));
  CHECK_FALSE(parse_fhir_period("soon"));
}
