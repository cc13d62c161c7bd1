#include "storage/index_entries.hpp"

#include <algorithm>
#include <optional>

#include "protocols/fhir/resource_types.hpp"
#include "storage/index_keys.hpp"

namespace atrium::storage::index {

namespace {

using fhir::search::index_value;

void add(std::vector<entry>& out, std::string key, std::string value = {}) {
  out.push_back({std::move(key), std::move(value)});
}

/// One component value of a composite entry (index_keys.hpp, 'k').
void add_part(composite_parts& parts, const index_value& v) {
  switch (v.k) {
    case index_value::kind::token:
      parts.text(v.code);
      parts.text(v.system);
      break;
    case index_value::kind::number:
      parts.number(v.number);
      break;
    case index_value::kind::quantity:
      parts.number(v.number);
      parts.text(v.system);
      parts.text(v.code);
      break;
    case index_value::kind::date:
      parts.instant(v.start);
      parts.instant(v.end);
      break;
    default: // string (normalized), reference, uri
      parts.text(v.text);
      break;
  }
}

void add_value(std::vector<entry>& out, service_id s, type_id t, param_id p,
               std::string_view id, const index_value& v) {
  switch (v.k) {
    case index_value::kind::composite: {
      composite_parts parts;
      for (const auto& part : v.parts) {
        if (part.k == index_value::kind::token && part.code.empty())
          return; // a text-only coding has no code to search by
        add_part(parts, part);
      }
      add(out, composite_entry(s, t, p, parts.bytes, id));
      break;
    }
    case index_value::kind::string:
      add(out, string_entry(s, t, p, v.text, v.part, id), v.original);
      break;
    case index_value::kind::token:
      if (!v.code.empty())
        add(out, token_code_entry(s, t, p, v.code, v.system, v.part, id));
      if (!v.text.empty())
        add(out, token_text_entry(s, t, p, v.text, id));
      break;
    case index_value::kind::date:
      add(out, date_start_entry(s, t, p, v.start, v.end, id));
      if (!narrow_date(v.start, v.end))
        add(out, date_end_entry(s, t, p, v.start, v.end, id));
      break;
    case index_value::kind::number:
      add(out, number_entry(s, t, p, v.number, id));
      break;
    case index_value::kind::quantity:
      if (!v.system.empty() || !v.code.empty())
        add(out, quantity_entry(s, t, p, v.system, v.code, v.number, id));
      if (!v.canonical) // a value without a unit is the amount as written
        add(out, quantity_value_entry(s, t, p, v.number, id));
      break;
    case index_value::kind::reference:
      add(out, reference_entry(s, t, p, v.text, id));
      break;
    case index_value::kind::uri:
      add(out, uri_entry(s, t, p, v.text, id));
      break;
    case index_value::kind::identifier_type:
      add(out, identifier_type_entry(s, t, p, v.text, v.code, v.system, id));
      break;
    case index_value::kind::reference_identifier:
      add(out, reference_identifier_entry(s, t, p, v.code, v.system, id));
      break;
  }
}

} // namespace

std::vector<entry> entries_for(service_id svc, type_id type, std::string_view id,
                               const std::vector<index_value>& values) {
  std::vector<entry> out;
  out.reserve(values.size() * 3);
  // A parameter's values usually come one after another: its id (a hash of
  // its name) and whether it is written are worked out once per run of them.
  const fhir::search::search_param* param = nullptr;
  std::optional<param_id> written;
  for (auto& v : values) {
    if (!v.param) continue;
    if (v.param != param) {
      param = v.param;
      written.reset();
      if (param->url != last_updated_url && param->url != id_url)
        written = remembered_param_id(param->index_name());
    }
    if (written) add_value(out, svc, type, *written, id, v);
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.key < b.key; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](auto& a, auto& b) { return a.key == b.key; }),
            out.end());
  return out;
}

namespace {
/// index_resource's work once the values are extracted.
result<std::vector<entry>> entries_of(result<std::vector<fhir::search::index_value>> values,
                                      service_id svc, type_id type, std::string_view id,
                                      std::string_view service_path) {
  if (!values) return values.error();
  // A local reference is a suffix of its absolute form: erase what is before it.
  auto localize = [&](fhir::search::index_value& v) {
    if (v.k != fhir::search::index_value::kind::reference) return;
    const auto local = fhir::search::local_reference(v.text, service_path);
    v.text.erase(0, v.text.size() - local.size());
  };
  if (!service_path.empty())
    for (auto& v : *values) {
      localize(v);
      for (auto& part : v.parts) localize(part);
    }
  return entries_for(svc, type, id, *values);
}
} // namespace

result<std::vector<entry>> index_resource(const fhir::search::param_registry& registry,
                                          service_id svc, type_id type, std::string_view id,
                                          std::string_view json,
                                          std::string_view service_path) {
  return entries_of(fhir::search::extract(json, fhir::resource_type_name(type), registry), svc,
                    type, id, service_path);
}

result<std::vector<entry>> index_resource(const fhir::search::param_registry& registry,
                                          service_id svc, type_id type, std::string_view id,
                                          const simdjson::dom::element& resource,
                                          std::string_view service_path) {
  return entries_of(fhir::search::extract(resource, fhir::resource_type_name(type), registry),
                    svc, type, id, service_path);
}

void add_last_updated(std::vector<entry>& out, service_id svc, type_id type,
                      std::string_view id, std::int64_t micros) {
  static const param_id last_updated = param_id_of(last_updated_url);
  add(out, date_start_entry(svc, type, last_updated, micros, micros, id));
}

} // namespace atrium::storage::index
