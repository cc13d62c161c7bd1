#pragma once
#include <string>
#include <string_view>

#include "protocols/fhir/search/params.hpp"

namespace atrium::fhir {

/// What a build of the FHIR service supports, so that the CapabilityStatement
/// claims exactly that and no more. Grows as features land.
struct capabilities {
  bool search = false;            // search-type, search-system, each type's searchParam list
  bool conditional_create = false;
  bool conditional_update = false;
  bool conditional_delete = false; // "multiple" (one match, or up to _count) when set
  bool patch = false;
  bool batch = false;
  bool transaction = false;
};

/// The CapabilityStatement (minified JSON): fhirVersion 4.0.1, format json,
/// kind instance, implementation.url = base_url, software {name "Atrium",
/// version}, rest mode server with every R4 resource type and its
/// interactions (read, vread, update, delete, create, history-instance,
/// history-type; search-type only when caps.search), versioning "versioned",
/// readHistory true, updateCreate true, conditional* per caps (conditionalRead
/// full-support), searchInclude and searchRevInclude "*" with search,
/// patchFormat (JSON Patch, FHIRPath Patch) with patch, and the system
/// interaction history-system. Each type's searchParam list comes from
/// `registry` (the service's: R4's plus its active custom parameters).
std::string capability_statement(std::string_view base_url,
                                 std::string_view software_version,
                                 const capabilities& caps,
                                 const search::param_registry& registry);

} // namespace atrium::fhir
