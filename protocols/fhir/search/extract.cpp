// Search values of a resource: each parameter's FHIRPath expression is
// compiled once (per parameter and resource type, see plan_cache), evaluated
// against the resource's DOM, and its result typed by the parameter's type.
// FHIRPath navigation rarely knows the data type of an element (it does for
// choice elements, ofType() and a few members), so complex values are
// recognised by their shape: a HumanName has family/given, a CodeableConcept
// has coding, a Period has start/end, and so on.
#include "protocols/fhir/search/extract.hpp"

#include <cstring>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include <simdjson.h>

#include "protocols/fhir/fhirpath/evaluator.hpp"
#include "protocols/fhir/fhirpath/parser.hpp"
#include "protocols/fhir/ids.hpp"
#include "protocols/http/query.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "protocols/fhir/search/extract_dates.hpp"
#include "protocols/fhir/search/extract_diagnostics.hpp"
#include "protocols/fhir/search/ucum.hpp"

namespace atrium::fhir::search {

namespace {

namespace fp = atrium::fhir::fhirpath;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

// ---- compiled expressions ---------------------------------------------------

// A parameter's expression for one resource type: the top-level `|` branches
// that can apply to that type. R4 shares one parameter among many types
// ("AllergyIntolerance.code | Condition.code | …" has ~20 branches), so
// evaluating only the type's own branches saves most of the work.
struct compiled_param {
  std::string expression; // the text compiled, to notice a replaced parameter
  std::shared_ptr<const fp::expression> whole;
  std::vector<fp::expression> branches; // share `whole`'s nodes
  /// Per branch: the resource's top-level element it reads first ("code" in
  /// "Observation.code.coding"), or "" when it starts otherwise. A branch
  /// whose element the resource lacks yields nothing and is not evaluated:
  /// most of a type's parameters read elements a given resource leaves out.
  std::vector<std::string> branch_roots;
  std::vector<fp::expression> components; // composite: each component's expression
  std::string error;                    // compile error (branches empty)
  /// A narrowed reference's "T/": its references to T are its parent's
  /// entries, not its own (param_registry::narrowed_of)…
  std::string held_by_parent;
  /// …and its parent's place in the type's plan, evaluated before it (npos:
  /// none). When the parent's values are all local references, this
  /// parameter's would all be left out, so it is not evaluated.
  std::size_t parent_slot = static_cast<std::size_t>(-1);
};

void flatten_union(const fp::node* n, std::vector<const fp::node*>& out) {
  if (n->kind == fp::node_kind::binary && n->op == fp::binary_op::union_ && n->target && n->right) {
    flatten_union(n->target.get(), out);
    flatten_union(n->right.get(), out);
  } else {
    out.push_back(n);
  }
}

// The identifier a path starts with ("Condition" in "(Condition.code.ofType(…))"),
// or "" when the branch starts otherwise (a function on $this, a literal…).
std::string_view leading_name(const fp::node* n) {
  while (n) {
    switch (n->kind) {
    case fp::node_kind::member:
      if (!n->target) return n->name;
      n = n->target.get();
      break;
    case fp::node_kind::function:
    case fp::node_kind::indexer:
    case fp::node_kind::as_type:
    case fp::node_kind::is_type: n = n->target.get(); break;
    default: return {};
    }
  }
  return {};
}

// The top-level element a branch reads first: its leading name when that
// is an element, which the branch reads from the resource once compiled by
// fp::compile_for_resource ("value" in "Observation.value.ofType(Quantity)");
// "" when it starts otherwise.
std::string root_element(std::string_view lead) {
  const bool element = !lead.empty() && lead[0] >= 'a' && lead[0] <= 'z';
  return element ? std::string{lead} : std::string{};
}

// Whether the resource has top-level element `name`, a choice's included
// ("value" is there as "valueQuantity").
bool has_element(const std::vector<std::string_view>& keys, std::string_view name) {
  for (auto k : keys)
    // The first letters differ for most keys: checked inline before the rest.
    if (k.size() >= name.size() && k[0] == name[0] &&
        std::memcmp(k.data(), name.data(), name.size()) == 0 &&
        (k.size() == name.size() || (k[name.size()] >= 'A' && k[name.size()] <= 'Z')))
      return true;
  return false;
}

std::shared_ptr<compiled_param> compile_param(const search_param& p, std::string_view type) {
  auto c = std::make_shared<compiled_param>();
  c->expression = p.expression;
  auto expr = fp::compile_for_resource(p.expression, type);
  if (!expr) {
    c->error = "expression does not compile: " + expr.error().message() + " (" +
               expr.error().where() + ")";
    return c;
  }
  c->whole = std::make_shared<const fp::expression>(std::move(*expr));
  std::vector<const fp::node*> parts;
  flatten_union(c->whole->root(), parts);
  for (const fp::node* part : parts) {
    const std::string_view lead = leading_name(part);
    if (!lead.empty() && lead != type && find_resource_type(lead))
      continue; // another type's branch
    c->branches.emplace_back(std::shared_ptr<const fp::node>(c->whole, part), c->whole->text());
    c->branch_roots.push_back(root_element(lead));
  }
  for (const auto& component : p.components) {
    auto compiled = fp::compile(component.expression);
    if (!compiled) {
      c->error = "component expression " + component.expression +
                 " does not compile: " + compiled.error().message();
      c->branches.clear();
      return c;
    }
    c->components.push_back(std::move(*compiled));
  }
  return c;
}

bool indexed_here(const search_param& p, std::string_view type, const param_registry& registry);

// What to evaluate for one resource type.
using type_plan =
    std::vector<std::pair<const search_param*, std::shared_ptr<const compiled_param>>>;

type_plan make_plan(const param_registry& registry, std::string_view type) {
  std::vector<std::pair<const search_param*, std::shared_ptr<compiled_param>>> built;
  for (const search_param* p : registry.for_type(type))
    if (indexed_here(*p, type, registry)) built.emplace_back(p, compile_param(*p, type));
  // Narrowed references last, after their parents.
  std::stable_partition(built.begin(), built.end(),
                        [&](const auto& e) { return !registry.narrowed_of(type, *e.first); });
  for (auto& [p, compiled] : built)
    if (const auto* narrowed = registry.narrowed_of(type, *p)) {
      compiled->held_by_parent = narrowed->target_prefix;
      for (std::size_t i = 0; i < built.size(); ++i)
        if (built[i].first == narrowed->parent) compiled->parent_slot = i;
    }
  return {built.begin(), built.end()};
}

// R4's registry never changes, so its plan per resource type is built once:
// that saves looking the type's parameters up on every write (for_type scans
// the whole registry) as well as the per-parameter cache look-ups.
class r4_plans {
public:
  r4_plans()
      : once_(new std::once_flag[resource_type_count()]),
        plans_(new type_plan[resource_type_count()]) {}

