#pragma once
// The R4 resource types, by the names in the R4 definitions
// (data/fhir-r4/resource-types.txt, embedded at build time). A type id is the
// type's index in that sorted list. Type ids are part of storage keys, and R4's
// list is closed, so it never changes; another FHIR version would get a list
// (and a type-id range) of its own rather than an edit of this one.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace atrium::fhir {

using type_id = std::uint16_t;

std::optional<type_id> find_resource_type(std::string_view name) noexcept;
std::string_view resource_type_name(type_id id) noexcept; // "" when out of range
std::size_t resource_type_count() noexcept;

} // namespace atrium::fhir
