#pragma once
// Conditional references (`Practitioner?identifier=sys|val`) repeat across
// transactions: a Synthea Bundle names the same few practitioners,
// organizations and locations in every Bundle. Their matches are kept per
// service, type and criteria, and trusted only while no resource of that
// type was written since they were found (node_context counts the writes
// per type) and searches use the same parameters.
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "protocols/common/status.hpp"

namespace atrium::actors {

struct node_context;

class criteria_cache {
public:
  /// The matches of `criteria` (up to two ids), as match_criteria finds them.
  result<std::vector<std::string>> matches(const node_context& ctx, std::uint32_t service,
                                           std::uint16_t type, const std::string& criteria);

private:
  struct entry {
    std::uint64_t writes = 0;   // the type's write count before the search
    std::uint64_t registry = 0; // uid of the search registry it ran with
    std::vector<std::string> ids;
  };
  /// Entries beyond this are dropped all at once: the working set is small.
  static constexpr std::size_t max_entries = 4096;

  std::mutex mutex_;
  std::unordered_map<std::string, entry> entries_;
};

} // namespace atrium::actors
