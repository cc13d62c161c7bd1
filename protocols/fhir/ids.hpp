#pragma once
#include <string>
#include <string_view>

namespace atrium::fhir {

/// FHIR R4 id: [A-Za-z0-9\-.]{1,64}.
bool is_valid_id(std::string_view id) noexcept;

/// A new server-assigned id: a random (version 4) UUID in lowercase hex with
/// dashes. Thread-safe.
std::string new_resource_id();

} // namespace atrium::fhir
