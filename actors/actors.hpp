#pragma once
// Every typed actor interface of a node, declared together (one place to see
// who talks to whom). Each actor is a state struct plus a behavior function
// in its own file.
#include <functional>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"

namespace atrium::actors {

using flush_atom = caf::atom_constant<caf::atom("flush")>;

/// Storage writer: applies write batches with group commit (one WAL sync per
/// batch of requests). Detached: it blocks on fsync.
using storage_writer_actor = caf::typed_actor<
  caf::replies_to<write_request>::with<write_ack>,
  caf::reacts_to<flush_atom>>;

/// Callbacks that carry a reply back to an HTTP session. They only post to the
/// session's strand. Local-only by nature: they never leave the node.
using fhir_callback = std::function<void(fhir_reply)>;
using mgmt_callback = std::function<void(mgmt_reply)>;
using dicom_callback = std::function<void(dicom_reply)>;

/// Anything that answers FHIR requests: resource-type partitions (instance
/// level) and FHIR service actors (type and system history). Remote callers
/// (and the gateway) use request/response; the local edge sends the request
/// with its callback, which saves a hop per request (see actors/edge).
using fhir_actor = caf::typed_actor<caf::replies_to<fhir_request>::with<fhir_reply>,
                                    caf::reacts_to<fhir_request, fhir_callback>>;

/// A DICOM study partition: owns the studies whose UID hashes to it and
/// serialises their writes. Like fhir_actor, local callers pass a callback.
using dicom_actor = caf::typed_actor<caf::replies_to<dicom_request>::with<dicom_reply>,
                                     caf::reacts_to<dicom_request, dicom_callback>>;

/// Workspace catalog (node level) and workspace actors (per workspace).
using mgmt_actor = caf::typed_actor<caf::replies_to<mgmt_request>::with<mgmt_reply>>;

} // namespace atrium::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(atrium::actors::fhir_callback)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(atrium::actors::mgmt_callback)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(atrium::actors::dicom_callback)
