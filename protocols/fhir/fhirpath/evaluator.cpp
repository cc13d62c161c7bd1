#include "protocols/fhir/fhirpath/evaluator.hpp"

#include <cctype>
#include <chrono>

#include "protocols/fhir/fhirpath/engine.hpp"
#include "protocols/fhir/fhirpath/parser.hpp"
#include "protocols/fhir/fhirpath/types.hpp"

namespace atrium::fhir::fhirpath {

namespace {

using simdjson::dom::element_type;

temporal clock_now() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const auto days = std::chrono::floor<std::chrono::days>(std::chrono::sys_time<std::chrono::milliseconds>(
      std::chrono::milliseconds(ms)));
  const std::chrono::year_month_day ymd{days};
  const std::int64_t rest = ms - std::chrono::duration_cast<std::chrono::milliseconds>(days.time_since_epoch()).count();
  temporal t;
  t.kind = temporal_kind::datetime;
  t.prec = precision::millisecond;
  t.year = static_cast<int>(ymd.year());
  t.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  t.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  t.hour = static_cast<int>(rest / 3600000);
  t.minute = static_cast<int>(rest / 60000 % 60);
  t.second = static_cast<int>(rest / 1000 % 60);
  t.millis = static_cast<int>(rest % 1000);
  t.has_tz = true;
  return t;
}

bool is_quantity_type(std::string_view t) {
  return t == "Quantity" || t == "Age" || t == "Duration" || t == "Distance" || t == "Count" ||
         t == "SimpleQuantity" || t == "MoneyQuantity";
}

std::optional<item> quantity_of(simdjson::dom::element obj, std::string_view type) {
  simdjson::dom::element value;
  if (obj["value"].get(value) != simdjson::SUCCESS || !value.is_number()) return std::nullopt;
  if (type.empty()) {
    // Without a type, only an object shaped like a Quantity converts.
    std::string_view rt;
    if (obj["resourceType"].get(rt) == simdjson::SUCCESS) return std::nullopt;
  }
  const double v = json_double(value);
  std::string_view unit, code, system;
  simdjson::dom::element e;
  if (obj["unit"].get(e) == simdjson::SUCCESS) unit = json_string(e);
  const bool has_code = obj["code"].get(e) == simdjson::SUCCESS;
  if (has_code) code = json_string(e);
  if (obj["system"].get(e) == simdjson::SUCCESS) system = json_string(e);
  quantity q;
  q.value = v;
  q.unit = std::string(has_code && (system.empty() || system == "http://unitsofmeasure.org") ? code : unit);
  return item(std::move(q));
}

} // namespace

status eval_error(const node& n, std::string message) {
  return status(errc::invalid, std::move(message), "offset " + std::to_string(n.pos));
}

result<const item*> singleton(const collection& c, const node& where) {
  if (c.empty()) return static_cast<const item*>(nullptr);
  if (c.size() > 1)
    return eval_error(where, (where.kind == node_kind::function ? where.name + "()" : std::string("operand")) +
                                 ": expected at most one item, got " + std::to_string(c.size()));
  return &c.front();
}

std::optional<item> to_system(const item& it) {
  const json_node* n = it.node();
  if (!n) {
    if (std::holds_alternative<reference_target>(it.v)) return std::nullopt;
    return it;
  }
  if (!n->has_value) return std::nullopt;
  const std::string_view type = n->type;
  switch (n->value.type()) {
  case element_type::BOOL: return item(json_bool(n->value));
  case element_type::STRING: {
    const std::string_view s = json_string(n->value);
    if (type == "date") {
      if (auto t = parse_date(s)) return item(*t);
    } else if (type == "dateTime" || type == "instant") {
      if (auto t = parse_datetime(s)) return item(*t);
    } else if (type == "time") {
      if (auto t = parse_time(s)) return item(*t);
    }
    return item(std::string(s));
  }
  case element_type::INT64:
  case element_type::UINT64: {
    std::int64_t i = 0;
    if (n->value.get_int64().get(i) != simdjson::SUCCESS) return item(decimal{json_double(n->value)});
    if (type == "decimal") return item(decimal{static_cast<long double>(i)});
    return item(i);
  }
  case element_type::DOUBLE: return item(decimal{json_double(n->value)});
  case element_type::OBJECT:
    if (is_quantity_type(type) || type.empty()) return quantity_of(n->value, type);
    return std::nullopt;
  default: return std::nullopt;
  }
}

std::optional<std::string> to_text(const item& it0) {
  const json_node* n = it0.node();
  if (n && n->has_value && n->value.type() == element_type::STRING) {
    // The text as written: a date stays "2020-01" rather than being reformatted.
    return std::string(json_string(n->value));
  }
  if (n && n->has_value && n->value.type() == element_type::OBJECT) return std::nullopt;
  auto it = to_system(it0);
  if (!it) return std::nullopt;
  return std::visit(
      [](const auto& v) -> std::optional<std::string> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) return std::string(v ? "true" : "false");
        else if constexpr (std::is_same_v<T, std::string>) return v;
        else if constexpr (std::is_same_v<T, std::int64_t>) return std::to_string(v);
        else if constexpr (std::is_same_v<T, decimal>) return format_decimal(v.value);
        else if constexpr (std::is_same_v<T, temporal>) return format_temporal(v);
        else if constexpr (std::is_same_v<T, quantity>) return format_quantity(v);
        else return std::nullopt;
      },
      it->v);
}

