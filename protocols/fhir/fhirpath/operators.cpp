// Equality, equivalence, comparison, three-valued logic, membership, union
// and arithmetic (FHIRPath N1 §6).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "protocols/fhir/fhirpath/engine.hpp"

namespace atrium::fhir::fhirpath {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

bool is_complex(const item& it) {
  const json_node* n = it.node();
  return n && n->has_value &&
         (n->value.type() == element_type::OBJECT || n->value.type() == element_type::ARRAY);
}

bool json_equal(element a, element b) {
  const auto ta = a.type(), tb = b.type();
  const bool na = a.is_number(), nb = b.is_number();
  if (na && nb) {
    return json_double(a) == json_double(b);
  }
  if (ta != tb) return false;
  switch (ta) {
  case element_type::OBJECT: {
    simdjson::dom::object oa, ob;
    if (a.get_object().get(oa) || b.get_object().get(ob)) return false;
    if (oa.size() != ob.size()) return false;
    for (auto field : oa) {
      element other;
      if (ob.at_key(field.key).get(other) != simdjson::SUCCESS) return false;
      if (!json_equal(field.value, other)) return false;
    }
    return true;
  }
  case element_type::ARRAY: {
    simdjson::dom::array xa, xb;
    if (a.get_array().get(xa) || b.get_array().get(xb)) return false;
    if (xa.size() != xb.size()) return false;
    auto ib = xb.begin();
    for (element x : xa) {
      if (!json_equal(x, *ib)) return false;
      ++ib;
    }
    return true;
  }
  case element_type::STRING: return json_string(a) == json_string(b);
  case element_type::BOOL: return json_bool(a) == json_bool(b);
  default: return true; // null
  }
}

std::optional<long double> number_of(const item& it) {
  if (const auto* i = std::get_if<std::int64_t>(&it.v)) return static_cast<long double>(*i);
  if (const auto* d = std::get_if<decimal>(&it.v)) return d->value;
  return std::nullopt;
}

// A string compared with a date/time is read as one (FHIR dates are strings in JSON).
std::optional<temporal> temporal_of(const item& it, temporal_kind like) {
  if (const auto* t = std::get_if<temporal>(&it.v)) return *t;
  if (const auto* s = std::get_if<std::string>(&it.v))
    return like == temporal_kind::time ? parse_time(*s) : parse_datetime(*s);
  return std::nullopt;
}

std::string normalized(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

enum class mode { equal, equivalent };

std::optional<bool> compare_system(const item& a, const item& b, mode m) {
  if (auto x = number_of(a)) {
    auto y = number_of(b);
    if (!y) return false;
    if (m == mode::equivalent) {
      // Equivalence rounds to the less precise operand; at least agree to 1e-8.
      return std::fabs(*x - *y) < 1e-8L || decimal_equal(*x, *y);
    }
    return decimal_equal(*x, *y);
  }
  if (const auto* s = std::get_if<std::string>(&a.v)) {
    if (const auto* t = std::get_if<std::string>(&b.v))
      return m == mode::equal ? *s == *t : normalized(*s) == normalized(*t);
    if (std::holds_alternative<temporal>(b.v)) return compare_system(b, a, m);
    return false;
  }
  if (const auto* x = std::get_if<bool>(&a.v)) {
    const auto* y = std::get_if<bool>(&b.v);
    return y && *x == *y;
  }
  if (const auto* t = std::get_if<temporal>(&a.v)) {
    auto u = temporal_of(b, t->kind);
    if (!u) return false;
    if ((t->kind == temporal_kind::time) != (u->kind == temporal_kind::time)) return false;
    auto c = compare_temporal(*t, *u);
    if (!c) return m == mode::equal ? std::nullopt : std::optional<bool>(false);
    return *c == 0;
  }
  if (const auto* q = std::get_if<quantity>(&a.v)) {
    const auto* r = std::get_if<quantity>(&b.v);
    if (!r) return false;
    auto v = convert_quantity(*r, q->unit, m == mode::equivalent);
    if (!v) return m == mode::equal ? std::nullopt : std::optional<bool>(false);
    return m == mode::equal ? decimal_equal(q->value, *v) : std::fabs(q->value - *v) < 1e-8L;
  }
  return false;
}

std::optional<bool> compare_items(const item& a, const item& b, mode m) {
  if (is_complex(a) || is_complex(b)) {
    if (is_complex(a) && is_complex(b)) return json_equal(a.node()->value, b.node()->value);
    // A Quantity node against a quantity literal.
    auto x = to_system(a), y = to_system(b);
    if (!x || !y) return false;
    return compare_system(*x, *y, m);
  }
  auto x = to_system(a), y = to_system(b);
  if (!x || !y) return false;
  return compare_system(*x, *y, m);
}

// <, <=, >, >=: -1/0/1, nullopt when not comparable (different precision).
result<std::optional<int>> order(const item& a0, const item& b0, const node& n) {
  auto a = to_system(a0), b = to_system(b0);
  if (!a || !b) return eval_error(n, "cannot compare these values");
  if (auto x = number_of(*a)) {
    auto y = number_of(*b);
    if (!y) return eval_error(n, "cannot compare a number with another type");
    if (decimal_equal(*x, *y)) return std::optional<int>(0);
    return std::optional<int>(*x < *y ? -1 : 1);
  }
  if (const auto* t = std::get_if<temporal>(&a->v)) {
    auto u = temporal_of(*b, t->kind);
    if (!u) return eval_error(n, "cannot compare a date/time with another type");
    return compare_temporal(*t, *u);
  }
  if (const auto* s = std::get_if<std::string>(&a->v)) {
    if (const auto* t = std::get_if<std::string>(&b->v)) {
      const int c = s->compare(*t);
      return std::optional<int>(c < 0 ? -1 : c > 0 ? 1 : 0);
    }
    if (std::holds_alternative<temporal>(b->v)) {
      auto c = order(*b, *a, n);
      if (!c || !*c) return c;
      return std::optional<int>(-**c);
    }
    return eval_error(n, "cannot compare a string with another type");
  }
  if (const auto* q = std::get_if<quantity>(&a->v)) {
    const auto* r = std::get_if<quantity>(&b->v);
    if (!r) return eval_error(n, "cannot compare a quantity with another type");
    auto v = convert_quantity(*r, q->unit, false);
    if (!v) return std::optional<int>();
    if (decimal_equal(q->value, *v)) return std::optional<int>(0);
    return std::optional<int>(q->value < *v ? -1 : 1);
  }
  return eval_error(n, "these values have no order");
}

collection boolean(std::optional<bool> b) {
  if (!b) return {};
  return collection{item(*b)};
}

result<collection> logic(const node& n, const collection& l, const collection& r) {
  auto a = to_logic(l, n);
  if (!a) return a.error();
  auto b = to_logic(r, n);
  if (!b) return b.error();
  const std::optional<bool> x = *a, y = *b;
  switch (n.op) {
  case binary_op::and_:
    if (x == false || y == false) return boolean(false);
    if (x && y) return boolean(true);
    return collection{};
  case binary_op::or_:
    if (x == true || y == true) return boolean(true);
    if (x && y) return boolean(false);
    return collection{};
  case binary_op::xor_:
    if (!x || !y) return collection{};
    return boolean(*x != *y);
  default: // implies
    if (x == false) return boolean(true);
    if (x == true) return y ? boolean(*y) : collection{};
    if (y == true) return boolean(true);
    return collection{};
  }
}

std::optional<quantity> quantity_arith(binary_op op, const quantity& a, const item& b) {
  if (const auto* q = std::get_if<quantity>(&b.v)) {
    if (op == binary_op::add || op == binary_op::sub) {
      auto v = convert_quantity(*q, a.unit, false);
      if (!v) return std::nullopt;
      return quantity{op == binary_op::add ? a.value + *v : a.value - *v, a.unit};
    }
    if (op == binary_op::mul)
      return quantity{a.value * q->value, a.unit == "1" ? q->unit : q->unit == "1" ? a.unit : a.unit + "." + q->unit};
    if (op == binary_op::div) {
      if (q->value == 0) return std::nullopt;
      auto v = convert_quantity(*q, a.unit, false);
      if (v) return quantity{a.value / *v, "1"};
      return quantity{a.value / q->value, a.unit + "/" + q->unit};
    }
    return std::nullopt;
  }
  auto x = number_of(b);
  if (!x) return std::nullopt;
  if (op == binary_op::mul) return quantity{a.value * *x, a.unit};
  if (op == binary_op::div && *x != 0) return quantity{a.value / *x, a.unit};
  return std::nullopt;
}

result<collection> arithmetic(const node& n, const collection& l, const collection& r) {
  if (n.op == binary_op::concat) {
    auto a = singleton(l, n);
    if (!a) return a.error();
    auto b = singleton(r, n);
    if (!b) return b.error();
    std::string out;
    if (*a) out += to_text(**a).value_or("");
    if (*b) out += to_text(**b).value_or("");
    return collection{item(std::move(out))};
  }
  auto a0 = singleton(l, n);
  if (!a0) return a0.error();
  auto b0 = singleton(r, n);
  if (!b0) return b0.error();
  if (!*a0 || !*b0) return collection{};
  auto a = to_system(**a0), b = to_system(**b0);
  if (!a || !b) return eval_error(n, "arithmetic needs primitive operands");
  const binary_op op = n.op;
  if (op == binary_op::add) {
    const auto* s = std::get_if<std::string>(&a->v);
    const auto* t = std::get_if<std::string>(&b->v);
    if (s && t) return collection{item(*s + *t)};
  }
  if (const auto* t = std::get_if<temporal>(&a->v)) {
    const auto* q = std::get_if<quantity>(&b->v);
    if (!q || (op != binary_op::add && op != binary_op::sub))
      return eval_error(n, "only a quantity can be added to or subtracted from a date/time");
    auto r2 = add_duration(*t, op == binary_op::add ? q->value : -q->value, q->unit);
    if (!r2) return eval_error(n, "'" + q->unit + "' is not a unit of time");
    return collection{item(*r2)};
  }
  if (const auto* q = std::get_if<quantity>(&a->v)) {
    auto r2 = quantity_arith(op, *q, *b);
    if (!r2) return collection{};
    return collection{item(std::move(*r2))};
  }
  if (const auto* q = std::get_if<quantity>(&b->v); q && op == binary_op::mul) {
    auto r2 = quantity_arith(op, *q, *a);
    if (!r2) return collection{};
    return collection{item(std::move(*r2))};
  }
  auto x = number_of(*a), y = number_of(*b);
  if (!x || !y) return eval_error(n, "arithmetic on non-numeric values");
  const auto* i = std::get_if<std::int64_t>(&a->v);
  const auto* j = std::get_if<std::int64_t>(&b->v);
  if (i && j) {
    std::int64_t out = 0;
    switch (op) {
    case binary_op::add: if (__builtin_add_overflow(*i, *j, &out)) return collection{}; return collection{item(out)};
    case binary_op::sub: if (__builtin_sub_overflow(*i, *j, &out)) return collection{}; return collection{item(out)};
    case binary_op::mul: if (__builtin_mul_overflow(*i, *j, &out)) return collection{}; return collection{item(out)};
    case binary_op::int_div: if (*j == 0) return collection{}; return collection{item(*i / *j)};
    case binary_op::mod: if (*j == 0) return collection{}; return collection{item(*i % *j)};
    default: break;
    }
  }
  switch (op) {
  case binary_op::add: return collection{item(decimal{*x + *y})};
  case binary_op::sub: return collection{item(decimal{*x - *y})};
  case binary_op::mul: return collection{item(decimal{*x * *y})};
  case binary_op::div: if (*y == 0) return collection{}; return collection{item(decimal{*x / *y})};
  case binary_op::int_div: if (*y == 0) return collection{}; return collection{item(static_cast<std::int64_t>(std::trunc(*x / *y)))};
  case binary_op::mod: if (*y == 0) return collection{}; return collection{item(decimal{std::fmod(*x, *y)})};
  default: return eval_error(n, "unknown arithmetic operator");
  }
}

} // namespace

std::optional<bool> items_equal(const item& a, const item& b) { return compare_items(a, b, mode::equal); }

bool items_equivalent(const item& a, const item& b) {
  return compare_items(a, b, mode::equivalent).value_or(false);
}

std::optional<bool> collections_equal(const collection& a, const collection& b) {
  if (a.empty() || b.empty()) return std::nullopt;
  if (a.size() != b.size()) return false;
  bool unknown = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto e = items_equal(a[i], b[i]);
    if (!e) unknown = true;
    else if (!*e) return false;
  }
  if (unknown) return std::nullopt;
  return true;
}

