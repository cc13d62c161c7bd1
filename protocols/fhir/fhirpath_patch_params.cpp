#include "protocols/fhir/fhirpath_patch_params.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include <simdjson.h>

#include "protocols/fhir/fhirpath/types.hpp"
#include "protocols/fhir/fhirpath_patch_select.hpp"

namespace atrium::fhir::patch {

namespace {

// The parts each operation type takes besides `type` (R4 §3.1.0.10.1).
struct op_spec {
  std::string_view type;
  std::array<std::string_view, 3> parts;
};
constexpr op_spec specs[] = {
    {"add", {"path", "name", "value"}},
    {"insert", {"path", "index", "value"}},
    {"delete", {"path"}},
    {"replace", {"path", "value"}},
    {"move", {"path", "source", "destination"}},
};

status malformed(std::size_t index, const std::string& where, const std::string& what) {
  return status(errc::invalid, "operation " + std::to_string(index) + ": " + what, where);
}

/// Decodes scalars of the Parameters' text (escapes, number syntax) with
/// simdjson rather than by hand.
class scalar_reader {
public:
  std::optional<std::string> string(const json_tree* n) {
    simdjson::dom::element e;
    std::string_view s;
    if (!parse(n, e) || e.get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
    return std::string(s);
  }
  std::optional<std::int64_t> integer(const json_tree* n) {
    simdjson::dom::element e;
    std::int64_t i = 0;
    if (!parse(n, e) || e.get_int64().get(i) != simdjson::SUCCESS) return std::nullopt;
    return i;
  }

private:
  bool parse(const json_tree* n, simdjson::dom::element& out) {
    if (!n || n->k != json_tree::kind::scalar) return false;
    return parser_.parse(simdjson::padded_string(n->raw)).get(out) == simdjson::SUCCESS;
  }
  simdjson::dom::parser parser_;
};

bool is_value_key(std::string_view key) {
  return key.size() > 5 && key.starts_with("value") && std::isupper(static_cast<unsigned char>(key[5]));
}

const std::pair<std::string, json_tree>* value_member(const json_tree& part) {
  for (const auto& m : part.members)
    if (is_value_key(m.first)) return &m;
  return nullptr;
}

result<part_value> read_value(std::size_t index, const json_tree& part, const std::string& where,
                              scalar_reader& r) {
  const auto* x = value_member(part);
  const json_tree* resource = part.member("resource");
  const json_tree* parts = part.member("part");
  if ((x != nullptr) + (resource != nullptr) + (parts != nullptr) != 1)
    return malformed(index, where, "a value needs exactly one of value[x], resource or part");
  part_value v;
  if (x) {
    v.suffix = x->first.substr(5);
    v.type = std::string(fhirpath::type_for_choice_suffix(v.suffix));
    if (v.type.empty()) return malformed(index, where, "\"" + x->first + "\" names no FHIR data type");
    v.json = x->second.rendered();
    return v;
  }
  if (resource) {
    v.k = part_value::kind::resource;
    v.type = resource->is_object() ? resource_type_of(*resource) : std::string{};
    if (v.type.empty()) return malformed(index, where, "the resource has no resourceType");
    v.json = resource->rendered();
    return v;
  }
  v.k = part_value::kind::parts;
  if (!parts->is_array() || parts->items.empty())
    return malformed(index, where, "\"part\" must be a list of parts");
  for (std::size_t i = 0; i < parts->items.size(); ++i) {
    const std::string at = where + ".part[" + std::to_string(i) + "]";
    const json_tree& sub = parts->items[i];
    auto name = r.string(sub.member("name"));
    if (!sub.is_object() || !name || name->empty()) return malformed(index, at, "a part needs a name");
    auto member = read_value(index, sub, at, r);
    if (!member) return member.error();
    v.parts.emplace_back(std::move(*name), std::move(*member));
  }
  return v;
}

// Sets what the part named `name` gives the operation.
status read_part(operation& op, const std::string& name, const json_tree& part,
                 const std::string& where, scalar_reader& r) {
  if (name == "value") {
    auto v = read_value(op.index, part, where, r);
    if (!v) return v.error();
    op.value = std::move(*v);
    return status::ok();
  }
  const auto* x = value_member(part);
  const json_tree* raw = x ? &x->second : nullptr;
  if (name == "type" || name == "path" || name == "name") {
    auto s = r.string(raw);
    if (!s) return malformed(op.index, where, "the \"" + name + "\" part needs a valueString or valueCode");
    (name == "type" ? op.type : name == "path" ? op.path : op.name) = std::move(*s);
    return status::ok();
  }
  if (name == "index" || name == "source" || name == "destination") {
    auto i = r.integer(raw);
    if (!i) return malformed(op.index, where, "the \"" + name + "\" part needs a valueInteger");
    (name == "index" ? op.at : name == "source" ? op.source : op.destination) = *i;
    return status::ok();
  }
  return malformed(op.index, where, "unknown part \"" + name + "\"");
}

result<operation> read_operation(const json_tree& param, std::size_t index, scalar_reader& r) {
  operation op;
  op.index = index;
  const std::string where = op.where();
  if (r.string(param.member("name")) != "operation")
    return malformed(index, where, "each parameter of a FHIRPath Patch must be named \"operation\"");
  const json_tree* parts = param.member("part");
  if (!parts || !parts->is_array()) return malformed(index, where, "the operation has no parts");
  std::set<std::string, std::less<>> seen;
  for (std::size_t i = 0; i < parts->items.size(); ++i) {
    const std::string at = where + ".part[" + std::to_string(i) + "]";
    const json_tree& part = parts->items[i];
    auto name = part.is_object() ? r.string(part.member("name")) : std::nullopt;
    if (!name) return malformed(index, at, "a part needs a name");
    if (!seen.insert(*name).second) return malformed(index, at, "more than one \"" + *name + "\" part");
    if (auto s = read_part(op, *name, part, at, r); !s) return s;
  }
  if (!seen.contains("type")) return malformed(index, where, "the operation has no \"type\" part");
  const op_spec* spec = nullptr;
  for (const auto& s : specs)
    if (s.type == op.type) spec = &s;
  if (!spec)
    return malformed(index, where, "unknown type \"" + op.type + "\" (add, insert, delete, replace or move)");
  for (std::string_view needed : spec->parts)
    if (!needed.empty() && !seen.contains(needed))
      return malformed(index, where, op.type + " needs a \"" + std::string(needed) + "\" part");
  for (const std::string& name : seen)
    if (name != "type" && std::find(spec->parts.begin(), spec->parts.end(), name) == spec->parts.end())
      return malformed(index, where, "the \"" + name + "\" part does not belong to " + op.type);
  return op;
}

bool is_quantity(std::string_view t) {
  return t == "Quantity" || t == "Age" || t == "Count" || t == "Distance" || t == "Duration" ||
         t == "SimpleQuantity" || t == "MoneyQuantity";
}

std::string describe(const part_value& v) {
  switch (v.k) {
  case part_value::kind::typed: return "value" + v.suffix;
  case part_value::kind::resource: return "a " + v.type + " resource";
  case part_value::kind::parts: return "a list of parts";
  }
  return {};
}

} // namespace

result<std::vector<operation>> read_operations(const json_tree& parameters) {
  std::vector<operation> out;
  const json_tree* list = parameters.member("parameter");
  if (!list) return out;
  if (!list->is_array()) return status(errc::invalid, "\"parameter\" must be a list", "Parameters.parameter");
  scalar_reader r;
  for (std::size_t i = 0; i < list->items.size(); ++i) {
    auto op = read_operation(list->items[i], i, r);
    if (!op) return op.error();
    out.push_back(std::move(*op));
  }
  return out;
}

std::optional<std::string> misfit(const element_shape* element, const part_value& v) {
  if (!element) return std::nullopt;
  const bool typed = v.k == part_value::kind::typed;
  switch (element->k) {
  case element_shape::kind::primitive:
    if (typed && std::islower(static_cast<unsigned char>(v.type[0]))) return std::nullopt;
    return "takes a primitive value, not " + describe(v);
  case element_shape::kind::complex:
    if (typed && (v.type == element->type || (is_quantity(v.type) && is_quantity(element->type))))
      return std::nullopt;
    return "takes a " + element->type + ", not " + describe(v);
  case element_shape::kind::backbone:
    if (v.k == part_value::kind::parts) return std::nullopt;
    return "is an anonymous type, given as a list of parts, not " + describe(v);
  case element_shape::kind::resource:
    if (v.k == part_value::kind::resource && (element->type.empty() || element->type == v.type))
      return std::nullopt;
    return "takes " + (element->type.empty() ? std::string("a resource") : "a " + element->type) +
           ", not " + describe(v);
  case element_shape::kind::choice:
    if (typed) return std::nullopt;
    return "is a choice element and takes a value[x], not " + describe(v);
  }
  return std::nullopt;
}

result<json_tree> build(const operation& op, const element_shape* element, const part_value& v) {
  if (v.k != part_value::kind::parts) return json_tree::parse(v.json);
  const std::string owner = element && element->k == element_shape::kind::backbone ? element->type : "";
  json_tree object;
  object.k = json_tree::kind::object;
  std::set<std::string, std::less<>> done;
  for (const auto& [name, first] : v.parts) {
    if (!done.insert(name).second) continue;
    const element_shape* child = owner.empty() ? nullptr : find_element_shape(owner, name);
    if (!owner.empty() && !child)
      return op.error(errc::unprocessable, owner + " has no element \"" + name + "\"");
    std::vector<json_tree> values;
    for (const auto& [other, value] : v.parts) {
      if (other != name) continue;
      if (auto why = misfit(child, value))
        return op.error(errc::unprocessable, owner + "." + name + " " + *why);
      auto built = build(op, child, value);
      if (!built) return built;
      values.push_back(std::move(*built));
    }
    const bool repeats = child ? child->repeats : values.size() > 1;
    if (!repeats && values.size() > 1)
      return op.error(errc::unprocessable, owner + "." + name + " does not repeat, but is given " +
                                               std::to_string(values.size()) + " times");
    std::string key = name;
    if (child && child->k == element_shape::kind::choice) key += first.suffix;
    if (repeats) {
      json_tree list;
      list.k = json_tree::kind::array;
      list.items = std::move(values);
      object.members.emplace_back(std::move(key), std::move(list));
    } else {
      object.members.emplace_back(std::move(key), std::move(values.front()));
    }
  }
  return object;
}

} // namespace atrium::fhir::patch
