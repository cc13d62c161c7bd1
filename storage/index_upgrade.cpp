#include "storage/index_upgrade.hpp"

#include <vector>

#include "storage/index_keys.hpp"
#include "storage/store.hpp"

namespace atrium::storage::index {

namespace {

constexpr std::size_t scope_size = 4 + 2; // svc(4) type(2)

/// Manifests moved per write: a few MiB, one fsync each.
constexpr std::size_t batch_manifests = 4096;

} // namespace

std::string legacy_manifest_key(service_id svc, type_id type, std::string_view id) {
  std::string key;
  keys::append_u32(key, svc);
  keys::append_u16(key, type);
  keys::append_u64(key, ~std::uint64_t{0}); // the parameter hash no parameter has
  key.push_back('m');
  key.append(id);
  return key;
}

result<std::size_t> move_legacy_manifests(store& db) {
  std::size_t moved = 0;
  std::vector<write_op> ops;
  auto flush = [&]() -> status {
    if (ops.empty())
      return {};
    auto s = db.write(ops, true);
    moved += ops.size() / 2;
    ops.clear();
    return s;
  };
  // Each (service, type) keeps its manifests in one range after all of its
  // entries: seek to the first key of the next (service, type), then to its
  // manifests.
  std::string lower;
  while (true) {
    std::string scope;
    {
      auto first = db.scan(column::index, lower, "");
      if (!first.valid()) {
        if (auto s = first.error(); !s)
          return s;
        break;
      }
      scope = std::string{first.key().substr(0, scope_size)};
    }
    if (scope.size() < scope_size) { // not an entry of any layout: step over it
      lower = scope + '\0';
      continue;
    }
    const auto svc = keys::read_u32(scope.data());
    const auto type = keys::read_u16(scope.data() + 4);
    const auto start = legacy_manifest_key(svc, type, {});
    auto m = db.scan(column::index, start, keys::prefix_end(start));
    for (; m.valid(); m.next()) {
      auto id = m.key().substr(start.size());
      ops.push_back({column::manifests, false, false, manifest_key(svc, type, id),
                     std::string{m.value()}});
      ops.push_back({column::index, true, false, std::string{m.key()}, {}});
      if (ops.size() >= 2 * batch_manifests)
        if (auto s = flush(); !s)
          return s;
    }
    if (auto s = m.error(); !s)
      return s;
    if (auto s = flush(); !s)
      return s;
    lower = keys::prefix_end(scope);
    if (lower.empty()) // the last possible scope
      break;
  }
  return moved;
}

} // namespace atrium::storage::index
