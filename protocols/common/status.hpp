#pragma once
// Errors are values: every fallible call returns a status (or a result<T>)
// carrying a code, a message and where it happened. Exceptions thrown by
// libraries are caught at the call and converted there. One function
// (protocols/http/status_map.hpp) turns a code into an HTTP status.
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace atrium {

enum class errc : std::uint8_t {
  ok = 0,
  invalid,             // malformed input: 400
  not_found,           // 404
  method_not_allowed,  // 405
  not_acceptable,      // 406
  conflict,            // 409
  gone,                // 410 (deleted resource)
  precondition_failed, // 412 (If-Match)
  too_large,           // 413
  unsupported_media,   // 415
  unprocessable,       // 422 (well-formed but semantically wrong)
  too_many_requests,   // 429 (backpressure)
  not_implemented,     // 501
  unavailable,         // 503 (shutting down, store closed)
  timeout,             // 504
  io_error,            // 500 (storage failure)
  internal,            // 500
};

/// Short stable name of a code ("not_found"), used in logs and problem+json.
const char* errc_name(errc code) noexcept;

class [[nodiscard]] status {
public:
  status() = default;
  status(errc code, std::string message, std::string where = {})
    : code_(code), message_(std::move(message)), where_(std::move(where)) {}

  static status ok() { return {}; }

  bool is_ok() const noexcept { return code_ == errc::ok; }
  explicit operator bool() const noexcept { return is_ok(); }
  errc code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  /// Where the problem is: a JSON path ("Patient.id"), a header, a parameter.
  const std::string& where() const noexcept { return where_; }

  /// Marks a deliberately ignored error so that swallows can be grepped.
  void ignore() const noexcept {}

private:
  errc code_ = errc::ok;
  std::string message_;
  std::string where_;
};

/// A value or the status explaining why there is none.
template <class T>
class [[nodiscard]] result {
public:
  result(T value) : v_(std::move(value)) {}
  result(status error) : v_(std::move(error)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  T& operator*() & { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const status& error() const { return std::get<1>(v_); }

private:
  std::variant<T, status> v_;
};

} // namespace atrium
