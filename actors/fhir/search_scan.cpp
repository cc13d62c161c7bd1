#include "actors/fhir/search_scan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "protocols/fhir/resource_types.hpp"

namespace atrium::actors::search {

void normalize(id_set& ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
}

result<id_set> scan_prefix(const exec_context& ctx, const std::string& prefix) {
  return scan_ids(ctx, prefix, storage::keys::prefix_end(prefix),
                  [](std::string_view, std::string_view) { return true; });
}

storage::index::param_id index_id(const exec_context& ctx, std::uint16_t type,
                                  const fhir::search::search_param& p) {
  auto name = fhir::resource_type_name(type);
  return storage::index::param_id_of(ctx.registry.indexed_as(name, p).url);
}

result<std::vector<std::string>> targets_of(const exec_context& ctx, std::uint16_t type,
                                            std::string_view id,
                                            const std::vector<storage::index::param_id>& pids) {
  namespace ix = storage::index;
  std::string bytes;
  auto s = ctx.db.get(storage::column::index, ix::manifest_key(ctx.service, type, id), &bytes);
  if (s.code() == errc::not_found)
    return std::vector<std::string>{};
  if (!s)
    return s;
  auto keys = ix::decode_manifest(bytes);
  if (!keys)
    return status{errc::internal, "index manifest of " + std::string{id} + " is corrupt"};
  std::vector<std::string> prefixes;
  for (auto pid : pids) // twins share an id: look for each once
    if (auto p = ix::prefix(ctx.service, type, pid, ix::kind::reference);
        std::ranges::find(prefixes, p) == prefixes.end())
      prefixes.push_back(std::move(p));
  std::vector<std::string> out;
  for (auto& key : *keys)
    for (auto& p : prefixes)
      if (key.starts_with(p))
        if (auto target = ix::entry_target(key))
          out.emplace_back(*target);
  return out;
}

status invalid_value(const fhir::search::clause& c, const fhir::search::raw_value& v,
                     std::string why) {
  return {errc::invalid, "search parameter '" + c.code + "': '" + v.text + "' " + why, c.code};
}

std::optional<number_value> parse_number(std::string_view text) {
  std::string s{text};
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v))
    return std::nullopt;
  auto dot = s.find('.');
  auto exp = s.find_first_of("eE");
  int decimals = 0;
  if (dot != std::string::npos)
    decimals = static_cast<int>((exp == std::string::npos ? s.size() : exp) - dot - 1);
  if (exp != std::string::npos)
    decimals -= std::atoi(s.c_str() + exp + 1);
  double half = 0.5 * std::pow(10.0, -decimals);
  return number_value{v, v - half, v + half};
}

} // namespace atrium::actors::search
