#pragma once
#include <string_view>

#include "protocols/common/status.hpp"
#include "protocols/fhir/fhirpath/ast.hpp"

namespace atrium::fhir::fhirpath {

/// Parses a FHIRPath (N1) expression. Precedence, tightest first: invocation
/// and indexer, unary +/-, * / div mod, + - &, is/as, |, < <= > >=,
/// = ~ != !~, in/contains, and, or/xor, implies; all left-associative.
/// Unknown functions, wrong argument counts, bad literals and trailing text
/// are errc::invalid with where() = "offset N".
result<expression> compile(std::string_view text);

} // namespace atrium::fhir::fhirpath