  const type_plan& get(type_id id) {
    std::call_once(once_[id], [&] {
      const std::string_view type = resource_type_name(id);
      plans_[id] = make_plan(param_registry::r4(), type);
    });
    return plans_[id];
  }

private:
  std::unique_ptr<std::once_flag[]> once_;
  std::unique_ptr<type_plan[]> plans_;
};

r4_plans& r4_plan_cache() {
  static r4_plans plans;
  return plans;
}

// A service's own registry (R4's plus its custom parameters) lives until the
// service activates another set, so its plans are cached by the registry's
// uid, never reused. Plans of a registry that is gone are never looked up
// again; the cache is simply emptied when it holds many registries.
class registry_plans {
public:
  std::shared_ptr<const type_plan> get(const param_registry& registry, std::string_view type) {
    std::string key;
    const auto uid = registry.uid();
    key.assign(reinterpret_cast<const char*>(&uid), sizeof uid);
    key.append(type);
    {
      std::shared_lock lock(mu_);
      if (auto found = map_.find(key); found != map_.end()) return found->second;
    }
    auto plan = std::make_shared<const type_plan>(make_plan(registry, type));
    std::unique_lock lock(mu_);
    if (map_.size() > max_entries) map_.clear();
    return map_.try_emplace(std::move(key), std::move(plan)).first->second; // first one wins
  }

private:
  static constexpr std::size_t max_entries = 4096;
  std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const type_plan>> map_;
};

registry_plans& registry_plan_cache() {
  static registry_plans plans;
  return plans;
}

// ---- JSON helpers -------------------------------------------------------------

std::string_view str_field(object o, std::string_view key) {
  std::string_view s;
  if (o.at_key(key).get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

bool has_field(object o, std::string_view key) {
  element e;
  return o.at_key(key).get(e) == simdjson::SUCCESS && !e.is_null();
}

bool is_number(element e) {
  const auto t = e.type();
  return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
}

std::optional<double> number_field(object o, std::string_view key) {
  element e;
  double d = 0;
  if (o.at_key(key).get(e) != simdjson::SUCCESS || !is_number(e)) return std::nullopt;
  if (e.get_double().get(d) != simdjson::SUCCESS) return std::nullopt;
  return d;
}

// Calls f for a string field and for each string of an array field.
template <class F>
void each_string(object o, std::string_view key, F&& f) {
  element e;
  if (o.at_key(key).get(e) != simdjson::SUCCESS) return;
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) {
    f(s);
    return;
  }
  simdjson::dom::array a;
  if (e.get_array().get(a) != simdjson::SUCCESS) return;
  for (element x : a)
    if (x.get_string().get(s) == simdjson::SUCCESS) f(s);
}

bool has_any(object o, std::initializer_list<std::string_view> keys) {
  for (auto k : keys)
    if (has_field(o, k)) return true;
  return false;
}

// ---- typing values ------------------------------------------------------------

bool same_value(const index_value& a, const index_value& b) {
  if (a.parts.size() != b.parts.size()) return false;
  for (std::size_t i = 0; i < a.parts.size(); ++i)
    if (!same_value(a.parts[i], b.parts[i])) return false;
  return a.k == b.k && a.part == b.part && a.canonical == b.canonical && a.start == b.start &&
         a.end == b.end &&
         a.number == b.number &&
         a.text == b.text && a.code == b.code && a.system == b.system && a.original == b.original;
}

// Appends the values of one parameter, skipping duplicates.
struct sink {
  std::vector<index_value>& out;
  const search_param* param;
  std::size_t begin;
  std::string_view held_by_parent = {}; // compiled_param::held_by_parent

  void push(index_value&& v) { // by reference: a value is moved once, into `out`
    if (v.k == index_value::kind::reference && !held_by_parent.empty() &&
        v.text.starts_with(held_by_parent))
      return;
    v.param = param;
    for (std::size_t i = begin; i < out.size(); ++i)
      if (same_value(out[i], v)) return;
    out.push_back(std::move(v));
  }
};

// The JSON value of an item; false for System values and extension-only primitives.
bool json_of(const fp::item& it, element& e, std::string_view& type) {
  const fp::json_node* n = it.node();
  if (!n || !n->has_value || n->value.is_null()) return false;
  e = n->value;
  type = n->type;
  return true;
}

// -- string

void add_string(sink& s, std::string_view text, std::uint8_t part = 0) {
  if (text.empty()) return;
  index_value v;
  v.k = index_value::kind::string;
  v.text = normalize_text(text);
  v.original = std::string(text);
  v.part = part;
  s.push(std::move(v));
}

// Fields of other complex values that are codes, links or dates, not text.
// clang-format off
constexpr std::string_view not_text_fields[] = {
    "id", "use", "system", "code", "url", "reference", "type", "status", "language",
    "contentType", "resourceType", "div", "extension", "modifierExtension", "time", "date",
    "start", "end", "hash", "data", "creation", "versionId", "lastUpdated"};
// clang-format on

void string_values(const fp::item& it, sink& s) {
  if (auto str = std::get_if<std::string>(&it.v)) return add_string(s, *str);
  element e;
  std::string_view type;
  if (!json_of(it, e, type)) return;
  std::string_view str;
  if (e.get_string().get(str) == simdjson::SUCCESS) return add_string(s, str);
  object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) return;
  // Each string is tagged with its field, so that a parameter on one field
  // (`family` is `name.family`) reads these entries (param_registry::part_of).
  auto field = [&](std::string_view key) {
    const auto tag = string_part_tag(key);
    each_string(o, key, [&](std::string_view x) { add_string(s, x, tag); });
  };
  if (type == "HumanName" ||
      (type.empty() && has_any(o, {"family", "given", "prefix", "suffix"}))) {
    for (auto key : {"family", "given", "prefix", "suffix", "text"})
      field(key);
  } else if (type == "Address" || (type.empty() && has_any(o, {"line", "city", "district", "state",
                                                               "postalCode", "country"}))) {
    for (auto key : {"line", "city", "district", "state", "postalCode", "country", "text"})
      field(key);
  } else {
    // Another complex value: its own string parts.
    for (auto member : o) {
      const std::string_view key = member.key;
      if (key.starts_with("_")) continue;
      bool skip = false;
      for (auto no : not_text_fields)
        skip = skip || key == no;
      if (!skip) field(key);
    }
  }
}

// -- token

void add_token(sink& s, std::string_view system, std::string_view code, std::string text,
               std::uint8_t part = 0) {
  if (system.empty() && code.empty() && text.empty()) return;
  index_value v;
  v.k = index_value::kind::token;
  v.part = part;
  v.system = std::string(system);
  v.code = std::string(code);
  v.text = std::move(text);
  s.push(std::move(v));
}

bool contact_point_like(object o) {
  const std::string_view system = str_field(o, "system");
  for (auto cs : {"phone", "fax", "email", "pager", "url", "sms", "other"})
    if (system == cs) return true;
  if (has_field(o, "rank")) return true;
  const std::string_view use = str_field(o, "use");
  return system.empty() && (use == "home" || use == "work" || use == "mobile");
}

/// A Coding's token, with its display normalized for :text (or, without
/// one, the normalized text of the CodeableConcept it is in).
void coding_token(sink& s, object coding, std::string normalized_display) {
  add_token(s, str_field(coding, "system"), str_field(coding, "code"),
            std::move(normalized_display));
}

void coding_value(sink& s, object coding) {
  coding_token(s, coding, normalize_text(str_field(coding, "display")));
}

void codeable_concept_value(sink& s, object cc) {
  const std::string normalized = normalize_text(str_field(cc, "text"));
  bool text_indexed = normalized.empty();
  simdjson::dom::array codings;
  if (cc.at_key("coding").get_array().get(codings) == simdjson::SUCCESS) {
    for (element c : codings) {
      object co;
      if (c.get_object().get(co) != simdjson::SUCCESS) continue;
      const std::string_view display = str_field(co, "display");
      if (display.empty()) {
        text_indexed = true;
        coding_token(s, co, normalized);
        continue;
      }
      std::string normalized_display = normalize_text(display);
      if (normalized_display == normalized) text_indexed = true;
      coding_token(s, co, std::move(normalized_display));
    }
  }
  // CodeableConcept.text that no coding carries: a value of its own for :text.
  if (!text_indexed) add_token(s, {}, {}, normalized);
}

// For :of-type: each coding of an Identifier's type with the identifier's value.
void identifier_type_values(sink& s, object type, std::string_view value) {
  simdjson::dom::array codings;
  if (value.empty() || type.at_key("coding").get_array().get(codings) != simdjson::SUCCESS)
    return;
  for (element c : codings) {
    object co;
    if (c.get_object().get(co) != simdjson::SUCCESS) continue;
    index_value v;
    v.k = index_value::kind::identifier_type;
    v.system = std::string(str_field(co, "system"));
    v.code = std::string(str_field(co, "code"));
    v.text = std::string(value);
    if (!v.code.empty()) s.push(std::move(v));
  }
}

void token_values(const fp::item& it, sink& s) {
  if (auto b = std::get_if<bool>(&it.v)) return add_token(s, {}, *b ? "true" : "false", {});
  if (auto str = std::get_if<std::string>(&it.v)) return add_token(s, {}, *str, {});
  if (std::holds_alternative<std::int64_t>(it.v) || std::holds_alternative<fp::decimal>(it.v)) {
    if (auto t = fp::to_text(it)) add_token(s, {}, *t, {});
    return;
  }
  element e;
  std::string_view type;
  if (!json_of(it, e, type)) return;
  switch (e.type()) {
  case element_type::STRING: {
    std::string_view str;
    if (e.get_string().get(str) == simdjson::SUCCESS) add_token(s, {}, str, {});
    return;
  }
  case element_type::BOOL: {
    bool b = false;
    if (e.get_bool().get(b) == simdjson::SUCCESS) add_token(s, {}, b ? "true" : "false", {});
    return;
  }
  case element_type::INT64:
  case element_type::UINT64:
  case element_type::DOUBLE:
    if (auto t = fp::to_text(it)) add_token(s, {}, *t, {});
    return;
  case element_type::OBJECT: break;
  default: return;
  }
  object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) return;
  const bool string_value = [&] {
    std::string_view v;
    return o.at_key("value").get_string().get(v) == simdjson::SUCCESS;
  }();
  if (type == "CodeableConcept" || (type.empty() && has_field(o, "coding"))) {
    codeable_concept_value(s, o);
  } else if (type == "Coding") {
    coding_value(s, o);
  } else if (type == "ContactPoint" || (type.empty() && string_value && contact_point_like(o))) {
    // R4: a token on ContactPoint matches its value; the system is not a namespace.
    // Tagged with its system, for `phone` and `email` (param_registry::part_of).
    add_token(s, {}, str_field(o, "value"), {}, contact_system_tag(str_field(o, "system")));
  } else if (type == "Identifier" || (type.empty() && string_value)) {
    std::string text;
    object id_type;
    if (o.at_key("type").get_object().get(id_type) == simdjson::SUCCESS) {
      text = normalize_text(str_field(id_type, "text"));
      identifier_type_values(s, id_type, str_field(o, "value"));
    }
    add_token(s, str_field(o, "system"), str_field(o, "value"), std::move(text));
  } else if (has_any(o, {"code", "system"})) {
    coding_value(s, o);
  } else if (has_field(o, "text")) {
    codeable_concept_value(s, o); // a CodeableConcept with text only
  }
}

// -- date

void add_range(sink& s, std::int64_t start, std::int64_t end) {
  index_value v;
  v.k = index_value::kind::date;
  v.start = start;
  v.end = end;
  s.push(std::move(v));
}

void period_value(sink& s, object o) {
  const std::string_view start = str_field(o, "start"), end = str_field(o, "end");
  if (start.empty() && end.empty()) return;
  instant_range r{open_start, open_end};
  if (!start.empty()) {
    auto lower = date_range(start);
    if (!lower) return;
    r.start = lower->start;
  }
  if (!end.empty()) {
    auto upper = date_range(end);
    if (!upper) return;
    r.end = upper->end;
  }
  add_range(s, r.start, r.end);
}

void date_values(const fp::item& it, sink& s) {
  if (auto t = std::get_if<fp::temporal>(&it.v)) {
    if (auto r = date_range(*t)) add_range(s, r->start, r->end);
    return;
  }
  if (auto str = std::get_if<std::string>(&it.v)) {
    if (auto r = date_range(*str)) add_range(s, r->start, r->end);
    return;
  }
  element e;
  std::string_view type;
  if (!json_of(it, e, type)) return;
  std::string_view str;
  if (e.get_string().get(str) == simdjson::SUCCESS) {
    if (auto r = date_range(str)) add_range(s, r->start, r->end);
    return;
  }
  object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) return;
  if (type == "Period" || (type.empty() && has_any(o, {"start", "end"}))) {
    period_value(s, o);
  } else if (type == "Timing" || (type.empty() && has_any(o, {"event", "repeat"}))) {
    each_string(o, "event", [&](std::string_view ev) {
      if (auto r = date_range(ev)) add_range(s, r->start, r->end);
    });
    object repeat, bounds;
    if (o.at_key("repeat").get_object().get(repeat) == simdjson::SUCCESS &&
        repeat.at_key("boundsPeriod").get_object().get(bounds) == simdjson::SUCCESS)
      period_value(s, bounds);
  }
}

