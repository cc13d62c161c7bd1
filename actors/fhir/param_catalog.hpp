#pragma once
// Which search parameters each FHIR service of this node indexes and
// searches by: R4's own plus the custom SearchParameters its $reindex jobs
// activated. Two registries per service, because a reindex job makes writes
// index a new set at once while searches keep the old set until every
// existing resource is re-indexed; meanwhile writes carry the entries of
// both (write_entries), so a search never misses what it asks.
// Thread-safe: the edge's io threads, partitions and search workers read it.
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocols/common/status.hpp"
#include "protocols/fhir/search/params.hpp"
#include "storage/index_entries.hpp"

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
  /// "/ws/name/": references by the service's absolute URL are indexed and
  /// searched as relative ones (fhir::search::local_reference). Set by the
  /// catalog; "" when the store could not say.
  std::string service_path = {};
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
  /// "/ws/name/" of the service, from its management record.
  result<std::string> service_path_of(std::uint32_t service) const;

  const storage::store* db_;
  std::shared_mutex mutex_;
  std::unordered_map<std::uint32_t, std::shared_ptr<const service_params>> services_;
};

/// The index entries a version of resource `json` is written with (a
/// resource the indexer cannot evaluate: errc::unprocessable): those of
/// the service's write registry and, while a $reindex job runs, those of its
/// search registry too, so that searches during the job find everything
/// they look for, and a failed job (which puts the old set back) leaves
/// nothing missing. Entries of a set no longer in use stay listed in the
/// resource's manifest and go with its next write.
result<std::vector<storage::index::entry>> write_entries(const service_params& params,
                                                         std::uint32_t service,
                                                         std::uint16_t type, std::string_view id,
                                                         std::string_view json);
/// The same, of a document already parsed (prepare_resource's).
result<std::vector<storage::index::entry>> write_entries(const service_params& params,
                                                         std::uint32_t service,
                                                         std::uint16_t type, std::string_view id,
                                                         const simdjson::dom::element& resource);

/// Checks a write of a resource of `type_name` (`body`: the resource; null
/// for a delete or patch): a SearchParameter must be usable as a custom
/// parameter when it is written (so $reindex never meets a broken one), and
/// none may change while a $reindex job runs (the job activates the set it
/// found when it started). Other types pass.
status check_search_parameter_write(param_catalog& catalog, std::uint32_t service,
                                    std::string_view type_name, const std::string* body);

} // namespace atrium::actors
