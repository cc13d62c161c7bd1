#pragma once
// The resources a transaction's POST entries create, for the criteria R4
// resolves after its POSTs (conditional updates and patches, conditional
// references: http.html#trules) while the store cannot see them yet. Each
// is matched in memory by its own index entries, as a search decides a
// clause for a few candidates from their manifests (search_filter.cpp):
// token, string, reference, date, number and quantity clauses, and
// :missing. Clauses a search only scans for (chains, _has, _id, other
// modifiers, composites) and _lastUpdated, which a resource has only once
// committed, leave the criteria to the store alone, as do reference criteria
// when a creation still refers to another entry by its urn fullUrl.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace atrium::storage {
class store;
}
namespace atrium::fhir::search {
class param_registry;
}

namespace atrium::actors {

class bundle_creations {
public:
  /// Criteria are read by `registry` (the service's search parameters) of
  /// service `service`, whose references by absolute URL start with
  /// `service_path` ("/ws/name/"). `db` only lends its read view.
  bundle_creations(const storage::store& db, std::uint32_t service,
                   std::shared_ptr<const fhir::search::param_registry> registry,
                   std::string service_path);
  ~bundle_creations();

  /// Entry `entry` creates `reference` ("Patient/123") of `type` from
  /// `resource`, JSON that outlives this object.
  void add(std::uint16_t type, std::size_t entry, std::string reference, std::string_view resource);

  struct match {
    std::size_t entry;
    std::string reference;
  };
  /// What of `type` the `criteria` (a query string) match; std::nullopt
  /// when they are not criteria matched here, or do not parse.
  std::optional<std::vector<match>> find(std::uint16_t type, std::string_view criteria) const;

private:
  struct creation {
    std::uint16_t type;
    std::size_t entry;
    std::string reference;
    std::string_view resource;
    /// Its index keys, made by the first find() of its type: most Bundles
    /// never ask, and one that asks often indexes each resource once.
    mutable std::optional<std::vector<std::string>> keys;
  };
  const storage::store& db_;
  std::uint32_t service_;
  std::shared_ptr<const fhir::search::param_registry> registry_;
  std::string service_path_;
  std::vector<creation> creations_;
};

} // namespace atrium::actors
