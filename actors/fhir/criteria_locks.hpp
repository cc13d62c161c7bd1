#pragma once
// Conditional interactions resolve search criteria and then write: two of
// them with the same criteria must not both see "no match" and both create.
// The FHIR service runs each one holding its criteria ("Patient?identifier=
// a|1"); one that needs criteria another holds waits, in arrival order, and
// those with other criteria run alongside. Used by one actor only: no locks.
#include <deque>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

namespace atrium::actors {

class criteria_locks {
public:
  /// Ends a job's hold on its criteria; call it exactly once.
  using release_fn = std::function<void()>;
  using job = std::function<void(release_fn)>;

  /// Runs `j` now if none of `keys` is held or wanted by a job that came
  /// earlier, else once they are free. `keys` may be empty (runs now).
  void run(std::vector<std::string> keys, job j);

  std::size_t waiting() const { return queue_.size(); }

private:
  struct queued {
    std::vector<std::string> keys;
    job j;
  };
  void start(queued q);
  void pump();

  std::unordered_set<std::string> held_;
  std::deque<queued> queue_;
  bool pumping_ = false;
  bool again_ = false;
};

} // namespace atrium::actors
