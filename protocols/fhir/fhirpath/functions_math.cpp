// Math functions (FHIRPath N1 §5.7 and N2's exp). Results that are not real
// numbers (sqrt(-1), ln(0)) are empty rather than NaN.
#include <cmath>

#include "protocols/fhir/fhirpath/engine.hpp"

namespace atrium::fhir::fhirpath {

namespace {

using F = function_id;

result<std::optional<item>> number(const collection& c, const node& n) {
  auto one = singleton(c, n);
  if (!one) return one.error();
  if (!*one) return std::optional<item>();
  auto v = to_system(**one);
  if (!v || !(std::holds_alternative<std::int64_t>(v->v) || std::holds_alternative<decimal>(v->v) ||
              (n.fn == F::abs && std::holds_alternative<quantity>(v->v))))
    return eval_error(n, n.name + "() needs a number");
  return v;
}

long double as_long_double(const item& it) {
  if (const auto* i = std::get_if<std::int64_t>(&it.v)) return static_cast<long double>(*i);
  return std::get<decimal>(it.v).value;
}

collection decimal_result(long double v) {
  if (std::isnan(v) || std::isinf(v)) return {};
  return collection{item(decimal{v})};
}

collection integer_result(long double v) {
  if (std::isnan(v) || std::isinf(v)) return {};
  return collection{item(static_cast<std::int64_t>(v))};
}

} // namespace

result<collection> call_math_function(const node& n, const collection& input,
                                      const std::vector<collection>& args) {
  auto in = number(input, n);
  if (!in) return in.error();
  if (!*in) return collection{};
  const item& v = **in;
  if (const auto* q = std::get_if<quantity>(&v.v))
    return collection{item(quantity{std::fabs(q->value), q->unit})};
  const bool integer = std::holds_alternative<std::int64_t>(v.v);
  const long double x = as_long_double(v);
  std::optional<long double> arg;
  bool arg_integer = false;
  if (!args.empty()) {
    auto a = number(args[0], n);
    if (!a) return a.error();
    if (!*a) {
      if (n.fn != F::round) return collection{};
    } else {
      arg = as_long_double(**a);
      arg_integer = std::holds_alternative<std::int64_t>((**a).v);
    }
  }
  switch (n.fn) {
  case F::abs:
    if (integer) return collection{item(static_cast<std::int64_t>(std::fabs(x)))};
    return decimal_result(std::fabs(x));
  case F::ceiling: return integer_result(std::ceil(x));
  case F::floor: return integer_result(std::floor(x));
  case F::truncate: return integer_result(std::trunc(x));
  case F::exp: return decimal_result(std::exp(x));
  case F::ln: return x <= 0 ? collection{} : decimal_result(std::log(x));
  case F::log:
    if (x <= 0 || *arg <= 0 || *arg == 1) return collection{};
    return decimal_result(std::log(x) / std::log(*arg));
  case F::sqrt: return x < 0 ? collection{} : decimal_result(std::sqrt(x));
  case F::power: {
    const long double r = std::pow(x, *arg);
    if (integer && arg_integer && *arg >= 0 && std::fabs(r) < 9.2e18L) return integer_result(r);
    return decimal_result(r);
  }
  case F::round: {
    const long double digits = arg.value_or(0);
    if (digits < 0) return eval_error(n, "round() precision must not be negative");
    const long double scale = std::pow(10.0L, digits);
    // Round half away from zero, as the spec's examples do.
    return decimal_result(std::round(x * scale) / scale);
  }
  default: return eval_error(n, "not a math function");
  }
}

} // namespace atrium::fhir::fhirpath
