#include "actors/request_log.hpp"

#include <string>

#include "protocols/fhir/instant.hpp"
#include "protocols/fhir/json_text.hpp"

namespace atrium::actors {

namespace {

std::int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace

request_log::request_log(std::FILE* out) : out_(out) {}

request_log::~request_log() { flush(); }

void request_log::request(std::string_view method, std::string_view path,
                          unsigned status, std::chrono::nanoseconds duration) {
  std::string line;
  line.reserve(128 + path.size());
  line += R"({"ts":")";
  line += fhir::format_instant(now_micros());
  line += R"(","method":)";
  fhir::append_json_string(line, method);
  line += R"(,"path":)";
  fhir::append_json_string(line, path);
  line += R"(,"status":)";
  line += std::to_string(status);
  char ms[32];
  std::snprintf(ms, sizeof ms, ",\"ms\":%.3f}\n", duration.count() / 1e6);
  line += ms;
  write_line(line);
}

void request_log::event(std::string_view event, std::string_view detail) {
  std::string line = R"({"ts":")";
  line += fhir::format_instant(now_micros());
  line += R"(","event":)";
  fhir::append_json_string(line, event);
  if (!detail.empty()) {
    line += R"(,"detail":)";
    fhir::append_json_string(line, detail);
  }
  line += "}\n";
  write_line(line);
  flush();
}

void request_log::write_line(std::string_view line) {
  std::lock_guard lock{mutex_};
  std::fwrite(line.data(), 1, line.size(), out_);
  pending_ = true;
}

void request_log::flush() {
  std::lock_guard lock{mutex_};
  if (pending_) {
    std::fflush(out_);
    pending_ = false;
  }
}

} // namespace atrium::actors
