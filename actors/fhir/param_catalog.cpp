#include "actors/fhir/param_catalog.hpp"

#include <algorithm>
#include <mutex>

#include "protocols/fhir/reindex_job.hpp"
#include "protocols/mgmt/resources.hpp"
#include "storage/keyspace.hpp"
#include "storage/store.hpp"

namespace atrium::actors {

namespace fs = fhir::search;

namespace {

std::shared_ptr<const fs::param_registry> r4_only() {
  // Aliasing a static: services without custom parameters share it.
  static const std::shared_ptr<const fs::param_registry> r4(
    std::shared_ptr<const fs::param_registry>{}, &fs::param_registry::r4());
  return r4;
}

} // namespace

std::shared_ptr<const fs::param_registry>
param_catalog::registry_with(const std::vector<std::string>& custom,
                             std::vector<std::string>* issues) {
  if (custom.empty()) return r4_only();
  std::vector<fs::search_param> usable;
  auto registry = std::make_shared<fs::param_registry>(fs::param_registry::r4().extended({}));
  for (const auto& json : custom) {
    auto p = fs::param_registry::parse_param(json);
    status s = p ? fs::check_custom_param(*registry, *p) : p.error();
    if (s && p->retired) continue;
    if (!s) {
      if (issues) issues->push_back((p ? p->url : std::string{"a SearchParameter"}) +
                                    " is left out: " + s.message());
      continue;
    }
    registry->add(std::move(*p));
  }
  return registry;
}

result<std::string> param_catalog::service_path_of(std::uint32_t service) const {
  // Few services per node, and read once per service: a scan of their
  // records ("S" ws 0x00 name → kind byte, JSON) is enough.
  const std::string prefix{storage::keys::services_all};
  for (auto c = db_->scan(storage::column::meta, prefix, storage::keys::prefix_end(prefix));
       c.valid(); c.next()) {
    const auto value = c.value();
    if (value.empty()) continue;
    auto record = mgmt::parse_stored(value.substr(1));
    if (!record || record->service_id != service) continue;
    const auto key = c.key().substr(1);
    const auto nul = key.find('\0');
    if (nul == std::string_view::npos) continue;
    return "/" + std::string(key.substr(0, nul)) + "/" + std::string(key.substr(nul + 1)) + "/";
  }
  return std::string{};
}

result<service_params> param_catalog::load(std::uint32_t service) const {
  service_params out;
  auto path = service_path_of(service);
  if (!path) return path.error();
  out.service_path = std::move(*path);
  std::string stored;
  auto s = db_->get(storage::column::meta, storage::keys::active_search_params(service), &stored);
  if (!s && s.code() != errc::not_found) return s;
  if (s) {
    auto decoded = fhir::decode_json_texts(stored);
    if (!decoded) return decoded.error();
    out.active_params = std::move(*decoded);
  }
  out.search = out.write = registry_with(out.active_params, nullptr);
  auto prefix = storage::keys::reindex_jobs_prefix(service);
  for (auto c = db_->scan(storage::column::meta, prefix, storage::keys::prefix_end(prefix));
       c.valid(); c.next()) {
    auto job = fhir::decode_reindex_job(c.value());
    if (!job) return job.error();
    if (job->status != fhir::reindex_job::state::running) continue;
    out.running_job = job->id;
    out.write = registry_with(job->params, nullptr);
  }
  return out;
}

std::shared_ptr<const service_params> param_catalog::get(std::uint32_t service) {
  {
    std::shared_lock lock(mutex_);
    if (auto it = services_.find(service); it != services_.end()) return it->second;
  }
  auto loaded = load(service);
  // A store that cannot be read now leaves this call on R4's parameters, and
  // the next one tries again: the fallback is never kept.
  if (!loaded)
    return std::make_shared<const service_params>(service_params{r4_only(), r4_only(), {}, {}});
  auto params = std::make_shared<const service_params>(std::move(*loaded));
  std::unique_lock lock(mutex_);
  return services_.try_emplace(service, std::move(params)).first->second;
}

namespace {
/// write_entries of a resource as text or as a parsed document.
template <class Resource>
result<std::vector<storage::index::entry>> entries_by_both(const service_params& params,
                                                           std::uint32_t service,
                                                           std::uint16_t type, std::string_view id,
                                                           const Resource& resource) {
  namespace ix = storage::index;
  auto refused = [](const status& s) {
    return status{errc::unprocessable, "the resource could not be indexed for search: " + s.message(),
                  s.where()};
  };
  auto entries = ix::index_resource(*params.write, service, type, id, resource, params.service_path);
  if (!entries) return refused(entries.error());
  if (params.search == params.write) return entries;
  auto old = ix::index_resource(*params.search, service, type, id, resource, params.service_path);
  if (!old) return refused(old.error());
  entries->insert(entries->end(), std::make_move_iterator(old->begin()),
                  std::make_move_iterator(old->end()));
  std::sort(entries->begin(), entries->end(), [](auto& a, auto& b) { return a.key < b.key; });
  entries->erase(std::unique(entries->begin(), entries->end(),
                             [](auto& a, auto& b) { return a.key == b.key; }),
                 entries->end());
  return entries;
}
} // namespace

result<std::vector<storage::index::entry>> write_entries(const service_params& params,
                                                         std::uint32_t service,
                                                         std::uint16_t type, std::string_view id,
                                                         std::string_view json) {
  return entries_by_both(params, service, type, id, json);
}

result<std::vector<storage::index::entry>> write_entries(const service_params& params,
                                                         std::uint32_t service,
                                                         std::uint16_t type, std::string_view id,
                                                         const simdjson::dom::element& resource) {
  return entries_by_both(params, service, type, id, resource);
}

void param_catalog::set(std::uint32_t service, service_params params) {
  if (params.service_path.empty())
    if (auto path = service_path_of(service)) params.service_path = std::move(*path);
  auto p = std::make_shared<const service_params>(std::move(params));
  std::unique_lock lock(mutex_);
  services_.insert_or_assign(service, std::move(p));
}

status check_search_parameter_write(param_catalog& catalog, std::uint32_t service,
                                    std::string_view type_name, const std::string* body) {
  if (type_name != "SearchParameter")
    return status::ok();
  const auto params = catalog.get(service);
  if (!params->running_job.empty())
    return {errc::conflict,
            "SearchParameters cannot change while $reindex job " + params->running_job +
              " runs; retry when it is done (_operations/reindex/" + params->running_job + ")"};
  if (!body)
    return status::ok();
  auto p = fhir::search::param_registry::parse_param(*body);
  if (!p)
    return p.error();
  if (p->retired)
    return status::ok();
  return fhir::search::check_custom_param(fhir::search::param_registry::r4(), *p);
}

} // namespace atrium::actors
