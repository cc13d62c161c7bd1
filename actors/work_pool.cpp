#include "actors/work_pool.hpp"

#include <algorithm>

namespace atrium::actors {

work_pool::work_pool(int threads, std::size_t max_queued) : max_queued_(max_queued) {
  for (int i = 0; i < std::max(1, threads); ++i)
    threads_.emplace_back([this] { run(); });
}

work_pool::~work_pool() {
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_)
    t.join();
}

bool work_pool::submit(std::function<void()> job) {
  {
    std::lock_guard lock{mutex_};
    if (stopping_ || queue_.size() >= max_queued_)
      return false;
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void work_pool::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock{mutex_};
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty())
        return; // stopping, and nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job();
  }
}

} // namespace atrium::actors