// -- number and quantity

void add_number(sink& s, double n) {
  index_value v;
  v.k = index_value::kind::number;
  v.number = n;
  s.push(std::move(v));
}

void number_values(const fp::item& it, sink& s) {
  if (auto i = std::get_if<std::int64_t>(&it.v)) return add_number(s, static_cast<double>(*i));
  if (auto d = std::get_if<fp::decimal>(&it.v)) return add_number(s, static_cast<double>(d->value));
  element e;
  std::string_view type;
  if (!json_of(it, e, type)) return;
  double d = 0;
  if (is_number(e)) {
    if (e.get_double().get(d) == simdjson::SUCCESS) add_number(s, d);
    return;
  }
  object o;
  if (e.get_object().get(o) == simdjson::SUCCESS)
    if (auto n = number_field(o, "value")) add_number(s, *n);
}

void add_quantity(sink& s, double n, std::string_view system, std::string_view code) {
  index_value v;
  v.k = index_value::kind::quantity;
  v.number = n;
  v.system = std::string(system);
  v.code = std::string(code);
  s.push(std::move(v));
  if (system != ucum_system) return;
  if (auto canonical = ucum_canonical(code); canonical && canonical->code != code) {
    index_value c;
    c.k = index_value::kind::quantity;
    c.number = n * canonical->factor;
    c.system = std::string(system);
    c.code = std::string(canonical->code);
    c.canonical = true;
    s.push(std::move(c));
  }
}

