// Conversion functions (FHIRPath N1 §5.5): toX() yields empty when the item
// does not convert; convertsToX() says whether it would.
#include <cctype>
#include <cstdlib>

#include "protocols/fhir/fhirpath/engine.hpp"

namespace atrium::fhir::fhirpath {

namespace {

using F = function_id;

bool integer_text(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  if (s.empty() || s.size() > 18) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

bool decimal_text(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  const auto dot = s.find('.');
  if (dot == std::string_view::npos) return integer_text(s);
  return integer_text(s.substr(0, dot)) && dot + 1 < s.size() &&
         integer_text(s.substr(dot + 1)) && s[dot + 1] != '+' && s[dot + 1] != '-';
}

std::optional<item> to_boolean(const item& v) {
  if (std::holds_alternative<bool>(v.v)) return v;
  if (const auto* i = std::get_if<std::int64_t>(&v.v)) {
    if (*i == 1 || *i == 0) return item(*i == 1);
    return std::nullopt;
  }
  if (const auto* d = std::get_if<decimal>(&v.v)) {
    if (d->value == 1 || d->value == 0) return item(d->value == 1);
    return std::nullopt;
  }
  if (const auto* s = std::get_if<std::string>(&v.v)) {
    std::string l;
    for (char c : *s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (l == "true" || l == "t" || l == "yes" || l == "y" || l == "1" || l == "1.0") return item(true);
    if (l == "false" || l == "f" || l == "no" || l == "n" || l == "0" || l == "0.0") return item(false);
  }
  return std::nullopt;
}

std::optional<item> to_integer(const item& v) {
  if (std::holds_alternative<std::int64_t>(v.v)) return v;
  if (const auto* b = std::get_if<bool>(&v.v)) return item(std::int64_t{*b ? 1 : 0});
  if (const auto* s = std::get_if<std::string>(&v.v); s && integer_text(*s))
    return item(static_cast<std::int64_t>(std::strtoll(s->c_str(), nullptr, 10)));
  return std::nullopt;
}

std::optional<item> to_decimal(const item& v) {
  if (std::holds_alternative<decimal>(v.v)) return v;
  if (const auto* i = std::get_if<std::int64_t>(&v.v)) return item(decimal{static_cast<long double>(*i)});
  if (const auto* b = std::get_if<bool>(&v.v)) return item(decimal{*b ? 1.0L : 0.0L});
  if (const auto* s = std::get_if<std::string>(&v.v); s && decimal_text(*s))
    return item(decimal{std::strtold(s->c_str(), nullptr)});
  return std::nullopt;
}

std::optional<item> to_date(const item& v, F fn) {
  temporal t;
  if (const auto* x = std::get_if<temporal>(&v.v)) {
    if (x->kind == temporal_kind::time) return std::nullopt;
    t = *x;
  } else if (const auto* s = std::get_if<std::string>(&v.v)) {
    auto parsed = parse_datetime(*s);
    if (!parsed) return std::nullopt;
    t = *parsed;
  } else {
    return std::nullopt;
  }
  if (fn == F::to_date) {
    t.kind = temporal_kind::date;
    if (t.prec > precision::day) t.prec = precision::day;
    t.has_tz = false;
    t.tz_minutes = 0;
  } else {
    t.kind = temporal_kind::datetime;
  }
  return item(t);
}

std::optional<item> to_time(const item& v) {
  if (const auto* x = std::get_if<temporal>(&v.v); x && x->kind == temporal_kind::time) return v;
  if (const auto* s = std::get_if<std::string>(&v.v)) {
    if (auto t = parse_time(*s)) return item(*t);
  }
  return std::nullopt;
}

// "4.5 'mg'", "4 days", "4" → a quantity.
std::optional<quantity> parse_quantity_text(std::string_view s) {
  const auto space = s.find(' ');
  const std::string_view number = s.substr(0, space);
  if (!decimal_text(number)) return std::nullopt;
  quantity q{std::strtold(std::string(number).c_str(), nullptr), "1"};
  if (space == std::string_view::npos) return q;
  std::string_view unit = s.substr(space + 1);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  if (unit.size() >= 2 && unit.front() == '\'' && unit.back() == '\'') {
    q.unit = std::string(unit.substr(1, unit.size() - 2));
    return q;
  }
  if (is_calendar_keyword(unit)) {
    q.unit = normalize_unit(unit);
    return q;
  }
  return std::nullopt;
}

std::optional<item> to_quantity(const item& v, const std::optional<std::string>& unit) {
  std::optional<quantity> q;
  if (const auto* x = std::get_if<quantity>(&v.v)) q = *x;
  else if (const auto* i = std::get_if<std::int64_t>(&v.v)) q = quantity{static_cast<long double>(*i), "1"};
  else if (const auto* d = std::get_if<decimal>(&v.v)) q = quantity{d->value, "1"};
  else if (const auto* b = std::get_if<bool>(&v.v)) q = quantity{*b ? 1.0L : 0.0L, "1"};
  else if (const auto* s = std::get_if<std::string>(&v.v)) q = parse_quantity_text(*s);
  if (!q) return std::nullopt;
  if (unit) {
    auto converted = convert_quantity(*q, *unit, false);
    if (!converted) return std::nullopt;
    return item(quantity{*converted, *unit});
  }
  return item(std::move(*q));
}

} // namespace

result<collection> call_conversion_function(const node& n, const collection& input,
                                            const std::vector<collection>& args) {
  auto one = singleton(input, n);
  if (!one) return one.error();
  if (!*one) return collection{};
  const std::optional<item> v = to_system(**one);
  std::optional<item> out;
  if (v) {
    switch (n.fn) {
    case F::to_boolean: case F::converts_to_boolean: out = to_boolean(*v); break;
    case F::to_integer: case F::converts_to_integer: out = to_integer(*v); break;
    case F::to_decimal: case F::converts_to_decimal: out = to_decimal(*v); break;
    case F::to_string: case F::converts_to_string: {
      if (auto s = to_text(**one)) out = item(std::move(*s));
      break;
    }
    case F::to_date: case F::converts_to_date: out = to_date(*v, F::to_date); break;
    case F::to_date_time: case F::converts_to_date_time: out = to_date(*v, F::to_date_time); break;
    case F::to_time: case F::converts_to_time: out = to_time(*v); break;
    case F::to_quantity: case F::converts_to_quantity: {
      std::optional<std::string> unit;
      if (!args.empty() && !args[0].empty()) unit = to_text(args[0].front());
      out = to_quantity(*v, unit);
      break;
    }
    default: return eval_error(n, "not a conversion function");
    }
  }
  switch (n.fn) {
  case F::converts_to_boolean: case F::converts_to_integer: case F::converts_to_decimal:
  case F::converts_to_string: case F::converts_to_date: case F::converts_to_date_time:
  case F::converts_to_time: case F::converts_to_quantity:
    return collection{item(out.has_value())};
  default:
    if (!out) return collection{};
    return collection{std::move(*out)};
  }
}

} // namespace atrium::fhir::fhirpath
