#pragma once
// The parts of a resource a client can ask for instead of the whole:
// _summary=true|text|data and _elements (FHIR R4 search §3.1.1.5.8–9, also
// allowed on read). Works on the stored minified JSON by keeping or dropping
// top-level members, using each type's element flags from
// data/fhir-r4/elements.txt (isSummary, min ≥ 1).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace atrium::fhir {

struct subset_request {
  enum class mode : std::uint8_t {
    whole,    // nothing asked: the resource as stored
    summary,  // _summary=true: elements marked isSummary
    text,     // _summary=text: text, id, meta and mandatory elements
    data,     // _summary=data: everything but text
    elements, // _elements=a,b: those, id, meta and mandatory elements
  };
  mode m = mode::whole;
  std::vector<std::string> elements; // for mode::elements; "Type." prefixes allowed
};

/// Whether `type` has a top-level element `name` (a choice element by its
/// name without "[x]", e.g. "value"). For checking _elements.
bool has_element(std::string_view type, std::string_view name);

/// The resource reduced per `r`, with meta.tag SUBSETTED added (FHIR asks
/// servers to mark subsetted resources); `json` unchanged for mode::whole.
/// `json` is a minified resource of `type` as stored.
std::string subset_resource(std::string_view json, std::string_view type,
                            const subset_request& r);

} // namespace atrium::fhir
