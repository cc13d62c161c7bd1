#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace atrium::fhir {

/// FHIR R4 id: [A-Za-z0-9\-.]{1,64}.
bool is_valid_id(std::string_view id) noexcept;

/// A new server-assigned id: 24 characters of base32hex (0-9a-v) that sort
/// by the time they were drawn, 64 of their 120 bits random. Thread-safe.
std::string new_resource_id();

/// The version of a version ETag: W/"3" or "3" → 3; std::nullopt for
/// anything else (0 included).
std::optional<std::uint64_t> parse_version_etag(std::string_view etag);

} // namespace atrium::fhir
