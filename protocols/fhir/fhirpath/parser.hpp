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

/// As compile(), for input that is always one resource of `type` (search
/// indexing): each top-level `|` branch that starts with that type's name,
/// or with Resource or DomainResource, starts at the resource's members
/// instead ("Observation.code" becomes "code"), which is the same on such
/// input and spares testing its type on every evaluation.
result<expression> compile_for_resource(std::string_view text, std::string_view type);

} // namespace atrium::fhir::fhirpath
