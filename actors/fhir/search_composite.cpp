// Composite search parameters (code-value-quantity=http://loinc.org|8480-6$gt140):
// each entry holds one value per component from the same item
// (storage/index_keys.hpp, 'k'), so a match is a predicate per component over
// the parts of one entry. The predicates mean what the range scans of
// search_exec.cpp mean for each parameter type (R4 search §3.1.1.4).
#include "actors/fhir/search_scan.hpp"
#include "protocols/fhir/instant.hpp"
#include "protocols/fhir/search/extract.hpp"

namespace atrium::actors::search {

namespace {

namespace fs = fhir::search;
namespace ix = storage::index;
using fs::prefix;

bool token_matches(ix::composite_reader& r, const fs::raw_value& q) {
  auto code = r.text();
  auto system = r.text();
  return code && system && token_in(*code, *system, q);
}

bool quantity_matches(ix::composite_reader& r, const fs::raw_value& q, fs::param_type type) {
  auto x = r.number();
  if (!x)
    return false;
  auto n = parse_number(q.parts.empty() ? q.text : q.parts[0]);
  if (!n || !number_in(*x, q.pre, *n))
    return false;
  if (type == fs::param_type::number)
    return true;
  auto system = r.text();
  auto code = r.text();
  if (!system || !code)
    return false;
  if (q.parts.size() == 3)
    return (q.parts[1].empty() || *system == q.parts[1]) &&
           (q.parts[2].empty() || *code == q.parts[2]);
  return true;
}

bool date_matches(ix::composite_reader& r, const fs::raw_value& q) {
  auto s = r.instant();
  auto e = r.instant();
  auto range = fhir::parse_fhir_period(q.text);
  if (!s || !e || !range)
    return false;
  return date_in(*s, *e, q.pre, range->start, range->end);
}

/// "Patient/1", "Patient/1/_history/2", an absolute URL, or a bare id (any type).
/// `service_path`: this service's absolute URLs are its relative references
/// (fs::local_reference), as the index holds them.
bool reference_matches(ix::composite_reader& r, const fs::raw_value& q,
                       std::string_view service_path) {
  auto target = r.text();
  if (!target)
    return false;
  const auto want = fs::local_reference(unversioned(q.text), service_path);
  if (want.find('/') == std::string_view::npos)
    return target->size() > want.size() && target->ends_with(want) &&
           (*target)[target->size() - want.size() - 1] == '/';
  return *target == want;
}

bool part_matches(ix::composite_reader& r, const fs::raw_value& q, fs::param_type type,
                  std::string_view service_path) {
  switch (type) {
    case fs::param_type::token: return token_matches(r, q);
    case fs::param_type::number:
    case fs::param_type::quantity: return quantity_matches(r, q, type);
    case fs::param_type::date: return date_matches(r, q);
    case fs::param_type::string: {
      auto text = r.text();
      return text && text->starts_with(fs::normalize_text(q.text));
    }
    case fs::param_type::reference: return reference_matches(r, q, service_path);
    case fs::param_type::uri: {
      auto text = r.text();
      return text && *text == q.text;
    }
    default: return false;
  }
}

} // namespace

result<id_set> match_composite(const param_scope& ps, const fs::clause& c, const fs::raw_value& v,
                               const fs::search_param& p) {
  if (!c.modifier.empty())
    return status{errc::invalid, "composite parameter '" + c.code + "' takes no modifier :" +
                                   c.modifier, c.code};
  std::vector<fs::param_type> types;
  for (const auto& component : p.components) {
    const auto* part = ps.ctx.registry.find_url(component.definition);
    if (!part)
      return status{errc::invalid, "component " + component.definition + " of '" + c.code +
                                     "' is not a known search parameter", c.code};
    types.push_back(part->type);
  }
  if (v.components.size() != types.size())
    return invalid_value(c, v, "does not have one value per component");

  // A first component that is a code narrows the scan to that code.
  auto lower = ps.prefix(ix::kind::composite);
  const auto& first = v.components[0];
  if (types[0] == fs::param_type::token) {
    if (first.parts.size() < 2)
      lower += first.text + '\0';
    else if (!first.parts[1].empty())
      lower += first.parts[1] + '\0' + first.parts[0] + '\0';
  }
  return scan_ids(ps, lower, storage::keys::prefix_end(lower),
                  [&](std::string_view key, std::string_view) {
                    ix::composite_reader r(key);
                    for (std::size_t i = 0; i < types.size(); ++i)
                      if (!part_matches(r, v.components[i], types[i], ps.ctx.service_path))
                        return false;
                    return true;
                  });
}

} // namespace atrium::actors::search
