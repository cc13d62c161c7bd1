#pragma once
// Conditional create, update and delete (If-None-Exist, PUT/DELETE
// {type}?criteria). The FHIR service actor runs them one at a time and waits
// for each one's write before the next search, so concurrent conditional
// creates with the same criteria create exactly one resource.
#include "actors/actors.hpp"

namespace atrium::actors {

struct fhir_service_state;

/// Handles a conditional_* request in the service actor `self`.
void run_conditional(fhir_actor::stateful_pointer<fhir_service_state> self, fhir_request& req,
                     fhir_callback reply);

} // namespace atrium::actors
