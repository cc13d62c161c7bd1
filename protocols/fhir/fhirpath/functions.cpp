// The function table and the functions that work on collections: existence,
// filtering, subsetting, combining, tree navigation and the FHIR additions.
#include "protocols/fhir/fhirpath/functions.hpp"

#include "protocols/fhir/fhirpath/engine.hpp"
#include "protocols/fhir/fhirpath/types.hpp"
#include "protocols/fhir/resource_types.hpp"

namespace atrium::fhir::fhirpath {

namespace {

using F = function_id;

constexpr function_spec table[] = {
    {"empty", F::empty, 0, 0, 0, false},
    {"exists", F::exists, 0, 1, 1, false},
    {"all", F::all, 1, 1, 1, false},
    {"allTrue", F::all_true, 0, 0, 0, false},
    {"anyTrue", F::any_true, 0, 0, 0, false},
    {"allFalse", F::all_false, 0, 0, 0, false},
    {"anyFalse", F::any_false, 0, 0, 0, false},
    {"subsetOf", F::subset_of, 1, 1, 0, false},
    {"supersetOf", F::superset_of, 1, 1, 0, false},
    {"count", F::count, 0, 0, 0, false},
    {"distinct", F::distinct, 0, 0, 0, false},
    {"isDistinct", F::is_distinct, 0, 0, 0, false},
    {"where", F::where, 1, 1, 1, false},
    {"select", F::select, 1, 1, 1, false},
    {"repeat", F::repeat, 1, 1, 1, false},
    {"ofType", F::of_type, 1, 1, 0, true},
    {"as", F::as, 1, 1, 0, true},
    {"is", F::is, 1, 1, 0, true},
    {"single", F::single, 0, 0, 0, false},
    {"first", F::first, 0, 0, 0, false},
    {"last", F::last, 0, 0, 0, false},
    {"tail", F::tail, 0, 0, 0, false},
    {"skip", F::skip, 1, 1, 0, false},
    {"take", F::take, 1, 1, 0, false},
    {"intersect", F::intersect, 1, 1, 0, false},
    {"exclude", F::exclude, 1, 1, 0, false},
    {"union", F::union_, 1, 1, 0, false},
    {"combine", F::combine, 1, 1, 0, false},
    {"iif", F::iif, 2, 3, 0, false},
    {"toBoolean", F::to_boolean, 0, 0, 0, false},
    {"convertsToBoolean", F::converts_to_boolean, 0, 0, 0, false},
    {"toInteger", F::to_integer, 0, 0, 0, false},
    {"convertsToInteger", F::converts_to_integer, 0, 0, 0, false},
    {"toDecimal", F::to_decimal, 0, 0, 0, false},
    {"convertsToDecimal", F::converts_to_decimal, 0, 0, 0, false},
    {"toString", F::to_string, 0, 0, 0, false},
    {"convertsToString", F::converts_to_string, 0, 0, 0, false},
    {"toDate", F::to_date, 0, 0, 0, false},
    {"convertsToDate", F::converts_to_date, 0, 0, 0, false},
    {"toDateTime", F::to_date_time, 0, 0, 0, false},
    {"convertsToDateTime", F::converts_to_date_time, 0, 0, 0, false},
    {"toTime", F::to_time, 0, 0, 0, false},
    {"convertsToTime", F::converts_to_time, 0, 0, 0, false},
    {"toQuantity", F::to_quantity, 0, 1, 0, false},
    {"convertsToQuantity", F::converts_to_quantity, 0, 1, 0, false},
    {"indexOf", F::index_of, 1, 1, 0, false},
    {"substring", F::substring, 1, 2, 0, false},
    {"startsWith", F::starts_with, 1, 1, 0, false},
    {"endsWith", F::ends_with, 1, 1, 0, false},
    {"contains", F::contains, 1, 1, 0, false},
    {"upper", F::upper, 0, 0, 0, false},
    {"lower", F::lower, 0, 0, 0, false},
    {"replace", F::replace, 2, 2, 0, false},
    {"matches", F::matches, 1, 1, 0, false},
    {"replaceMatches", F::replace_matches, 2, 2, 0, false},
    {"length", F::length, 0, 0, 0, false},
    {"toChars", F::to_chars, 0, 0, 0, false},
    {"abs", F::abs, 0, 0, 0, false},
    {"ceiling", F::ceiling, 0, 0, 0, false},
    {"floor", F::floor, 0, 0, 0, false},
    {"exp", F::exp, 0, 0, 0, false},
    {"ln", F::ln, 0, 0, 0, false},
    {"log", F::log, 1, 1, 0, false},
    {"power", F::power, 1, 1, 0, false},
    {"round", F::round, 0, 1, 0, false},
    {"sqrt", F::sqrt, 0, 0, 0, false},
    {"truncate", F::truncate, 0, 0, 0, false},
    {"children", F::children, 0, 0, 0, false},
    {"descendants", F::descendants, 0, 0, 0, false},
    {"trace", F::trace, 1, 2, 2, false},
    {"now", F::now, 0, 0, 0, false},
    {"today", F::today, 0, 0, 0, false},
    {"timeOfDay", F::time_of_day, 0, 0, 0, false},
    {"not", F::not_, 0, 0, 0, false},
    {"aggregate", F::aggregate, 1, 2, 1, false},
    {"extension", F::extension, 1, 1, 0, false},
    {"hasValue", F::has_value, 0, 0, 0, false},
    {"getValue", F::get_value, 0, 0, 0, false},
    {"resolve", F::resolve, 0, 0, 0, false},
    {"memberOf", F::member_of, 1, 1, 0, false},
    {"conformsTo", F::conforms_to, 1, 1, 0, false},
    {"htmlChecks", F::html_checks, 0, 0, 0, false},
};

collection boolean(bool b) { return collection{item(b)}; }

// Runs a per-item argument with $this = the item and $index = its position.
// `visit` returns false to stop early.
template <class Visit>
status for_each_item(engine& e, const node& arg, const collection& input, const scope& outer,
                     Visit visit) {
  collection one(1);
  for (std::size_t i = 0; i < input.size(); ++i) {
    one[0] = input[i];
    scope sc = outer;
    sc.focus = &one;
    sc.index = static_cast<std::int64_t>(i);
    auto r = e.eval(arg, sc);
    if (!r) return r.error();
    auto more = visit(i, *r);
    if (!more) return more.error();
    if (!*more) break;
  }
  return status::ok();
}

result<collection> where(engine& e, const node& n, const collection& input, const scope& sc) {
  collection out;
  auto st = for_each_item(e, *n.args[0], input, sc, [&](std::size_t i, const collection& r) -> result<bool> {
    auto b = to_logic(r, n);
    if (!b) return b.error();
    if (*b == true) out.push_back(input[i]);
    return true;
  });
  if (!st) return st;
  return out;
}

result<collection> all_criteria(engine& e, const node& n, const collection& input, const scope& sc) {
  bool all = true;
  auto st = for_each_item(e, *n.args[0], input, sc, [&](std::size_t, const collection& r) -> result<bool> {
    auto b = to_logic(r, n);
    if (!b) return b.error();
    if (*b != true) all = false;
    return all;
  });
  if (!st) return st;
  return boolean(all);
}

result<collection> select(engine& e, const node& n, const collection& input, const scope& sc) {
  collection out;
  auto st = for_each_item(e, *n.args[0], input, sc, [&](std::size_t, const collection& r) -> result<bool> {
    out.insert(out.end(), r.begin(), r.end());
    return true;
  });
  if (!st) return st;
  return out;
}

result<collection> repeat(engine& e, const node& n, const collection& input, const scope& sc) {
  collection out;
  collection frontier = input;
  // Items already seen are not expanded again, so repeat('a') ends.
  while (!frontier.empty()) {
    auto next = select(e, n, frontier, sc);
    if (!next) return next;
    frontier.clear();
    for (item& it : *next) {
      if (contains_item(out, it)) continue;
      out.push_back(it);
      frontier.push_back(std::move(it));
    }
  }
  return out;
}

result<collection> aggregate(engine& e, const node& n, const collection& input, const scope& outer,
                             collection init) {
  collection total = std::move(init);
  collection one(1);
  for (std::size_t i = 0; i < input.size(); ++i) {
    one[0] = input[i];
    scope sc = outer;
    sc.focus = &one;
    sc.index = static_cast<std::int64_t>(i);
    sc.total = &total;
    auto r = e.eval(*n.args[0], sc);
    if (!r) return r;
    total = std::move(*r);
  }
  return total;
}

result<collection> bool_set(const node& n, const collection& input) {
  std::size_t trues = 0, falses = 0;
  for (const item& it : input) {
    auto v = to_system(it);
    const bool* b = v ? std::get_if<bool>(&v->v) : nullptr;
    if (!b) return eval_error(n, n.name + "() needs Boolean items");
    (*b ? trues : falses) += 1;
  }
  switch (n.fn) {
  case F::all_true: return boolean(falses == 0);
  case F::any_true: return boolean(trues > 0);
  case F::all_false: return boolean(trues == 0);
  default: return boolean(falses > 0);
  }
}

result<std::optional<std::int64_t>> integer_arg(const collection& arg, const node& n) {
  auto one = singleton(arg, n);
  if (!one) return one.error();
  if (!*one) return std::optional<std::int64_t>();
  auto v = to_system(**one);
  const auto* i = v ? std::get_if<std::int64_t>(&v->v) : nullptr;
  if (!i) return eval_error(n, n.name + "() needs an Integer argument");
  return std::optional<std::int64_t>(*i);
}

// The text of a reference: a Reference's "reference", or a canonical/uri string.
std::optional<std::string> reference_text(const item& it, std::string& type_hint) {
  const json_node* n = it.node();
  if (n && n->has_value && n->value.is_object()) {
    std::string_view ref, type;
    if (n->value["type"].get(type) == simdjson::SUCCESS) type_hint = std::string(type);
    if (n->value["reference"].get(ref) == simdjson::SUCCESS) return std::string(ref);
    return std::nullopt;
  }
  if (auto s = to_system(it); s && std::holds_alternative<std::string>(s->v))
    return std::get<std::string>(s->v);
  return std::nullopt;
}

// "Patient/1", "http://x/fhir/Patient/1/_history/2" → "Patient".
std::string type_from_reference(std::string_view ref) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const auto slash = ref.find('/', start);
    parts.push_back(ref.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() >= 4 && parts[parts.size() - 2] == "_history") parts.resize(parts.size() - 2);
  if (parts.size() >= 2 && find_resource_type(parts[parts.size() - 2]))
    return std::string(parts[parts.size() - 2]);
  return {};
}

void resolve_one(engine& e, const item& it, collection& out) {
  std::string type_hint;
  auto ref = reference_text(it, type_hint);
  if (ref && ref->starts_with("#")) {
    // A contained resource of the resource being evaluated.
    collection contained;
    navigate(e.resource().front(), "contained", contained);
    for (const item& c : contained) {
      std::string_view id;
      if (c.node() && c.node()->value["id"].get(id) == simdjson::SUCCESS && id == ref->substr(1)) {
        out.push_back(c);
        return;
      }
    }
    return;
  }
  if (ref && e.ctx().resolve) {
    if (auto target = e.ctx().resolve(*ref)) {
      out.push_back(json_item(*target));
      return;
    }
  }
  std::string type = ref ? type_from_reference(*ref) : std::string();
  if (type.empty() && !type_hint.empty()) {
    const auto slash = type_hint.rfind('/');
    type = slash == std::string::npos ? type_hint : type_hint.substr(slash + 1);
  }
  if (type.empty() || !find_resource_type(type)) return;
  out.push_back(item(reference_target{std::move(type), ref.value_or("")}));
}

bool has_primitive_value(const item& it) {
  if (const json_node* n = it.node())
    return n->has_value && !n->value.is_object() && !n->value.is_array();
  return !std::holds_alternative<reference_target>(it.v);
}

result<collection> call_now(engine& e, function_id fn) {
  temporal t = e.now();
  if (fn == F::today) {
    t.kind = temporal_kind::date;
    t.prec = precision::day;
    t.has_tz = false;
    t.hour = t.minute = t.second = t.millis = 0;
  } else if (fn == F::time_of_day) {
    t.kind = temporal_kind::time;
    t.has_tz = false;
  }
  return collection{item(t)};
}

} // namespace

