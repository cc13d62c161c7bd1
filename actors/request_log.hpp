#pragma once
// One structured (JSON) line per request on stdout. Lines are buffered; the
// runtime's main loop calls flush() a few times a second, so logging costs
// no syscall per request.
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string_view>

namespace atrium::actors {

class request_log {
public:
  explicit request_log(std::FILE* out = stdout);
  ~request_log();

  void request(std::string_view method, std::string_view path, unsigned status,
               std::chrono::nanoseconds duration);
  /// A node event: {"ts":…,"event":"…","detail":"…"}.
  void event(std::string_view event, std::string_view detail = {});
  void flush();

private:
  void write_line(std::string_view line);
  std::mutex mutex_;
  std::FILE* out_;
  bool pending_ = false;
};

} // namespace atrium::actors
