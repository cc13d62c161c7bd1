#include "actors/fhir/criteria_cache.hpp"

#include "actors/fhir/conditional.hpp"
#include "actors/fhir/param_catalog.hpp"
#include "actors/node_context.hpp"

namespace atrium::actors {

result<std::vector<std::string>> criteria_cache::matches(const node_context& ctx,
                                                         std::uint32_t service,
                                                         std::uint16_t type,
                                                         const std::string& criteria) {
  std::string key(6, '\0');
  for (int i = 0; i < 4; ++i) key[i] = static_cast<char>(service >> (8 * i));
  key[4] = static_cast<char>(type);
  key[5] = static_cast<char>(type >> 8);
  key += criteria;
  // Read before the search: a write that lands during it changes the count,
  // so what the search found is never trusted past that write.
  const auto writes = ctx.writes_of(type);
  const auto registry = ctx.params->get(service)->search->uid();
  {
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(key);
        it != entries_.end() && it->second.writes == writes && it->second.registry == registry)
      return it->second.ids;
  }
  auto found = match_criteria(ctx, service, type, criteria);
  if (!found)
    return found;
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries)
    entries_.clear();
  entries_.insert_or_assign(std::move(key), entry{writes, registry, *found});
  return found;
}

} // namespace atrium::actors
