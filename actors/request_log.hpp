#pragma once
// One structured (JSON) line per request on stdout. Each thread appends to a
// buffer of its own (no lock shared between io threads on the hot path); a
// buffer goes to stdout when it fills, and the runtime's main loop calls
// flush() a few times a second, so lines appear promptly and logging costs
// no syscall per request.
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace atrium::actors {

class request_log {
public:
  explicit request_log(std::FILE* out = stdout);
  ~request_log();

  void request(std::string_view method, std::string_view path, unsigned status,
               std::chrono::nanoseconds duration);
  /// A node event: {"ts":…,"event":"…","detail":"…"}, written at once.
  void event(std::string_view event, std::string_view detail = {});
  /// Writes every thread's buffered lines.
  void flush();

private:
  struct buffer {
    std::mutex mutex; // contended only by flush()
    std::string lines;
  };
  buffer& local_buffer();
  void write_out(std::string& lines); // holds out_mutex_

  std::FILE* out_;
  std::mutex out_mutex_;      // order of whole buffers on stdout
  std::mutex buffers_mutex_;  // the list below
  std::vector<std::unique_ptr<buffer>> buffers_;
};

} // namespace atrium::actors
