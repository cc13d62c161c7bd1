// A tiny blocking HTTP/1.1 client over POSIX sockets, for end-to-end tests.
// Deliberately independent of the server's own HTTP stack (Beast), so a bug
// shared by both sides cannot hide itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace e2e {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_response {
  int status = 0;
  header_list headers;
  std::string body;

  /// The first header of that name, compared case-insensitively.
  std::optional<std::string> header(std::string_view name) const;
  bool has_header(std::string_view name) const { return header(name).has_value(); }
};

/// One connection to 127.0.0.1:port, kept alive between requests. Failures
/// (refused, reset, timeout, malformed answer) throw std::runtime_error.
class http_client {
public:
  explicit http_client(std::uint16_t port,
                       std::chrono::milliseconds timeout = std::chrono::seconds{15});
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  http_response request(std::string_view method, std::string_view target,
                        std::string_view body = {}, const header_list& headers = {});

  http_response get(std::string_view target, const header_list& headers = {}) {
    return request("GET", target, {}, headers);
  }
  http_response del(std::string_view target, const header_list& headers = {}) {
    return request("DELETE", target, {}, headers);
  }
  /// POST/PUT with a FHIR JSON body unless the headers name another type.
  http_response post(std::string_view target, std::string_view body, header_list headers = {});
  http_response put(std::string_view target, std::string_view body, header_list headers = {});

  /// Sends raw bytes as a whole request and reads one answer; for requests a
  /// well-behaved client would not build.
  http_response raw(std::string_view bytes);

  void close();

private:
  void connect();
  void send_all(std::string_view bytes);
  http_response read_response(bool head_request);
  std::size_t fill(); // reads more bytes into buffer_; 0 at end of stream

  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buffer_; // bytes read but not consumed yet
  bool server_closes_ = false;
  std::size_t received_ = 0; // bytes received for the current attempt
  bool timed_out_ = false;
};

/// `body` in chunked transfer coding, chunks of `chunk` bytes, last chunk
/// included: what follows a request's headers.
std::string chunked_body(std::string_view body, std::size_t chunk);

} // namespace e2e
