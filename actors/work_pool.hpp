#pragma once
// A few threads for work that must not run on an io thread or a scheduler
// thread: DICOM parsing, file reads and writes, codecs.
// Bounded: when the queue is full, submit() refuses and the caller answers
// 503, instead of the queue growing without limit (DESIGN.md: backpressure
// is explicit).
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace atrium::actors {

class work_pool {
public:
  work_pool(int threads, std::size_t max_queued);
  ~work_pool(); // finishes what is queued, then joins
  work_pool(const work_pool&) = delete;
  work_pool& operator=(const work_pool&) = delete;

  /// Runs `job` on a pool thread; false (and `job` dropped) when the queue
  /// is full or the pool is stopping.
  bool submit(std::function<void()> job);

private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  std::size_t max_queued_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

} // namespace atrium::actors
