#pragma once
// The resources a transaction's POST entries create, for the criteria R4
// resolves after its POSTs (conditional updates and patches, conditional
// references: http.html#trules) while the store cannot see them yet. They
// are matched in memory, and only for the criteria clients send most,
// `identifier=[system]|value`; other criteria are the store's alone.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace atrium::actors {

class bundle_creations {
public:
  /// Entry `entry` creates `reference` ("Patient/123") of `type` from
  /// `resource`, JSON that outlives this object.
  void add(std::uint16_t type, std::size_t entry, std::string reference, std::string_view resource);

  struct identifier {
    std::optional<std::string> system; // nullopt: the Identifier has none
    std::string value;
  };

  struct match {
    std::size_t entry;
    std::string reference;
  };
  /// What of `type` the `criteria` (a query string) match; std::nullopt
  /// when they are not criteria matched here.
  std::optional<std::vector<match>> find(std::uint16_t type, std::string_view criteria) const;

private:
  struct creation {
    std::uint16_t type;
    std::size_t entry;
    std::string reference;
    std::string_view resource;
    /// Read from `resource` by the first find() of its type: most Bundles
    /// never ask, and one that asks often reads each resource once.
    mutable std::optional<std::vector<identifier>> identifiers;
  };
  std::vector<creation> creations_;
};

} // namespace atrium::actors
