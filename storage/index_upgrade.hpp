#pragma once
// Moves a store's index from an older layout to this build's, where that
// needs no re-indexing (index_keys.hpp index_format).
#include <cstddef>
#include <string>
#include <string_view>

#include "protocols/common/status.hpp"
#include "storage/keyspace.hpp"

namespace atrium::storage {

class store;

namespace index {

/// Where layouts 1 to 5 kept a resource's manifest: in the index column,
/// svc(4) type(2) ff×8 'm' id.
std::string legacy_manifest_key(service_id svc, type_id type, std::string_view id);

/// Moves every manifest from the index column to column::manifests under
/// its new key, in batches of a few thousand, each atomic and durable. A
/// start cut short by a crash moves the rest the next time; a store with
/// nothing left to move costs one seek per (service, type). Returns how
/// many were moved.
result<std::size_t> move_legacy_manifests(store& db);

} // namespace index
} // namespace atrium::storage
