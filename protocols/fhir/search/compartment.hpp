#pragma once
// R4's Patient compartment (data/fhir-r4/compartment-patient.txt, embedded at
// build time): which parameters of each resource type make a resource part
// of a patient's compartment, for GET /Patient/{id}/{type}.
#include <string>
#include <string_view>
#include <vector>

namespace atrium::fhir::search {

/// The parameters linking `type` to a Patient; empty when the type is not in
/// the Patient compartment.
const std::vector<std::string>& patient_compartment_params(std::string_view type);

} // namespace atrium::fhir::search
