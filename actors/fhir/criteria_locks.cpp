#include "actors/fhir/criteria_locks.hpp"

#include <memory>
#include <utility>

namespace atrium::actors {

void criteria_locks::run(std::vector<std::string> keys, job j) {
  queue_.push_back({std::move(keys), std::move(j)});
  pump();
}

void criteria_locks::start(queued q) {
  for (const auto& k : q.keys)
    held_.insert(k);
  auto released = std::make_shared<bool>(false);
  q.j([this, keys = std::move(q.keys), released] {
    if (std::exchange(*released, true))
      return;
    for (const auto& k : keys)
      held_.erase(k);
    pump();
  });
}

void criteria_locks::pump() {
  // A job may finish (and release) while it is being started: the pass then
  // runs again instead of re-entering.
  if (pumping_) {
    again_ = true;
    return;
  }
  pumping_ = true;
  do {
    again_ = false;
    std::unordered_set<std::string> wanted; // by jobs still waiting ahead
    for (std::size_t i = 0; i < queue_.size();) {
      bool free = true;
      for (const auto& k : queue_[i].keys)
        if (held_.contains(k) || wanted.contains(k)) free = false;
      if (!free) {
        wanted.insert(queue_[i].keys.begin(), queue_[i].keys.end());
        ++i;
        continue;
      }
      auto q = std::move(queue_[i]);
      queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(i));
      start(std::move(q));
    }
  } while (again_);
  pumping_ = false;
}

} // namespace atrium::actors
