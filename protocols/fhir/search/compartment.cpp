#include "protocols/fhir/search/compartment.hpp"

#include <map>
#include <sstream>

namespace atrium::fhir::search {

namespace {

constexpr const char* lines[] = {
#include "compartment_patient.inc"
};

std::map<std::string, std::vector<std::string>, std::less<>> load() {
  std::map<std::string, std::vector<std::string>, std::less<>> out;
  for (const char* line : lines) {
    std::istringstream in{line};
    std::string type, param;
    in >> type;
    while (in >> param)
      out[type].push_back(param);
  }
  return out;
}

} // namespace

const std::vector<std::string>& patient_compartment_params(std::string_view type) {
  static const auto table = load();
  static const std::vector<std::string> none;
  auto it = table.find(type);
  return it == table.end() ? none : it->second;
}

} // namespace atrium::fhir::search
