#pragma once
// A CodeSystem stored in the service, as token :below/:above and ValueSet
// filters read it: its codes, their hierarchy (concept nesting and "parent"
// properties) and their properties. Internal to actors/fhir.
#include <map>
#include <set>
#include <string>
#include <vector>

#include <simdjson.h>

#include "actors/fhir/search_scan.hpp"

namespace atrium::actors::search {

struct code_system {
  std::string url;
  std::vector<std::string> codes;                   // every concept, in document order
  std::multimap<std::string, std::string> children; // parent → child
  std::multimap<std::string, std::string> parents;  // child → parent
  /// (code, property) → value as text (code, string, boolean, integer,
  /// decimal, dateTime, or a Coding's code).
  std::multimap<std::pair<std::string, std::string>, std::string> properties;

  /// `code` and everything below it (down) or above it.
  std::set<std::string> closure(const std::string& code, bool down) const;
};

/// The CodeSystem with canonical `url` ("url" or "url|version") stored in
/// the service; errc::invalid when there is none.
result<code_system> load_code_system(const exec_context& ctx, std::string_view url);

/// The codes of `cs` that pass every filter of a ValueSet include (R4
/// filter-operator: = is-a descendent-of is-not-a regex in not-in
/// generalizes exists). `where` names the ValueSet in errors.
result<std::set<std::string>> filtered_codes(const code_system& cs, simdjson::dom::array filters,
                                             std::string_view where);

} // namespace atrium::actors::search