void quantity_values(const fp::item& it, sink& s) {
  if (auto q = std::get_if<fp::quantity>(&it.v)) {
    const bool ucum = !q->unit.empty() && !fp::is_calendar_keyword(q->unit);
    return add_quantity(s, static_cast<double>(q->value), ucum ? "http://unitsofmeasure.org" : "",
                        q->unit);
  }
  if (auto i = std::get_if<std::int64_t>(&it.v))
    return add_quantity(s, static_cast<double>(*i), {}, {});
  if (auto d = std::get_if<fp::decimal>(&it.v))
    return add_quantity(s, static_cast<double>(d->value), {}, {});
  element e;
  std::string_view type;
  if (!json_of(it, e, type)) return;
  double d = 0;
  if (is_number(e)) {
    if (e.get_double().get(d) == simdjson::SUCCESS) add_quantity(s, d, {}, {});
    return;
  }
  object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) return;
  const auto value = number_field(o, "value");
  if (!value) return; // Range, SampledData, a Quantity with only a comparator…
  if (const std::string_view currency = str_field(o, "currency"); !currency.empty())
    return add_quantity(s, *value, "urn:iso:std:iso:4217", currency); // Money
  const std::string_view code = str_field(o, "code");
  if (!code.empty()) return add_quantity(s, *value, str_field(o, "system"), code);
  // No coded unit: the human-readable one, which quantity search also matches.
  add_quantity(s, *value, {}, str_field(o, "unit"));
}

