#pragma once
// The bridge from the edge's io threads into the actor world. An io thread
// cannot wait for a reply, so it hands (destination, request, callback) to a
// gateway; the gateway sends a request with a timeout and runs the callback
// with the reply or the failure. Callbacks only post to the session's strand.
#include <chrono>

#include <caf/behavior.hpp>
#include <caf/fwd.hpp>

namespace atrium::actors {


caf::behavior gateway_actor(caf::event_based_actor* self,
                            std::chrono::milliseconds timeout);

} // namespace atrium::actors