const function_spec* find_function(std::string_view name) {
  for (const auto& f : table)
    if (f.name == name) return &f;
  return nullptr;
}

result<collection> call_function(engine& e, const node& n, const collection& input, const scope& sc) {
  switch (n.fn) {
  case F::where: return where(e, n, input, sc);
  case F::select: return select(e, n, input, sc);
  case F::repeat: return repeat(e, n, input, sc);
  case F::all: return all_criteria(e, n, input, sc);
  case F::exists: {
    if (n.args.empty()) return boolean(!input.empty());
    auto found = where(e, n, input, sc);
    if (!found) return found;
    return boolean(!found->empty());
  }
  case F::aggregate: {
    collection init;
    if (n.args.size() > 1) {
      auto r = e.eval(*n.args[1], sc);
      if (!r) return r;
      init = std::move(*r);
    }
    return aggregate(e, n, input, sc, std::move(init));
  }
  case F::trace: return input;
  case F::iif: {
    // Only the chosen branch is evaluated. Called on a collection, that
    // collection (one item at most) is $this for the arguments.
    scope inner = sc;
    if (n.target) {
      if (input.size() > 1) return eval_error(n, "iif() on more than one item");
      inner.focus = &input;
    }
    auto c = e.eval(*n.args[0], inner);
    if (!c) return c;
    auto b = to_logic(*c, n);
    if (!b) return b.error();
    if (*b == true) return e.eval(*n.args[1], inner);
    if (n.args.size() > 2) return e.eval(*n.args[2], inner);
    return collection{};
  }
  default: break;
  }

  // The remaining functions take their arguments evaluated once.
  std::vector<collection> args;
  args.reserve(n.args.size());
  for (const auto& a : n.args) {
    auto r = e.eval(*a, sc);
    if (!r) return r;
    args.push_back(std::move(*r));
  }

  switch (n.fn) {
  case F::empty: return boolean(input.empty());
  case F::all_true:
  case F::any_true:
  case F::all_false:
  case F::any_false: return bool_set(n, input);
  case F::subset_of:
  case F::superset_of: {
    const collection& small = n.fn == F::subset_of ? input : args[0];
    const collection& big = n.fn == F::subset_of ? args[0] : input;
    for (const item& it : small)
      if (!contains_item(big, it)) return boolean(false);
    return boolean(true);
  }
  case F::count: return collection{item(static_cast<std::int64_t>(input.size()))};
  case F::distinct: {
    collection out;
    append_distinct(out, input);
    return out;
  }
  case F::is_distinct: {
    collection out;
    append_distinct(out, input);
    return boolean(out.size() == input.size());
  }
  case F::of_type:
  case F::as: {
    collection out;
    for (const item& it : input)
      if (type_matches(it, n.type)) out.push_back(it);
    return out;
  }
  case F::is: {
    auto one = singleton(input, n);
    if (!one) return one.error();
    if (!*one) return collection{};
    return boolean(type_matches(**one, n.type));
  }
  case F::single: {
    auto one = singleton(input, n);
    if (!one) return one.error();
    if (!*one) return collection{};
    return collection{**one};
  }
  case F::first: return input.empty() ? collection{} : collection{input.front()};
  case F::last: return input.empty() ? collection{} : collection{input.back()};
  case F::tail: return input.size() <= 1 ? collection{} : collection(input.begin() + 1, input.end());
  case F::skip:
  case F::take: {
    auto k = integer_arg(args[0], n);
    if (!k) return k.error();
    if (!*k) return n.fn == F::skip ? input : collection{};
    const auto count = static_cast<std::size_t>(**k < 0 ? 0 : **k);
    const std::size_t cut = count < input.size() ? count : input.size();
    if (n.fn == F::skip) return collection(input.begin() + static_cast<std::ptrdiff_t>(cut), input.end());
    return collection(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(cut));
  }
  case F::intersect: {
    collection out;
    for (const item& it : input)
      if (contains_item(args[0], it) && !contains_item(out, it)) out.push_back(it);
    return out;
  }
  case F::exclude: {
    collection out;
    for (const item& it : input)
      if (!contains_item(args[0], it)) out.push_back(it);
    return out;
  }
  case F::union_: {
    collection out;
    append_distinct(out, input);
    append_distinct(out, args[0]);
    return out;
  }
  case F::combine: {
    collection out = input;
    out.insert(out.end(), args[0].begin(), args[0].end());
    return out;
  }
  case F::children:
  case F::descendants: {
    collection out;
    collection frontier = input;
    while (!frontier.empty()) {
      collection next;
      for (const item& it : frontier) all_children(it, next);
      out.insert(out.end(), next.begin(), next.end());
      if (n.fn == F::children) break;
      frontier = std::move(next);
    }
    return out;
  }
  case F::now:
  case F::today:
  case F::time_of_day: return call_now(e, n.fn);
  case F::not_: {
    auto b = to_logic(input, n);
    if (!b) return b.error();
    if (!*b) return collection{};
    return boolean(!**b);
  }
  case F::extension: {
    auto url = singleton(args[0], n);
    if (!url) return url.error();
    if (!*url) return collection{};
    auto wanted = to_text(**url);
    collection exts, out;
    for (const item& it : input) navigate(it, "extension", exts);
    for (const item& x : exts) {
      std::string_view u;
      if (x.node() && x.node()->has_value && x.node()->value["url"].get(u) == simdjson::SUCCESS &&
          wanted && u == *wanted)
        out.push_back(x);
    }
    return out;
  }
  case F::has_value: {
    if (input.size() != 1) return boolean(false);
    return boolean(has_primitive_value(input.front()));
  }
  case F::get_value: {
    if (input.size() != 1 || !has_primitive_value(input.front())) return collection{};
    auto v = to_system(input.front());
    if (!v) return collection{};
    return collection{std::move(*v)};
  }
  case F::resolve: {
    collection out;
    for (const item& it : input) resolve_one(e, it, out);
    return out;
  }
  case F::member_of:
  case F::conforms_to:
    // Needs terminology (memberOf) or profiles (conformsTo): not available here.
    return collection{};
  case F::html_checks: return boolean(true);
  case F::index_of: case F::substring: case F::starts_with: case F::ends_with:
  case F::contains: case F::upper: case F::lower: case F::replace: case F::matches:
  case F::replace_matches: case F::length: case F::to_chars:
    return call_string_function(n, input, args);
  case F::abs: case F::ceiling: case F::floor: case F::exp: case F::ln: case F::log:
  case F::power: case F::round: case F::sqrt: case F::truncate:
    return call_math_function(n, input, args);
  default: return call_conversion_function(n, input, args);
  }
}

} // namespace atrium::fhir::fhirpath