// -- reference and uri

void add_reference(sink& s, std::string text) {
  if (text.empty()) return;
  index_value v;
  v.k = index_value::kind::reference;
  v.text = std::move(text);
  s.push(std::move(v));
}

void reference_values(const fp::item& it, sink& s) {
  if (auto str = std::get_if<std::string>(&it.v)) return add_reference(s, *str);
  if (auto target = std::get_if<fp::reference_target>(&it.v))
    return add_reference(s, normalize_reference(target->reference));
  element e;
  std::string_view type;
  if (!json_of(it, e, type)) return;
  std::string_view str;
  if (e.get_string().get(str) == simdjson::SUCCESS) // canonical or uri: as written
    return add_reference(s, std::string(str));
  object o;
  if (e.get_object().get(o) != simdjson::SUCCESS) return;
  // Logical (identifier-only) and display-only references have no target to
  // index; an identifier is indexed for :identifier.
  add_reference(s, normalize_reference(str_field(o, "reference")));
  object identifier;
  if (o.at_key("identifier").get_object().get(identifier) == simdjson::SUCCESS &&
      !str_field(identifier, "value").empty()) {
    index_value v;
    v.k = index_value::kind::reference_identifier;
    v.system = std::string(str_field(identifier, "system"));
    v.code = std::string(str_field(identifier, "value"));
    s.push(std::move(v));
  }
}

