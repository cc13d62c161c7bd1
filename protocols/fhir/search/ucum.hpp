#pragma once
// UCUM units that quantity search compares in one canonical unit, so that
// 5.4 g and 5400 mg are the same amount (FHIR R4 search §3.1.1.4.6: servers
// SHOULD compare canonical forms where they can). A table of the units
// clinical data uses, each a multiple of its canonical unit; units with an
// offset (Cel, [degF]) or outside the table are compared as written.
#include <optional>
#include <string_view>

namespace atrium::fhir::search {

inline constexpr std::string_view ucum_system = "http://unitsofmeasure.org";

struct canonical_unit {
  std::string_view code; // the canonical UCUM code ("g", "m", "L", "s", "mol", "g/L", …)
  double factor = 1;     // value in canonical = value × factor
};

/// The canonical unit of a UCUM code, or nullopt when the table lacks it.
std::optional<canonical_unit> ucum_canonical(std::string_view code);

} // namespace atrium::fhir::search
