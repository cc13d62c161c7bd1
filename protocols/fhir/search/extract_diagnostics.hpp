#pragma once
// extract() with a report of what it skipped: expressions that do not compile
// and evaluations that fail are left out of the index (a stored resource must
// not be refused because one parameter's expression cannot cope with it), so
// tests and $reindex use this form to see them.
#include <string>
#include <vector>

#include "protocols/fhir/search/extract.hpp"

namespace atrium::fhir::search {

struct extract_problem {
  const search_param* param = nullptr;
  std::string message;
};

result<std::vector<index_value>> extract(std::string_view resource_json, std::string_view type,
                                         const param_registry& registry,
                                         std::vector<extract_problem>* problems);
result<std::vector<index_value>> extract(const simdjson::dom::element& resource,
                                         std::string_view type, const param_registry& registry,
                                         std::vector<extract_problem>* problems);

/// "Patient/1/_history/2" → "Patient/1"; "#p1", URLs and URNs as written;
/// "" for a conditional reference ("Patient?identifier=…"), which has no target.
std::string normalize_reference(std::string_view reference);

} // namespace atrium::fhir::search
