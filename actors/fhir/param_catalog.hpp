#pragma once
// Which search parameters each FHIR service of this node indexes and
// searches by: R4's own plus the custom SearchParameters its $reindex jobs
// activated. Two registries per service, because a reindex job makes writes
// index a new set at once while searches keep the old set until every
// existing resource is re-indexed (a search must never miss what it asks).
// Thread-safe: the edge's io threads, partitions and search workers read it.
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocols/common/status.hpp"
#include "protocols/fhir/search/params.hpp"

namespace atrium::storage { class store; }

namespace atrium::actors {

struct service_params {
  /// What queries bind against.
  std::shared_ptr<const fhir::search::param_registry> search;
  /// What writes index (search's set, or a running job's new set).
  std::shared_ptr<const fhir::search::param_registry> write;
  /// The running $reindex job ("" = none).
  std::string running_job;
  /// The SearchParameter resources (JSON) `search` was made from.
  std::vector<std::string> active_params;
};

class param_catalog {
public:
  explicit param_catalog(const storage::store* db) : db_(db) {}

  /// The service's registries, loaded from the store on first use: the
  /// active custom parameters, and a running job's set if there is one.
  std::shared_ptr<const service_params> get(std::uint32_t service);

  /// Replaces what a service uses (by the reindex job, at start and end).
  void set(std::uint32_t service, service_params params);

  /// R4's parameters plus `custom` (SearchParameter resources as JSON).
  /// Parameters that cannot be used are left out, each with an issue.
  static std::shared_ptr<const fhir::search::param_registry>
  registry_with(const std::vector<std::string>& custom, std::vector<std::string>* issues);

private:
  result<service_params> load(std::uint32_t service) const;

  const storage::store* db_;
  std::shared_mutex mutex_;
  std::unordered_map<std::uint32_t, std::shared_ptr<const service_params>> services_;
};

} // namespace atrium::actors
