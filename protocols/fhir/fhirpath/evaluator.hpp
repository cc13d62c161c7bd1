#pragma once
// Evaluating a compiled FHIRPath expression against a FHIR R4 resource held
// as a simdjson DOM. Items of the result point into that DOM, so the parsed
// document (and its padded_string) must outlive the result.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "protocols/common/status.hpp"
#include "protocols/fhir/fhirpath/ast.hpp"
#include "protocols/fhir/fhirpath/value.hpp"

namespace atrium::fhir::fhirpath {

/// Finds the resource a reference names ("Patient/123", "urn:uuid:…", an
/// absolute URL). Returns nullopt when it is not available.
using resolver = std::function<std::optional<simdjson::dom::element>(std::string_view reference)>;

struct context {
  /// For resolve(). Without one (or when it returns nullopt), resolve() of a
  /// Reference yields a placeholder carrying only the type named by the
  /// reference ("Patient/1" → Patient), so `resolve() is Patient` still works
  /// as search parameters use it; navigation into the placeholder is empty.
  /// "#id" references are resolved against %resource.contained.
  resolver resolve;
  /// Extra %variables (name without %). %resource, %rootResource, %context,
  /// %ucum, %sct, %loinc, %vs-*, %ext-* are built in.
  std::map<std::string, collection, std::less<>> variables;
  /// The value of now() (and today()/timeOfDay()); the clock when unset.
  std::optional<temporal> now;
};

/// Evaluates `expr` with `resource` as %resource, %context and the input.
/// Errors (a function called on several items where the spec requires one,
/// invalid regular expressions, …) are errc::invalid with where() = "offset N".
result<collection> evaluate(const expression& expr, simdjson::dom::element resource,
                            const context& ctx = {});

/// Same as above with an explicit input collection (`%context` = input).
result<collection> evaluate(const expression& expr, simdjson::dom::element resource,
                            const collection& input, const context& ctx);

/// Compiles and evaluates once; for ad hoc use and tests.
result<collection> evaluate(std::string_view text, simdjson::dom::element resource,
                            const context& ctx = {});

/// The item as a System value when it is (or holds) a primitive: a JSON
/// string, number or boolean, with FHIR date/dateTime/time/instant strings as
/// temporals and FHIR Quantity objects as quantities. nullopt for other nodes.
std::optional<item> to_system(const item& it);

/// Text for an item as toString() gives it; nullopt for complex nodes.
std::optional<std::string> to_text(const item& it);

} // namespace atrium::fhir::fhirpath
