#include "protocols/fhir/search/ucum.hpp"

#include <array>

namespace atrium::fhir::search {

namespace {

struct row {
  std::string_view code;
  std::string_view canonical;
  double factor;
};

// clang-format off
constexpr std::array table{
    // mass
    row{"kg", "g", 1e3}, row{"g", "g", 1}, row{"mg", "g", 1e-3}, row{"ug", "g", 1e-6},
    row{"ng", "g", 1e-9}, row{"pg", "g", 1e-12}, row{"[lb_av]", "g", 453.59237},
    row{"[oz_av]", "g", 28.349523125},
    // length
    row{"km", "m", 1e3}, row{"m", "m", 1}, row{"cm", "m", 1e-2}, row{"mm", "m", 1e-3},
    row{"um", "m", 1e-6}, row{"nm", "m", 1e-9}, row{"[in_i]", "m", 0.0254},
    row{"[ft_i]", "m", 0.3048},
    // volume
    row{"L", "L", 1}, row{"dL", "L", 1e-1}, row{"cL", "L", 1e-2}, row{"mL", "L", 1e-3},
    row{"uL", "L", 1e-6}, row{"fL", "L", 1e-15}, row{"m3", "L", 1e3}, row{"cm3", "L", 1e-3},
    // time
    row{"a", "s", 31557600}, row{"mo", "s", 2629800}, row{"wk", "s", 604800},
    row{"d", "s", 86400}, row{"h", "s", 3600}, row{"min", "s", 60}, row{"s", "s", 1},
    row{"ms", "s", 1e-3},
    // rates
    row{"/s", "/s", 1}, row{"/min", "/s", 1.0 / 60}, row{"/h", "/s", 1.0 / 3600},
    // amount of substance
    row{"mol", "mol", 1}, row{"mmol", "mol", 1e-3}, row{"umol", "mol", 1e-6},
    row{"nmol", "mol", 1e-9}, row{"pmol", "mol", 1e-12},
    // mass concentration
    row{"g/L", "g/L", 1}, row{"g/dL", "g/L", 10}, row{"mg/dL", "g/L", 1e-2},
    row{"mg/L", "g/L", 1e-3}, row{"ug/L", "g/L", 1e-6}, row{"ug/dL", "g/L", 1e-5},
    row{"ng/mL", "g/L", 1e-6}, row{"ng/L", "g/L", 1e-9}, row{"pg/mL", "g/L", 1e-9},
    row{"mg/mL", "g/L", 1}, row{"ug/mL", "g/L", 1e-3},
    // substance concentration
    row{"mol/L", "mol/L", 1}, row{"mmol/L", "mol/L", 1e-3}, row{"umol/L", "mol/L", 1e-6},
    row{"nmol/L", "mol/L", 1e-9}, row{"pmol/L", "mol/L", 1e-12},
    // pressure
    row{"Pa", "Pa", 1}, row{"kPa", "Pa", 1e3}, row{"mm[Hg]", "Pa", 133.322387415},
    row{"cm[H2O]", "Pa", 98.0665}, row{"bar", "Pa", 1e5}, row{"mbar", "Pa", 1e2},
    // energy
    row{"J", "J", 1}, row{"kJ", "J", 1e3}, row{"cal", "J", 4.184}, row{"kcal", "J", 4184},
    // mass per body mass, area
    row{"kg/m2", "g/m2", 1e3}, row{"g/m2", "g/m2", 1},
};
// clang-format on

} // namespace

std::optional<canonical_unit> ucum_canonical(std::string_view code) {
  for (const auto& r : table)
    if (r.code == code) return canonical_unit{r.canonical, r.factor};
  return std::nullopt;
}

} // namespace atrium::fhir::search
