#include "protocols/fhir/fhirpath/types.hpp"

#include "protocols/fhir/resource_types.hpp"

namespace atrium::fhir::fhirpath {

namespace {

struct primitive {
  std::string_view name;
  std::string_view system;
  std::string_view parent; // R4 specialisation ("code" is a string)
};

constexpr primitive primitives[] = {
    {"base64Binary", "String", ""}, {"boolean", "Boolean", ""}, {"canonical", "String", "uri"},
    {"code", "String", "string"}, {"date", "Date", ""}, {"dateTime", "DateTime", ""},
    {"decimal", "Decimal", ""}, {"id", "String", "string"}, {"instant", "DateTime", ""},
    {"integer", "Integer", ""}, {"markdown", "String", "string"}, {"oid", "String", "uri"},
    {"positiveInt", "Integer", "integer"}, {"string", "String", ""}, {"time", "Time", ""},
    {"unsignedInt", "Integer", "integer"}, {"uri", "String", ""}, {"url", "String", "uri"},
    {"uuid", "String", "uri"}, {"xhtml", "String", ""},
};

struct complex_type {
  std::string_view name;
  std::string_view parent;
};

constexpr complex_type complex_types[] = {
    {"Address", ""}, {"Age", "Quantity"}, {"Annotation", ""}, {"Attachment", ""},
    {"BackboneElement", ""}, {"CodeableConcept", ""}, {"Coding", ""}, {"ContactDetail", ""},
    {"ContactPoint", ""}, {"Contributor", ""}, {"Count", "Quantity"}, {"DataRequirement", ""},
    {"Distance", "Quantity"}, {"Dosage", ""}, {"Duration", "Quantity"}, {"Element", ""},
    {"ElementDefinition", ""}, {"Expression", ""}, {"Extension", ""}, {"HumanName", ""},
    {"Identifier", ""}, {"MarketingStatus", ""}, {"Meta", ""}, {"Money", ""},
    {"MoneyQuantity", "Quantity"}, {"Narrative", ""}, {"ParameterDefinition", ""},
    {"Period", ""}, {"Population", ""}, {"ProdCharacteristic", ""}, {"ProductShelfLife", ""},
    {"Quantity", ""}, {"Range", ""}, {"Ratio", ""}, {"Reference", ""}, {"RelatedArtifact", ""},
    {"SampledData", ""}, {"Signature", ""}, {"SimpleQuantity", "Quantity"},
    {"SubstanceAmount", ""}, {"Timing", ""}, {"TriggerDefinition", ""}, {"UsageContext", ""},
};

constexpr std::string_view system_types[] = {"Boolean", "String", "Integer", "Decimal",
                                             "Date",    "DateTime", "Time",  "Quantity"};

const primitive* find_primitive(std::string_view name) {
  for (const auto& p : primitives)
    if (p.name == name) return &p;
  return nullptr;
}

const complex_type* find_complex(std::string_view name) {
  for (const auto& c : complex_types)
    if (c.name == name) return &c;
  return nullptr;
}

bool is_system_name(std::string_view name) {
  for (auto s : system_types)
    if (s == name) return true;
  return false;
}

// True when `type` is `wanted` or specialises it.
bool fhir_is_a(std::string_view type, std::string_view wanted) {
  if (type.empty()) return false;
  if (type == wanted) return true;
  if (const primitive* p = find_primitive(type)) {
    for (std::string_view parent = p->parent; !parent.empty();) {
      if (parent == wanted) return true;
      const primitive* q = find_primitive(parent);
      parent = q ? q->parent : std::string_view{};
    }
    return wanted == "Element";
  }
  if (const complex_type* c = find_complex(type)) {
    return c->parent == wanted || wanted == "Element";
  }
  if (find_resource_type(type)) {
    if (wanted == "Resource") return true;
    if (wanted == "DomainResource")
      return type != "Bundle" && type != "Binary" && type != "Parameters";
  }
  return false;
}

std::string_view system_name_of_value(const item& it) {
  return std::visit(
      [](const auto& v) -> std::string_view {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) return "Boolean";
        else if constexpr (std::is_same_v<T, std::string>) return "String";
        else if constexpr (std::is_same_v<T, std::int64_t>) return "Integer";
        else if constexpr (std::is_same_v<T, decimal>) return "Decimal";
        else if constexpr (std::is_same_v<T, quantity>) return "Quantity";
        else if constexpr (std::is_same_v<T, temporal>) {
          return v.kind == temporal_kind::date ? "Date"
                 : v.kind == temporal_kind::time ? "Time" : "DateTime";
        } else {
          return "";
        }
      },
      it.v);
}

} // namespace

std::string_view type_for_choice_suffix(std::string_view suffix) {
  if (suffix.empty()) return {};
  if (const complex_type* c = find_complex(suffix)) return c->name;
  // Primitive suffixes are capitalised: valueDateTime → dateTime.
  for (const auto& p : primitives) {
    if (p.name.size() == suffix.size() && p.name.substr(1) == suffix.substr(1) &&
        p.name[0] == suffix[0] - 'A' + 'a')
      return p.name;
  }
  return {};
}

std::string_view item_type(const item& it) {
  if (const json_node* n = it.node()) {
    if (!n->type.empty()) return n->type;
    if (!n->has_value) return {};
    switch (n->value.type()) {
    case simdjson::dom::element_type::STRING: return "string";
    case simdjson::dom::element_type::BOOL: return "boolean";
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64: return "integer";
    case simdjson::dom::element_type::DOUBLE: return "decimal";
    default: return {};
    }
  }
  if (const auto* r = std::get_if<reference_target>(&it.v)) return r->type;
  return system_name_of_value(it);
}

std::string_view system_type_of(std::string_view fhir_primitive) {
  const primitive* p = find_primitive(fhir_primitive);
  return p ? p->system : std::string_view{};
}

bool type_matches(const item& it, std::string_view spec) {
  bool system_only = false, fhir_only = false;
  if (spec.starts_with("System.")) {
    system_only = true;
    spec.remove_prefix(7);
  } else if (spec.starts_with("FHIR.")) {
    fhir_only = true;
    spec.remove_prefix(5);
  }
  const bool fhir_item = it.node() || std::holds_alternative<reference_target>(it.v);
  if (!fhir_item) {
    if (fhir_only) return false;
    return system_name_of_value(it) == spec;
  }
  if (system_only) return false;
  const std::string_view type = item_type(it);
  if (fhir_is_a(type, spec)) return true;
  // Unqualified System names also accept FHIR primitives (value is String).
  return !fhir_only && is_system_name(spec) && system_type_of(type) == spec;
}

} // namespace atrium::fhir::fhirpath
