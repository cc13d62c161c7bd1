#include "actors/dicom/query_tag_registry.hpp"

#include <algorithm>

#include "storage/dicom_index.hpp"
#include "storage/store.hpp"

namespace atrium::actors {

namespace {

namespace keys = storage::keys;
using storage::column;

std::string tag_key(std::uint32_t service, dicom::tag tag) {
  auto k = keys::dicom_query_tags_prefix(service);
  keys::append_u32(k, tag);
  return k;
}

} // namespace

std::vector<dicom::query_tag>& query_tag_registry::load(std::uint32_t service) {
  auto it = cache_.find(service);
  if (it != cache_.end())
    return it->second;
  std::vector<dicom::query_tag> tags;
  auto prefix = keys::dicom_query_tags_prefix(service);
  for (auto cur = db_.scan(column::meta, prefix, keys::prefix_end(prefix)); cur.valid(); cur.next())
    if (auto t = dicom::decode_query_tag(cur.value()))
      tags.push_back(std::move(*t));
  return cache_.emplace(service, std::move(tags)).first->second;
}

std::vector<dicom::query_tag> query_tag_registry::of(std::uint32_t service) {
  std::lock_guard lock{mutex_};
  return load(service);
}

status query_tag_registry::persist(std::uint32_t service,
                                   const std::vector<dicom::query_tag>& changed,
                                   const std::vector<dicom::tag>& removed) {
  std::vector<storage::write_op> ops;
  // A removed tag's error records go with it, both keys of each.
  for (auto t : removed) {
    auto prefix = keys::dicom_tag_errors_by_tag_prefix(service, t);
    for (auto cur = db_.scan(column::dicom, prefix, keys::prefix_end(prefix)); cur.valid();
         cur.next())
      if (auto k = keys::parse_dicom_tag_error_by_tag(cur.key()))
        storage::erase_tag_error(ops, service, *k);
  }
  for (auto& t : changed)
    ops.push_back({column::meta, false, false, tag_key(service, t.tag), dicom::encode(t)});
  for (auto t : removed)
    ops.push_back({column::meta, true, false, tag_key(service, t), {}});
  return db_.write(ops, true);
}

status query_tag_registry::add(std::uint32_t service, std::vector<dicom::query_tag> tags) {
  std::lock_guard lock{mutex_};
  auto& have = load(service);
  for (auto& t : tags)
    if (std::any_of(have.begin(), have.end(), [&](auto& h) { return h.tag == t.tag; }))
      return {errc::conflict, "extended query tag " + dicom::tag_key(t.tag) + " already exists"};
  if (have.size() + tags.size() > dicom::max_query_tags)
    return {errc::invalid, "a service has at most " + std::to_string(dicom::max_query_tags) +
                             " extended query tags"};
  if (auto s = persist(service, tags, {}); !s)
    return s;
  have.insert(have.end(), tags.begin(), tags.end());
  return status::ok();
}

status query_tag_registry::remove(std::uint32_t service, dicom::tag tag) {
  std::lock_guard lock{mutex_};
  auto& have = load(service);
  auto it = std::find_if(have.begin(), have.end(), [&](auto& h) { return h.tag == tag; });
  if (it == have.end())
    return {errc::not_found, "no extended query tag " + dicom::tag_key(tag)};
  if (auto s = persist(service, {}, {tag}); !s)
    return s;
  have.erase(it);
  return status::ok();
}

status query_tag_registry::ready(std::uint32_t service, const std::string& operation) {
  std::lock_guard lock{mutex_};
  auto& have = load(service);
  std::vector<dicom::query_tag> changed;
  for (auto& t : have)
    if (t.operation == operation && !t.ready) {
      changed.push_back(t);
      changed.back().ready = true;
      changed.back().query_enabled = !has_errors(service, t.tag);
    }
  if (auto s = persist(service, changed, {}); !s)
    return s;
  for (auto& t : have)
    for (auto& c : changed)
      if (t.tag == c.tag)
        t = c;
  return status::ok();
}

status query_tag_registry::set_query_enabled(std::uint32_t service, dicom::tag tag, bool enabled) {
  std::lock_guard lock{mutex_};
  auto& have = load(service);
  auto it = std::find_if(have.begin(), have.end(), [&](auto& h) { return h.tag == tag; });
  if (it == have.end())
    return {errc::not_found, "no extended query tag " + dicom::tag_key(tag)};
  auto changed = *it;
  changed.query_enabled = enabled;
  if (auto s = persist(service, {changed}, {}); !s)
    return s;
  *it = std::move(changed);
  return status::ok();
}

std::uint64_t query_tag_registry::error_count(std::uint32_t service, dicom::tag tag) {
  std::uint64_t n = 0;
  auto prefix = keys::dicom_tag_errors_by_tag_prefix(service, tag);
  for (auto cur = db_.scan(column::dicom, prefix, keys::prefix_end(prefix)); cur.valid(); cur.next())
    ++n;
  return n;
}

bool query_tag_registry::has_errors(std::uint32_t service, dicom::tag tag) {
  auto prefix = keys::dicom_tag_errors_by_tag_prefix(service, tag);
  return db_.scan(column::dicom, prefix, keys::prefix_end(prefix)).valid();
}

std::vector<query_tag_registry::tag_error>
query_tag_registry::errors(std::uint32_t service, dicom::tag tag, std::size_t offset,
                           std::size_t limit) {
  std::vector<tag_error> out;
  auto prefix = keys::dicom_tag_errors_by_tag_prefix(service, tag);
  for (auto cur = db_.scan(column::dicom, prefix, keys::prefix_end(prefix));
       cur.valid() && out.size() < limit; cur.next()) {
    auto k = keys::parse_dicom_tag_error_by_tag(cur.key());
    if (!k)
      continue;
    if (offset > 0) {
      --offset;
      continue;
    }
    out.push_back({std::string{k->study}, std::string{k->series}, std::string{k->sop},
                   std::string{cur.value()}});
  }
  return out;
}

std::optional<std::string> query_tag_registry::operation(std::uint32_t service, const std::string& id) {
  std::string json;
  if (!db_.get(column::meta, keys::dicom_operation(service, id), &json).is_ok())
    return std::nullopt;
  return json;
}

status query_tag_registry::set_operation(std::uint32_t service, const std::string& id,
                                         const std::string& json) {
  return db_.write({{column::meta, false, false, keys::dicom_operation(service, id), json}}, true);
}

} // namespace atrium::actors
