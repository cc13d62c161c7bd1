#include "actors/edge/fhir_send.hpp"

#include <caf/send.hpp>

#include "actors/edge/router.hpp"

namespace atrium::actors {

namespace {

/// Answers exactly once; a callback dropped unanswered (its actor stopped
/// with the request in its mailbox) answers 503 instead of leaving the
/// client to a timeout that local sends do not have.
class reply_once {
public:
  reply_once(fhir_renderer render, http::responder respond)
    : state_(std::make_shared<state>(std::move(render), std::move(respond))) {}

  void operator()(fhir_reply r) const {
    if (std::exchange(state_->done, true))
      return;
    state_->respond(state_->render(std::move(r)));
  }

private:
  struct state {
    state(fhir_renderer f, http::responder r) : render(std::move(f)), respond(std::move(r)) {}
    ~state() {
      if (!done)
        respond(fhir_error({errc::unavailable, "the service stopped before answering"}));
    }
    fhir_renderer render;
    http::responder respond;
    bool done = false;
  };
  std::shared_ptr<state> state_;
};

} // namespace

void send_fhir(edge_context& ctx, const fhir_actor& dest, fhir_request&& req,
               fhir_renderer render, http::responder respond) {
  if (!dest)
    return respond(fhir_error({errc::unavailable, "the node is shutting down"}));
  fhir_callback reply{reply_once{std::move(render), std::move(respond)}};
  if (dest.node() == ctx.local_node)
    caf::anon_send(dest, std::move(req), std::move(reply));
  else
    caf::anon_send(ctx.gateway(), dest, std::move(req), std::move(reply));
}

} // namespace atrium::actors
