#include "tests/e2e/http_client.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace e2e {

namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i]))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos)
    return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("http_client: " + what);
}

bool has_header(const header_list& headers, std::string_view name) {
  for (auto& [k, v] : headers)
    if (iequals(k, name))
      return true;
  return false;
}

} // namespace

std::optional<std::string> http_response::header(std::string_view name) const {
  for (auto& [k, v] : headers)
    if (iequals(k, name))
      return v;
  return std::nullopt;
}

http_client::http_client(std::uint16_t port, std::chrono::milliseconds timeout)
  : port_(port), timeout_(timeout) {}

http_client::~http_client() { close(); }

void http_client::close() {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  buffer_.clear();
  server_closes_ = false;
}

void http_client::connect() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    fail(std::string{"socket: "} + std::strerror(errno));
  // Every blocking call is bounded, so a hung server fails a test instead of
  // hanging the suite.
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout_.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout_.count() % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    auto err = errno;
    close();
    fail("connect to 127.0.0.1:" + std::to_string(port_) + ": " + std::strerror(err));
  }
}

void http_client::send_all(std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      fail(std::string{"send: "} + std::strerror(errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::size_t http_client::fill() {
  char chunk[16384];
  for (;;) {
    auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        timed_out_ = true;
        fail("timed out waiting for the server");
      }
      fail(std::string{"recv: "} + std::strerror(errno));
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    received_ += static_cast<std::size_t>(n);
    return static_cast<std::size_t>(n);
  }
}

http_response http_client::read_response(bool head_request) {
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
    if (fill() == 0)
      fail(buffer_.empty() ? "connection closed before an answer"
                           : "connection closed inside the response head");
  std::string head = buffer_.substr(0, end);
  buffer_.erase(0, end + 4);

  http_response res;
  auto line_end = head.find("\r\n");
  std::string_view status_line = std::string_view{head}.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12)
    fail("malformed status line: " + std::string{status_line});
  res.status = std::stoi(std::string{status_line.substr(9, 3)});
  std::string_view rest = line_end == std::string::npos ? std::string_view{}
                                                        : std::string_view{head}.substr(line_end + 2);
  while (!rest.empty()) {
    auto eol = rest.find("\r\n");
    auto line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
      fail("malformed header line: " + std::string{line});
    res.headers.emplace_back(std::string{trim(line.substr(0, colon))},
                             std::string{trim(line.substr(colon + 1))});
  }
  auto connection = res.header("connection");
  server_closes_ = connection && iequals(*connection, "close");
  bool bodyless = head_request || res.status == 204 || res.status == 304 ||
                  (res.status >= 100 && res.status < 200);
  if (bodyless)
    return res;

  if (auto te = res.header("transfer-encoding"); te && iequals(*te, "chunked")) {
    for (;;) {
      std::size_t eol;
      while ((eol = buffer_.find("\r\n")) == std::string::npos)
        if (fill() == 0)
          fail("connection closed inside a chunk size");
      auto size = std::stoul(buffer_.substr(0, eol), nullptr, 16);
      buffer_.erase(0, eol + 2);
      while (buffer_.size() < size + 2)
        if (fill() == 0)
          fail("connection closed inside a chunk");
      res.body.append(buffer_, 0, size);
      buffer_.erase(0, size + 2);
      if (size == 0)
        return res; // trailers are not used by the server
    }
  }
  if (auto cl = res.header("content-length")) {
    auto length = std::stoul(*cl);
    while (buffer_.size() < length)
      if (fill() == 0)
        fail("connection closed inside the body");
    res.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return res;
  }
  // No length: the body runs to the end of the connection.
  while (fill() != 0) {
  }
  res.body = std::move(buffer_);
  buffer_.clear();
  server_closes_ = true;
  return res;
}

http_response http_client::request(std::string_view method, std::string_view target,
                                   std::string_view body, const header_list& headers) {
  std::string req;
  req.reserve(256 + body.size());
  req.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  req += "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  for (auto& [k, v] : headers)
    req.append(k).append(": ").append(v).append("\r\n");
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n";
  req.append(body);
  return raw(req);
}

http_response http_client::raw(std::string_view bytes) {
  bool head = bytes.starts_with("HEAD ");
  // A kept-alive connection may have been closed by the server while idle; a
  // request that got no answer at all on a reused connection is sent once
  // more on a fresh one. (Harmless for tests: at worst a create happens on a
  // connection the server had already given up.)
  for (int attempt = 0;; ++attempt) {
    bool reused = fd_ >= 0;
    if (!reused)
      connect();
    received_ = 0;
    timed_out_ = false;
    try {
      send_all(bytes);
      auto res = read_response(head);
      if (server_closes_)
        close();
      return res;
    } catch (const std::runtime_error& e) {
      bool retry = reused && received_ == 0 && !timed_out_ && attempt == 0;
      close();
      if (!retry)
        throw;
    }
  }
}

http_response http_client::post(std::string_view target, std::string_view body,
                                 header_list headers) {
  if (!has_header(headers, "content-type"))
    headers.emplace_back("Content-Type", "application/fhir+json");
  return request("POST", target, body, headers);
}

http_response http_client::put(std::string_view target, std::string_view body,
                               header_list headers) {
  if (!has_header(headers, "content-type"))
    headers.emplace_back("Content-Type", "application/fhir+json");
  return request("PUT", target, body, headers);
}

std::string chunked_body(std::string_view body, std::size_t chunk) {
  std::string out;
  for (std::size_t at = 0; at < body.size(); at += chunk) {
    auto piece = body.substr(at, chunk);
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
    out += size;
    out += piece;
    out += "\r\n";
  }
  return out + "0\r\n\r\n";
}

} // namespace e2e
