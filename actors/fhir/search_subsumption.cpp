// token:below and token:above through a CodeSystem stored in the service:
// its concepts' nesting (and "parent" properties) give the hierarchy.
#include "actors/fhir/code_system.hpp"

namespace atrium::actors::search {

result<id_set> match_subsumption(const param_scope& ps, const fhir::search::clause& c,
                                 const fhir::search::raw_value& v) {
  if (v.parts.size() != 2 || v.parts[0].empty() || v.parts[1].empty())
    return invalid_value(c, v, "needs system|code for :" + c.modifier);
  const auto& system = v.parts[0];
  auto cs = load_code_system(ps.ctx, system);
  if (!cs)
    return cs.error();
  std::set<std::pair<std::string, std::string>> codings;
  for (auto& each : cs->closure(v.parts[1], c.modifier == "below"))
    codings.emplace(system, std::move(each));
  return match_codings(ps, codings);
}

} // namespace atrium::actors::search
