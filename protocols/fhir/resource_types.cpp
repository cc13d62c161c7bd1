#include "protocols/fhir/resource_types.hpp"

#include <algorithm>
#include <iterator>

namespace atrium::fhir {
namespace {

constexpr std::string_view type_names[] = {
#include "resource_type_names.inc"
};

// Lookup is a binary search, and type ids are indexes stored in keys: a name
// appended out of order must fail the build rather than silently break both.
static_assert(std::ranges::is_sorted(type_names),
              "data/fhir-r4/resource-types.txt must stay sorted");

} // namespace

std::optional<type_id> find_resource_type(std::string_view name) noexcept {
  const auto* it = std::ranges::lower_bound(type_names, name);
  if (it == std::end(type_names) || *it != name) return std::nullopt;
  return static_cast<type_id>(it - std::begin(type_names));
}

std::string_view resource_type_name(type_id id) noexcept {
  return id < std::size(type_names) ? type_names[id] : std::string_view{};
}

std::size_t resource_type_count() noexcept { return std::size(type_names); }

} // namespace atrium::fhir
