#pragma once
// From a resource's search values (protocols/fhir/search/extract.hpp) to the
// index entries written beside it (storage/index_keys.hpp).
#include <string>
#include <string_view>
#include <vector>

#include "protocols/fhir/search/extract.hpp"
#include "storage/index_keys.hpp"
#include "storage/keyspace.hpp"

namespace atrium::storage::index {

struct entry {
  std::string key;
  std::string value; // strings: the value as written (for :exact); else empty
  bool operator==(const entry&) const = default;
};

/// The entries of one version of resource `id`, without duplicates and in
/// key order.
std::vector<entry> entries_for(service_id svc, type_id type, std::string_view id,
                               const std::vector<fhir::search::index_value>& values);

/// The entries of resource `json` by the parameters of `registry`; a
/// resource the extractor cannot evaluate is an error (errc::invalid).
/// References by the absolute URL of the service at `service_path`
/// ("/ws/name/") are indexed as the relative references they are
/// (fhir::search::local_reference).
result<std::vector<entry>> index_resource(const fhir::search::param_registry& registry,
                                          service_id svc, type_id type, std::string_view id,
                                          std::string_view json,
                                          std::string_view service_path = {});
/// The same, of a document already parsed.
result<std::vector<entry>> index_resource(const fhir::search::param_registry& registry,
                                          service_id svc, type_id type, std::string_view id,
                                          const simdjson::dom::element& resource,
                                          std::string_view service_path = {});

/// The entries of _lastUpdated, which only the owner of the resource knows
/// (it is set at commit).
void add_last_updated(std::vector<entry>& out, service_id svc, type_id type,
                      std::string_view id, std::int64_t micros);

/// _lastUpdated is indexed by the owner at commit (above), and _id is
/// answered from the resources themselves, so entries_for skips both: a
/// client's body may carry stale values for them.
inline constexpr std::string_view last_updated_url =
  "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated";
inline constexpr std::string_view id_url = "http://hl7.org/fhir/SearchParameter/Resource-id";

} // namespace atrium::storage::index