bool collections_equivalent(const collection& a, const collection& b) {
  if (a.size() != b.size()) return false;
  std::vector<bool> used(b.size(), false);
  for (const item& x : a) {
    bool found = false;
    for (std::size_t j = 0; j < b.size() && !found; ++j) {
      if (!used[j] && items_equivalent(x, b[j])) used[j] = found = true;
    }
    if (!found) return false;
  }
  return true;
}

bool contains_item(const collection& coll, const item& it) {
  for (const item& x : coll)
    if (items_equal(x, it).value_or(false)) return true;
  return false;
}

void append_distinct(collection& out, const collection& from) {
  for (const item& it : from)
    if (!contains_item(out, it)) out.push_back(it);
}

result<std::optional<bool>> to_logic(const collection& c, const node& where) {
  if (c.empty()) return std::optional<bool>();
  if (c.size() > 1)
    return eval_error(where, "expected a single Boolean, got " + std::to_string(c.size()) + " items");
  if (const auto* b = std::get_if<bool>(&c.front().v)) return std::optional<bool>(*b);
  if (const json_node* n = c.front().node(); n && n->has_value && n->value.is_bool())
    return std::optional<bool>(json_bool(n->value));
  return std::optional<bool>(true);
}

result<collection> apply_negate(const node& n, const collection& operand) {
  auto one = singleton(operand, n);
  if (!one) return one.error();
  if (!*one) return collection{};
  auto v = to_system(**one);
  if (v) {
    if (auto* i = std::get_if<std::int64_t>(&v->v)) return collection{item(-*i)};
    if (auto* d = std::get_if<decimal>(&v->v)) return collection{item(decimal{-d->value})};
    if (auto* q = std::get_if<quantity>(&v->v)) return collection{item(quantity{-q->value, q->unit})};
  }
  return eval_error(n, "unary minus needs a number or a quantity");
}

