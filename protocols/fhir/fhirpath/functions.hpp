#pragma once
// The function library's table: names, argument counts and which arguments
// are evaluated once per input item ($this bound to the item) rather than once.
#include <cstdint>
#include <string_view>

#include "protocols/fhir/fhirpath/ast.hpp"

namespace atrium::fhir::fhirpath {

struct function_spec {
  std::string_view name;
  function_id id;
  std::uint8_t min_args;
  std::uint8_t max_args;
  std::uint8_t per_item_args; // bit i set: argument i is evaluated per item
  bool type_argument;         // the single argument is a type specifier
};

/// nullptr for a name that is not in the library.
const function_spec* find_function(std::string_view name);

} // namespace atrium::fhir::fhirpath
