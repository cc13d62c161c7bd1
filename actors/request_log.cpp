#include "actors/request_log.hpp"

#include <string>

#include "protocols/fhir/instant.hpp"
#include "protocols/fhir/json_text.hpp"

namespace atrium::actors {

namespace {

constexpr std::size_t buffer_limit = 32 * 1024;

std::int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

void append_start(std::string& line) {
  line += R"({"ts":")";
  line += fhir::format_instant(now_micros());
  line += '"';
}

} // namespace

request_log::request_log(std::FILE* out) : out_(out) {}

request_log::~request_log() { flush(); }

request_log::buffer& request_log::local_buffer() {
  // One buffer per (thread, log); logs are few and live as long as the node.
  thread_local std::vector<std::pair<const request_log*, buffer*>> mine;
  for (auto& [log, buf] : mine)
    if (log == this)
      return *buf;
  std::lock_guard lock{buffers_mutex_};
  buffers_.push_back(std::make_unique<buffer>());
  mine.emplace_back(this, buffers_.back().get());
  return *buffers_.back();
}

void request_log::request(std::string_view method, std::string_view path,
                          unsigned status, std::chrono::nanoseconds duration) {
  auto& buf = local_buffer();
  std::lock_guard lock{buf.mutex};
  auto& line = buf.lines;
  append_start(line);
  line += R"(,"method":)";
  fhir::append_json_string(line, method);
  line += R"(,"path":)";
  fhir::append_json_string(line, path);
  line += R"(,"status":)";
  line += std::to_string(status);
  // Milliseconds with three decimals, from whole microseconds: printf's
  // floating-point path was ~0.7% of a read by id.
  const auto micros = (duration.count() + 500) / 1000;
  line += R"(,"ms":)";
  line += std::to_string(micros / 1000);
  const auto frac = static_cast<int>(micros % 1000);
  const char decimals[] = {'.', static_cast<char>('0' + frac / 100),
                           static_cast<char>('0' + frac / 10 % 10),
                           static_cast<char>('0' + frac % 10), '}', '\n'};
  line.append(decimals, sizeof decimals);
  if (line.size() >= buffer_limit)
    write_out(line);
}

void request_log::event(std::string_view event, std::string_view detail) {
  std::string line;
  append_start(line);
  line += R"(,"event":)";
  fhir::append_json_string(line, event);
  if (!detail.empty()) {
    line += R"(,"detail":)";
    fhir::append_json_string(line, detail);
  }
  line += "}\n";
  flush(); // earlier request lines first
  write_out(line);
}

void request_log::write_out(std::string& lines) {
  std::lock_guard lock{out_mutex_};
  std::fwrite(lines.data(), 1, lines.size(), out_);
  std::fflush(out_);
  lines.clear();
}

void request_log::flush() {
  std::lock_guard lock{buffers_mutex_};
  for (auto& buf : buffers_) {
    std::lock_guard buf_lock{buf->mutex};
    if (!buf->lines.empty())
      write_out(buf->lines);
  }
}

} // namespace atrium::actors
