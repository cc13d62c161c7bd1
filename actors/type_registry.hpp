#pragma once
namespace caf { class actor_system_config; }

namespace atrium::actors {

/// Registers every message type of actors/messages.hpp with CAF. Call on the
/// config before the actor system starts: an unregistered type compiles and
/// then fails only on the wire.
void register_message_types(caf::actor_system_config& cfg);

} // namespace atrium::actors