engine::engine(const context& ctx, simdjson::dom::element resource, const collection& input)
  : ctx_(ctx), resource_element_(resource), input_(input) {}

const collection& engine::resource() {
  // Most expressions never read %resource: its item (which looks up the
  // resource's type) is made only for those that do.
  if (!resource_) resource_.emplace(collection{json_item(resource_element_)});
  return *resource_;
}

const temporal& engine::now() {
  if (!now_) now_ = ctx_.now ? *ctx_.now : clock_now();
  return *now_;
}

result<collection> engine::eval(const node& n, const scope& sc) {
  switch (n.kind) {
  case node_kind::literal: return n.literal;
  case node_kind::member: return eval_member(n, sc);
  case node_kind::function: {
    if (!n.target) return call_function(*this, n, *sc.focus, sc);
    auto input = eval(*n.target, sc);
    if (!input) return input;
    return call_function(*this, n, *input, sc);
  }
  case node_kind::this_: return *sc.focus;
  case node_kind::index:
    if (sc.index < 0) return collection{};
    return collection{item(sc.index)};
  case node_kind::total:
    if (!sc.total) return collection{};
    return *sc.total;
  case node_kind::env: return eval_env(n);
  case node_kind::indexer: {
    auto input = eval(*n.target, sc);
    if (!input) return input;
    auto index = eval(*n.right, sc);
    if (!index) return index;
    auto one = singleton(*index, n);
    if (!one) return one.error();
    if (!*one) return collection{};
    const auto* i = std::get_if<std::int64_t>(&(*one)->v);
    if (!i) return eval_error(n, "an index must be an Integer");
    if (*i < 0 || static_cast<std::size_t>(*i) >= input->size()) return collection{};
    return collection{(*input)[static_cast<std::size_t>(*i)]};
  }
  case node_kind::negate: {
    auto operand = eval(*n.target, sc);
    if (!operand) return operand;
    return apply_negate(n, *operand);
  }
  case node_kind::binary: {
    auto left = eval(*n.target, sc);
    if (!left) return left;
    auto right = eval(*n.right, sc);
    if (!right) return right;
    return apply_binary(*this, n, *left, *right);
  }
  case node_kind::is_type: {
    auto input = eval(*n.target, sc);
    if (!input) return input;
    auto one = singleton(*input, n);
    if (!one) return one.error();
    if (!*one) return collection{};
    return collection{item(type_matches(**one, n.type))};
  }
  case node_kind::as_type: {
    auto input = eval(*n.target, sc);
    if (!input) return input;
    collection out;
    for (const item& it : *input)
      if (type_matches(it, n.type)) out.push_back(it);
    return out;
  }
  }
  return eval_error(n, "unknown node");
}

result<collection> engine::eval_member(const node& n, const scope& sc) {
  collection out;
  if (n.target) {
    auto input = eval(*n.target, sc);
    if (!input) return input;
    for (const item& it : *input) navigate(it, n.name, out);
    return out;
  }
  // A leading type name selects the focus itself (Patient.name on a Patient,
  // Resource.id on any resource); otherwise it is a member of $this.
  const bool type_like = !n.name.empty() && std::isupper(static_cast<unsigned char>(n.name[0]));
  for (const item& it : *sc.focus) {
    if (type_like && it.node() && type_matches(it, n.name)) out.push_back(it);
    else navigate(it, n.name, out);
  }
  return out;
}

result<collection> engine::eval_env(const node& n) {
  const std::string& name = n.name;
  if (auto found = ctx_.variables.find(name); found != ctx_.variables.end()) return found->second;
  if (name == "resource" || name == "rootResource") return resource();
  if (name == "context") return input_;
  if (name == "ucum") return collection{item(std::string("http://unitsofmeasure.org"))};
  if (name == "sct") return collection{item(std::string("http://snomed.info/sct"))};
  if (name == "loinc") return collection{item(std::string("http://loinc.org"))};
  if (name.starts_with("vs-"))
    return collection{item("http://hl7.org/fhir/ValueSet/" + name.substr(3))};
  if (name.starts_with("ext-"))
    return collection{item("http://hl7.org/fhir/StructureDefinition/" + name.substr(4))};
  return eval_error(n, "unknown variable %" + name);
}

result<collection> evaluate(const expression& expr, simdjson::dom::element resource,
                            const collection& input, const context& ctx) {
  if (!expr.root()) return status(errc::invalid, "empty expression");
  engine e(ctx, resource, input);
  scope sc;
  sc.focus = &input;
  return e.eval(*expr.root(), sc);
}

result<collection> evaluate(const expression& expr, simdjson::dom::element resource,
                            const context& ctx) {
  const collection input{json_item(resource)};
  return evaluate(expr, resource, input, ctx);
}

result<collection> evaluate(std::string_view text, simdjson::dom::element resource,
                            const context& ctx) {
  auto expr = compile(text);
  if (!expr) return expr.error();
  return evaluate(*expr, resource, ctx);
}

} // namespace atrium::fhir::fhirpath
