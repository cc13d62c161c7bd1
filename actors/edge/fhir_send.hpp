#pragma once
// Handing a FHIR request to the actor that owns it, and its reply back to
// the HTTP session, exactly once.
#include <functional>

#include "actors/actors.hpp"
#include "protocols/http/message.hpp"

namespace atrium::actors {

struct edge_context;

/// Turns an actor's reply into the HTTP response.
using fhir_renderer = std::function<http::response(fhir_reply&&)>;

/// Sends `req` to `dest` and answers through `respond` with render(reply).
/// A local actor gets the callback itself (one hop less); a remote one is
/// reached through a gateway, since callbacks cannot travel. If the reply
/// never comes because the actor stopped, the client gets 503 at once.
void send_fhir(edge_context& ctx, const fhir_actor& dest, fhir_request&& req,
               fhir_renderer render, http::responder respond);

} // namespace atrium::actors
