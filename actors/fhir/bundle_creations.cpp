#include "actors/fhir/bundle_creations.hpp"

#include <algorithm>

#include "actors/fhir/search_exec.hpp"
#include "protocols/fhir/bundle_request.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "protocols/fhir/search/query.hpp"
#include "protocols/fhir/search/params.hpp"
#include "protocols/http/query.hpp"
#include "storage/index_entries.hpp"
#include "storage/index_keys.hpp"
#include "storage/store.hpp"

namespace atrium::actors {

namespace fs = fhir::search;

namespace {

/// The criteria as clauses bound for `type`; std::nullopt when they do not
/// parse or bind (the store's search, asked first, says why) or have none.
std::optional<fs::search_query> bound_criteria(std::string_view criteria, std::string_view type,
                                               const fs::param_registry& registry) {
  auto params = http::parse_query(criteria);
  if (!params || params->empty())
    return std::nullopt;
  auto q = fs::parse_query(*params);
  if (!q || q->clauses.empty() || !fs::bind_query(*q, type, registry) || !q->problems.empty())
    return std::nullopt;
  return std::move(*q);
}

/// Whether one of the resource's references is a urn (a fullUrl of the
/// Bundle's, rewritten only once every entry is decided).
bool refers_by_urn(std::string_view resource, std::string_view type) {
  bool urn = false;
  fhir::for_each_reference(resource, type, [&](std::string_view reference) {
    urn = urn || reference.starts_with("urn:");
  });
  return urn;
}

} // namespace

bundle_creations::bundle_creations(const storage::store& db, std::uint32_t service,
                                   std::shared_ptr<const fs::param_registry> registry,
                                   std::string service_path)
  : db_(db), service_(service), registry_(std::move(registry)),
    service_path_(std::move(service_path)) {}

bundle_creations::~bundle_creations() = default;

void bundle_creations::add(std::uint16_t type, std::size_t entry, std::string reference,
                           std::string_view resource) {
  creations_.push_back({type, entry, std::move(reference), resource, std::nullopt});
}

std::optional<std::vector<bundle_creations::match>>
bundle_creations::find(std::uint16_t type, std::string_view criteria) const {
  std::vector<const creation*> of_type;
  for (const auto& c : creations_)
    if (c.type == type)
      of_type.push_back(&c);
  if (of_type.empty())
    return std::vector<match>{};
  const std::string_view type_name = fhir::resource_type_name(type);
  auto id_of = [&](const creation& c) {
    return std::string_view{c.reference}.substr(type_name.size() + 1); // "Type/id"
  };
  auto q = bound_criteria(criteria, type_name, *registry_);
  if (!q)
    return std::nullopt;

  auto view = db_.view();
  search::exec_context ec{*view, service_, *registry_};
  ec.service_path = service_path_;
  bool by_reference = false;
  for (const auto& clause : q->clauses) {
    if (clause.code == "_lastUpdated" ||
        search::estimate_cost(ec, type_name, clause) == search::clause_cost::scan_only)
      return std::nullopt;
    const auto* p = registry_->find(type_name, clause.code);
    by_reference = by_reference || (p && p->type == fs::param_type::reference);
  }
  // Each creation's entries stand in for the manifest a stored resource
  // has, so the clauses are decided as for a search's few candidates.
  search::id_set candidates;
  for (const auto* c : of_type) {
    const std::string_view id = id_of(*c);
    // Its references to other entries still name their urn:uuid fullUrls
    // here, not the resources they become.
    if (by_reference && refers_by_urn(c->resource, type_name))
      return std::nullopt;
    if (!c->keys) {
      // A resource that cannot be indexed fails its own entry later.
      auto entries =
        storage::index::index_resource(*registry_, service_, type, id, c->resource, service_path_);
      c->keys.emplace();
      if (entries)
        for (auto& e : *entries) c->keys->push_back(std::move(e.key));
    }
    ec.manifests.emplace(storage::index::manifest_key(service_, type, id), *c->keys);
    candidates.emplace_back(id);
  }
  std::sort(candidates.begin(), candidates.end());
  for (const auto& clause : q->clauses) {
    auto kept = search::filter_clause(ec, type_name, clause, candidates);
    if (!kept)
      return std::nullopt;
    candidates = std::move(*kept);
  }
  std::vector<match> out;
  for (const auto* c : of_type)
    if (std::binary_search(candidates.begin(), candidates.end(), id_of(*c)))
      out.push_back({c->entry, c->reference});
  return out;
}

} // namespace atrium::actors