void uri_values(const fp::item& it, sink& s) {
  std::string text;
  if (auto str = std::get_if<std::string>(&it.v)) {
    text = *str;
  } else {
    element e;
    std::string_view type, view;
    if (!json_of(it, e, type) || e.get_string().get(view) != simdjson::SUCCESS) return;
    text = std::string(view);
  }
  if (text.empty()) return;
  index_value v;
  v.k = index_value::kind::uri;
  v.text = std::move(text);
  s.push(std::move(v));
}

void typed_values(param_type t, const fp::collection& items, sink& s) {
  for (const fp::item& it : items) {
    switch (t) {
    case param_type::string: string_values(it, s); break;
    case param_type::token: token_values(it, s); break;
    case param_type::date: date_values(it, s); break;
    case param_type::number: number_values(it, s); break;
    case param_type::quantity: quantity_values(it, s); break;
    case param_type::reference: reference_values(it, s); break;
    case param_type::uri: uri_values(it, s); break;
    case param_type::composite:
    case param_type::special: break;
    }
  }
}

// Appends every combination of one value per component (odometer order),
// at most max_composite_combinations.
void add_combinations(sink& s, const std::vector<std::vector<index_value>>& per_component) {
  std::vector<std::size_t> at(per_component.size(), 0);
  if (per_component.empty()) return; // a composite without components
  for (const auto& values : per_component)
    if (values.empty()) return;
  for (std::size_t n = 0; n < max_composite_combinations; ++n) {
    index_value v;
    v.k = index_value::kind::composite;
    for (std::size_t i = 0; i < at.size(); ++i) v.parts.push_back(per_component[i][at[i]]);
    s.push(std::move(v));
    std::size_t i = at.size();
    while (i > 0 && ++at[i - 1] == per_component[i - 1].size()) at[--i] = 0;
    if (i == 0) return;
  }
}

