#pragma once
// Sequence numbers of each DICOM service's change feed. Study partitions
// write in parallel, so sequence n+1 may become durable before n; a reader
// that saw n+1 and then asked for "after n+1" would never see n. So every
// number is in flight from begin() until end(), and readers only look below
// the smallest number still in flight (visible_end()). Thread-safe: study
// partitions allocate, the edge reads.
#include <cstdint>
#include <map>
#include <mutex>
#include <set>

namespace atrium::storage { class store; }

namespace atrium::actors {

class change_sequences {
public:
  explicit change_sequences(const storage::store& db) : db_(db) {}

  /// The next sequence number of `service`, in flight until end().
  std::uint64_t begin(std::uint32_t service);
  /// The write of `sequence` is durable, or failed for good.
  void end(std::uint32_t service, std::uint64_t sequence);
  /// The number begin() gives next: every change so far has a lower one.
  std::uint64_t next(std::uint32_t service);
  /// Entries below this number are settled: durable or never to be.
  std::uint64_t visible_end(std::uint32_t service);

private:
  struct feed {
    std::uint64_t next = 1;
    std::set<std::uint64_t> in_flight;
  };
  feed& of(std::uint32_t service); // mutex held

  const storage::store& db_;
  std::mutex mutex_;
  std::map<std::uint32_t, feed> feeds_;
};

} // namespace atrium::actors
