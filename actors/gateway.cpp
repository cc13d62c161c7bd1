#include "actors/gateway.hpp"

#include <caf/event_based_actor.hpp>

#include "actors/actors.hpp"
#include "actors/fhir/replies.hpp"

namespace atrium::actors {

caf::behavior gateway_actor(caf::event_based_actor* self,
                            std::chrono::milliseconds timeout) {
  return {
    [=](fhir_actor& dest, fhir_request& req, fhir_callback& cb) {
      self->request(dest, timeout, std::move(req))
        .then([cb](fhir_reply& reply) { cb(std::move(reply)); },
              [cb](caf::error& err) { cb(transport_error_reply(err)); });
    },
    [=](mgmt_actor& dest, mgmt_request& req, mgmt_callback& cb) {
      self->request(dest, timeout, std::move(req))
        .then([cb](mgmt_reply& reply) { cb(std::move(reply)); },
              [cb](caf::error& err) {
                mgmt_reply r;
                r.status = transport_status(err);
                cb(std::move(r));
              });
    },
  };
}

} // namespace atrium::actors
