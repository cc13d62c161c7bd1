#include "actors/directory.hpp"

#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/dicom/study_partition.hpp"
#include "actors/fhir/partition.hpp"
#include "actors/fhir/service.hpp"
#include "actors/node_context.hpp"

namespace atrium::actors {

namespace {

std::string service_key(std::string_view ws, std::string_view name) {
  std::string k;
  k.reserve(ws.size() + name.size() + 1);
  k.append(ws).push_back('/');
  k.append(name);
  return k;
}

// svc(32) | type(16) | partition(15) | service-level flag(1)
std::uint64_t shard_key(std::uint32_t svc, std::uint16_t type,
                        std::uint32_t partition, bool service_level) {
  return (std::uint64_t{svc} << 32) | (std::uint64_t{type} << 16) |
         ((partition & 0x7fff) << 1) | (service_level ? 1 : 0);
}

} // namespace

std::uint64_t shard_hash(std::string_view id) noexcept {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : id) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

directory::directory(caf::actor_system& sys, node_context& ctx)
  : sys_(sys), ctx_(ctx) {}

std::optional<service_info> directory::find_service(std::string_view ws,
                                                    std::string_view name) const {
  std::shared_lock lock{mutex_};
  auto it = services_.find(service_key(ws, name));
  if (it == services_.end())
    return std::nullopt;
  return it->second;
}

void directory::publish_service(const service_info& info) {
  std::unique_lock lock{mutex_};
  services_[service_key(info.workspace, info.name)] = info;
}

std::vector<service_info> directory::services() const {
  std::shared_lock lock{mutex_};
  std::vector<service_info> out;
  for (auto& [key, info] : services_)
    out.push_back(info);
  return out;
}

void directory::retire_service(std::string_view ws, std::string_view name) {
  std::vector<fhir_actor> doomed;
  std::vector<dicom_actor> doomed_dicom;
  {
    std::unique_lock lock{mutex_};
    auto it = services_.find(service_key(ws, name));
    if (it == services_.end())
      return;
    auto svc = it->second.id;
    services_.erase(it);
    for (auto s = shards_.begin(); s != shards_.end();) {
      if ((s->first >> 32) == svc) {
        doomed.push_back(s->second);
        s = shards_.erase(s);
      } else {
        ++s;
      }
    }
    for (auto s = dicom_shards_.begin(); s != dicom_shards_.end();) {
      if ((s->first >> 32) == svc) {
        doomed_dicom.push_back(s->second);
        s = dicom_shards_.erase(s);
      } else {
        ++s;
      }
    }
  }
  for (auto& a : doomed)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  for (auto& a : doomed_dicom)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

fhir_actor directory::fhir_partition(std::uint32_t svc, std::uint16_t type,
                                     std::string_view id) {
  auto p = static_cast<std::uint32_t>(shard_hash(id) % ctx_.partitions);
  return spawn_or_find(shard_key(svc, type, p, false), false, svc, type, p);
}

fhir_actor directory::fhir_service(std::uint32_t svc) {
  return spawn_or_find(shard_key(svc, 0, 0, true), true, svc, 0, 0);
}

fhir_actor directory::spawn_or_find(std::uint64_t key, bool service_level,
                                    std::uint32_t svc, std::uint16_t type,
                                    std::uint32_t partition) {
  {
    std::shared_lock lock{mutex_};
    auto it = shards_.find(key);
    if (it != shards_.end())
      return it->second;
  }
  std::unique_lock lock{mutex_};
  auto it = shards_.find(key);
  if (it != shards_.end())
    return it->second;
  if (stopped_)
    return {};
  fhir_actor a = service_level
                   ? fhir_actor{sys_.spawn(fhir_service_actor, &ctx_, svc)}
                   : fhir_actor{sys_.spawn(fhir_partition_actor, &ctx_,
                                           partition_key{svc, type, partition})};
  shards_.emplace(key, a);
  return a;
}

dicom_actor directory::dicom_partition(std::uint32_t svc, std::string_view study) {
  const std::uint64_t key = (std::uint64_t{svc} << 32) | (shard_hash(study) % ctx_.partitions);
  {
    std::shared_lock lock{mutex_};
    if (auto it = dicom_shards_.find(key); it != dicom_shards_.end())
      return it->second;
  }
  std::unique_lock lock{mutex_};
  if (auto it = dicom_shards_.find(key); it != dicom_shards_.end())
    return it->second;
  if (stopped_)
    return {};
  dicom_actor a = sys_.spawn(dicom_study_partition_actor, &ctx_, svc);
  dicom_shards_.emplace(key, a);
  return a;
}

fhir_actor directory::search_worker() {
  std::shared_lock lock{mutex_};
  if (stopped_ || ctx_.search_workers.empty())
    return {};
  return ctx_.search_worker();
}

void directory::stop_all() {
  std::vector<fhir_actor> all;
  std::vector<dicom_actor> all_dicom;
  {
    std::unique_lock lock{mutex_};
    stopped_ = true;
    for (auto& [k, a] : shards_)
      all.push_back(a);
    shards_.clear();
    for (auto& [k, a] : dicom_shards_)
      all_dicom.push_back(a);
    dicom_shards_.clear();
  }
  for (auto& a : all)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  for (auto& a : all_dicom)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

} // namespace atrium::actors