result<collection> apply_binary(engine&, const node& n, const collection& l, const collection& r) {
  switch (n.op) {
  case binary_op::and_:
  case binary_op::or_:
  case binary_op::xor_:
  case binary_op::implies: return logic(n, l, r);
  case binary_op::eq: return boolean(collections_equal(l, r));
  case binary_op::ne: {
    auto e = collections_equal(l, r);
    if (!e) return collection{};
    return boolean(!*e);
  }
  case binary_op::equiv: return boolean(collections_equivalent(l, r));
  case binary_op::not_equiv: return boolean(!collections_equivalent(l, r));
  case binary_op::lt:
  case binary_op::le:
  case binary_op::gt:
  case binary_op::ge: {
    auto a = singleton(l, n);
    if (!a) return a.error();
    auto b = singleton(r, n);
    if (!b) return b.error();
    if (!*a || !*b) return collection{};
    auto c = order(**a, **b, n);
    if (!c) return c.error();
    if (!*c) return collection{};
    const int v = **c;
    switch (n.op) {
    case binary_op::lt: return boolean(v < 0);
    case binary_op::le: return boolean(v <= 0);
    case binary_op::gt: return boolean(v > 0);
    default: return boolean(v >= 0);
    }
  }
  case binary_op::union_: {
    collection out;
    append_distinct(out, l);
    append_distinct(out, r);
    return out;
  }
  case binary_op::in:
  case binary_op::contains: {
    const collection& needle = n.op == binary_op::in ? l : r;
    const collection& hay = n.op == binary_op::in ? r : l;
    auto one = singleton(needle, n);
    if (!one) return one.error();
    if (!*one) return collection{};
    return boolean(contains_item(hay, **one));
  }
  default: return arithmetic(n, l, r);
  }
}

} // namespace atrium::fhir::fhirpath
