#include "actors/dicom/change_sequences.hpp"

#include "storage/store.hpp"

namespace atrium::actors {

change_sequences::feed& change_sequences::of(std::uint32_t service) {
  auto it = feeds_.find(service);
  if (it != feeds_.end())
    return it->second;
  // First use since start: continue after the last entry stored.
  feed f;
  auto prefix = storage::keys::dicom_changes_prefix(service);
  auto cur = db_.scan(storage::column::dicom, prefix, storage::keys::prefix_end(prefix), true);
  if (cur.valid() && cur.key().size() == prefix.size() + 8)
    f.next = storage::keys::read_u64(cur.key().data() + prefix.size()) + 1;
  return feeds_.emplace(service, f).first->second;
}

std::uint64_t change_sequences::begin(std::uint32_t service) {
  std::lock_guard lock{mutex_};
  auto& f = of(service);
  auto n = f.next++;
  f.in_flight.insert(n);
  return n;
}

void change_sequences::end(std::uint32_t service, std::uint64_t sequence) {
  std::lock_guard lock{mutex_};
  of(service).in_flight.erase(sequence);
}

std::uint64_t change_sequences::next(std::uint32_t service) {
  std::lock_guard lock{mutex_};
  return of(service).next;
}

std::uint64_t change_sequences::visible_end(std::uint32_t service) {
  std::lock_guard lock{mutex_};
  auto& f = of(service);
  return f.in_flight.empty() ? f.next : *f.in_flight.begin();
}

} // namespace atrium::actors
