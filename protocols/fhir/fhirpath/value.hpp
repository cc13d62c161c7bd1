#pragma once
// FHIRPath values. A collection is an ordered list of items; an item is either
// a node of the resource's JSON (with its FHIR type when the path tells it) or
// a System value produced by a literal, an operator or a function.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <simdjson.h>

namespace atrium::fhir::fhirpath {

/// A node of the evaluated JSON. FHIR JSON splits a primitive into its value
/// ("birthDate") and its id/extensions ("_birthDate"); both halves are kept so
/// that `birthDate.extension` works and a primitive with only extensions exists.
struct json_node {
  simdjson::dom::element value;     // valid when has_value
  simdjson::dom::element extras;    // the "_name" object, valid when has_extras
  bool has_value = false;
  bool has_extras = false;
  std::string_view type;            // FHIR type name ("Quantity", "dateTime", "Patient"); "" = unknown
};

/// What resolve() yields for a Reference when no resolver supplies the target:
/// only its type is known, which is enough for `resolve() is Patient`.
struct reference_target {
  std::string type;
  std::string reference;
};

struct decimal {
  long double value = 0;
};

enum class temporal_kind : std::uint8_t { date, datetime, time };

/// Precision of a date/time: the last component given. Seconds and fractions
/// of a second count as one precision when comparing (spec §6.1.3).
enum class precision : std::uint8_t { year, month, day, hour, minute, second, millisecond };

struct temporal {
  temporal_kind kind = temporal_kind::date;
  precision prec = precision::year;
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0;
  bool has_tz = false;
  int tz_minutes = 0; // offset east of UTC
};

struct quantity {
  long double value = 0;
  std::string unit; // UCUM code, or a calendar keyword in singular form ("year")
};

using item_value = std::variant<json_node, bool, std::string, std::int64_t, decimal, temporal,
                                quantity, reference_target>;

struct item {
  item_value v;

  item() = default;
  item(json_node n) : v(n) {}
  item(bool b) : v(b) {}
  item(std::string s) : v(std::move(s)) {}
  item(const char*) = delete;
  item(std::int64_t i) : v(i) {}
  item(decimal d) : v(d) {}
  item(temporal t) : v(t) {}
  item(quantity q) : v(std::move(q)) {}
  item(reference_target r) : v(std::move(r)) {}

  const json_node* node() const { return std::get_if<json_node>(&v); }
};

using collection = std::vector<item>;

// ---- temporal --------------------------------------------------------------

/// Parses the text of a date ("2020", "2020-01", "2020-01-01"), dateTime
/// ("2020-01-01T10:00:00.000+01:00", also "2020-01-01T") or time ("10:00:00").
std::optional<temporal> parse_date(std::string_view text);
std::optional<temporal> parse_datetime(std::string_view text); // accepts a date too
std::optional<temporal> parse_time(std::string_view text);
std::string format_temporal(const temporal& t);

/// -1, 0, 1, or nullopt when the precisions differ and the common part is equal
/// (the spec's "uncertain" result). `equal_only` is the `=` rule.
std::optional<int> compare_temporal(const temporal& a, const temporal& b);

/// Adds `amount` of a calendar or UCUM time unit; nullopt for other units.
std::optional<temporal> add_duration(const temporal& t, long double amount, std::string_view unit);

// ---- quantities ------------------------------------------------------------

/// "years" → "year", "'a'" stays "a". Calendar keywords are singular.
std::string normalize_unit(std::string_view unit);
bool is_calendar_keyword(std::string_view word);
/// Brings b into a's unit when both are convertible (mg↔g, min↔h, day↔d…).
std::optional<long double> convert_quantity(const quantity& q, std::string_view to_unit,
                                            bool equivalence);
std::string format_quantity(const quantity& q);

// ---- decimals --------------------------------------------------------------

std::string format_decimal(long double v);
bool decimal_equal(long double a, long double b);

} // namespace atrium::fhir::fhirpath