/// "Type/id": a reference whose target type is its first segment, which a
/// narrowed reference to that type leaves to its parent's entries (and
/// leaves out when it is another type). Absolute, contained and other forms
/// resolve otherwise.
bool is_typed_local_reference(const index_value& v) {
  if (v.k != index_value::kind::reference) return false;
  const auto slash = v.text.find('/');
  return slash != std::string::npos && v.text.find('/', slash + 1) == std::string::npos &&
         v.text.find(':') == std::string::npos &&
         find_resource_type(std::string_view(v.text).substr(0, slash)).has_value();
}

bool indexed_here(const search_param& p, std::string_view type, const param_registry& registry) {
  if (p.type == param_type::special) return false;
  if (p.expression.empty()) return false;
  // A twin's entries hold p's values already (param_registry::indexed_as).
  if (&registry.indexed_as(type, p) != &p) return false;
  // Nor a string part's: its parent's entries carry them, tagged.
  if (registry.part_of(type, p)) return false;
  // Nor a union's: the parameters it unites hold its values (union_of).
  if (!registry.union_of(type, p).empty()) return false;
  // Set by the server as it stores the version, from the version's own meta.
  return p.code != "_lastUpdated";
}

constexpr std::size_t max_kept_parser_capacity = 8u << 20;

} // namespace

std::string normalize_reference(std::string_view reference) {
  if (reference.empty() || reference.front() == '#') return std::string(reference);
  // A conditional reference ("Practitioner?identifier=…") names a search, not
  // a resource: a transaction or import resolves it before storing, and an
  // unresolved one has no target to index.
  if (reference.find('?') != std::string_view::npos) return {};
  if (const auto h = reference.find("/_history/"); h != std::string_view::npos)
    reference = reference.substr(0, h);
  return std::string(reference);
}

std::string_view local_reference(std::string_view reference, std::string_view service_path) {
  if (service_path.empty()) return reference;
  // Schemes are case-insensitive (RFC 3986 §3.1).
  std::string_view rest = reference;
  if (http::equals_nocase(rest.substr(0, 8), "https://")) rest.remove_prefix(8);
  else if (http::equals_nocase(rest.substr(0, 7), "http://")) rest.remove_prefix(7);
  else return reference;
  const auto path = rest.find('/');
  if (path == std::string_view::npos || path == 0) return reference;
  rest.remove_prefix(path);
  if (!rest.starts_with(service_path)) return reference;
  rest.remove_prefix(service_path.size());
  // Type/id, and a version after it if the caller left one.
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || !find_resource_type(rest.substr(0, slash)))
    return reference;
  auto id = rest.substr(slash + 1);
  id = id.substr(0, id.find('/'));
  if (!is_valid_id(id)) return reference;
  return rest;
}

result<std::vector<index_value>> extract(std::string_view resource_json, std::string_view type,
                                         const param_registry& registry,
                                         std::vector<extract_problem>* problems) {
  // One parser per thread: parsing reuses its buffers, and nothing of the DOM
  // outlives this call.
  thread_local simdjson::dom::parser parser;
  // …but a rare huge resource should not pin its buffers to the thread for good.
  if (parser.capacity() > max_kept_parser_capacity) parser = simdjson::dom::parser();
  const simdjson::padded_string json(resource_json);
  element root;
  if (auto err = parser.parse(json).get(root); err != simdjson::SUCCESS)
    return status(errc::invalid,
                  std::string("resource is not valid JSON: ") + simdjson::error_message(err));
  return extract(root, type, registry, problems);
}

