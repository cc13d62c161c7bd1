#include "actors/fhir/service.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/fhir/replies.hpp"
#include "actors/node_context.hpp"

namespace atrium::actors {

fhir_actor::behavior_type
fhir_service_actor(fhir_actor::stateful_pointer<fhir_service_state> self,
                   node_context* ctx, std::uint32_t service) {
  self->state.ctx = ctx;
  self->state.service = service;
  auto handle = [=](const fhir_request& req) -> fhir_reply {
    switch (req.op) {
      case fhir_op::history_type:
        return changes_history(*ctx->db, service, req.type, req);
      case fhir_op::history_system:
        return changes_history(*ctx->db, service, std::nullopt, req);
      default:
        return error_reply(errc::internal, "operation not handled by a service actor");
    }
  };
  return {
    [=](fhir_request& req) -> fhir_reply { return handle(req); },
    [=](fhir_request& req, fhir_callback& reply) { reply(handle(req)); },
  };
}

} // namespace atrium::actors
