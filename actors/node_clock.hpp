#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>

namespace atrium::actors {

/// The node's source of lastUpdated times: microseconds UTC, strictly
/// increasing across all threads even when the wall clock steps back, so a
/// resource's versions and the change log are ordered by time.
class node_clock {
public:
  std::int64_t now_micros() noexcept {
    auto wall = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
    auto last = last_.load(std::memory_order_relaxed);
    for (;;) {
      auto next = wall > last ? wall : last + 1;
      if (last_.compare_exchange_weak(last, next, std::memory_order_relaxed))
        return next;
    }
  }

private:
  std::atomic<std::int64_t> last_{0};
};

} // namespace atrium::actors