result<std::vector<index_value>> extract(const simdjson::dom::element& root,
                                         std::string_view type, const param_registry& registry,
                                         std::vector<extract_problem>* problems) {
  object root_object;
  if (root.get_object().get(root_object) != simdjson::SUCCESS)
    return status(errc::invalid, "resource is not a JSON object");
  std::string_view resource_type;
  if (root_object.at_key("resourceType").get_string().get(resource_type) == simdjson::SUCCESS &&
      resource_type != type)
    return status(errc::invalid,
                  "resourceType " + std::string(resource_type) + " is not " + std::string(type),
                  "resourceType");

  static const fp::context
      no_resolver; // resolve() gives type placeholders: enough for `is Patient`
  const fp::collection input{fp::item(fp::json_node{root, {}, true, false, type})};
  std::vector<std::string_view> keys; // the resource's top-level elements
  keys.reserve(32);
  for (auto [key, value] : root_object) keys.push_back(key);
  std::vector<index_value> out;
  out.reserve(32); // a typical resource's values, moved once each instead of at every growth
  // Each plan slot's values in `out`, [first, second); second is npos when
  // an evaluation failed, so that what the slot holds may be incomplete.
  constexpr auto npos = static_cast<std::size_t>(-1);
  thread_local std::vector<std::pair<std::size_t, std::size_t>> spans;
  auto only_local_references = [&](std::size_t slot) {
    const auto [begin, end] = spans[slot];
    if (end == npos) return false;
    for (auto i = begin; i < end; ++i)
      if (!is_typed_local_reference(out[i])) return false;
    return true;
  };
  auto run = [&](std::size_t slot, const search_param* p, const compiled_param& compiled) {
    const auto begin = out.size();
    spans[slot] = {begin, begin};
    if (!compiled.error.empty()) {
      if (problems) problems->push_back({p, compiled.error});
      spans[slot].second = npos;
      return;
    }
    // A narrowed reference keeps none of its parent's local references.
    if (compiled.parent_slot != npos && only_local_references(compiled.parent_slot)) return;
    bool clean = true;
    sink s{out, p, begin, compiled.held_by_parent};
    auto failed = [&](const status& e) {
      clean = false;
      if (problems) problems->push_back({p, e.message() + " (" + e.where() + ")"});
    };
    for (std::size_t b = 0; b < compiled.branches.size(); ++b) {
      const auto& needs = compiled.branch_roots[b];
      if (!needs.empty() && !has_element(keys, needs))
        continue;
      auto items = fp::evaluate(compiled.branches[b], root, input, no_resolver);
      if (!items) {
        failed(items.error());
        continue;
      }
      if (p->type != param_type::composite) {
        typed_values(p->type, *items, s);
        continue;
      }
      // Each item's components are evaluated with the item as their input.
      for (const fp::item& item : *items) {
        std::vector<std::vector<index_value>> per_component(compiled.components.size());
        for (std::size_t i = 0; i < compiled.components.size(); ++i) {
          const search_param* part = registry.find_url(p->components[i].definition);
          if (!part) break; // a component defined nowhere cannot be typed
          auto values = fp::evaluate(compiled.components[i], root, fp::collection{item}, no_resolver);
          if (!values) {
            failed(values.error());
            break;
          }
          sink component{per_component[i], part, 0};
          typed_values(part->type, *values, component);
          std::erase_if(per_component[i], [](const index_value& v) { // only plain values pair
            return v.canonical || v.k == index_value::kind::identifier_type ||
                   v.k == index_value::kind::reference_identifier;
          });
        }
        add_combinations(s, per_component);
      }
    }
    spans[slot].second = clean ? out.size() : npos;
  };
  auto run_plan = [&](const type_plan& plan) {
    spans.assign(plan.size(), {0, 0});
    for (std::size_t slot = 0; slot < plan.size(); ++slot)
      run(slot, plan[slot].first, *plan[slot].second);
  };
  const auto id = find_resource_type(type);
  if (id && &registry == &param_registry::r4()) {
    run_plan(r4_plan_cache().get(*id));
  } else {
    // Held here: the cache may drop its own reference meanwhile.
    const auto plan = registry_plan_cache().get(registry, type);
    run_plan(*plan);
  }
  return out;
}

result<std::vector<index_value>> extract(std::string_view resource_json, std::string_view type,
                                         const param_registry& registry) {
  return extract(resource_json, type, registry, nullptr);
}

result<std::vector<index_value>> extract(const simdjson::dom::element& resource,
                                         std::string_view type, const param_registry& registry) {
  return extract(resource, type, registry, nullptr);
}

} // namespace atrium::fhir::search
