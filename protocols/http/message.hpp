#pragma once
// HTTP requests and responses as plain values, so that routing and the
// services' HTTP mapping stay independent of Beast (which lives in one
// translation unit: actors/edge/http_server.cpp).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace atrium::http {

/// A request body the edge kept in an unnamed temporary file rather than in
/// memory (a STOW-RS body of many gigabytes). The file goes with the last
/// reference, and with the process.
class spooled_body {
public:
  virtual ~spooled_body() = default;
  virtual std::uint64_t size() const = 0;
  /// Reads up to `n` bytes at `offset` into `into`: how many (fewer only at
  /// the end), or -1 when the file cannot be read.
  virtual std::int64_t read(std::uint64_t offset, char* into, std::size_t n) const = 0;
};

struct request {
  std::string method; // "GET"
  std::string target; // "/default/fhir/Patient?name=x"
  std::vector<std::pair<std::string, std::string>> headers; // names lowercase
  std::string body;
  /// Set instead of `body` for a body the edge spooled (see http_server).
  std::shared_ptr<const spooled_body> spooled;
  /// A HEAD request, routed as GET (its method then says "GET"): only the
  /// answer's head is sent, so a handler may skip producing a costly body.
  bool head_only = false;

  std::optional<std::string_view> header(std::string_view lowercase_name) const {
    for (auto& [k, v] : headers)
      if (k == lowercase_name)
        return std::string_view{v};
    return std::nullopt;
  }
};

/// A response body produced piece by piece (a DICOM study of gigabytes), so
/// that memory holds one piece at a time.
class body_source {
public:
  virtual ~body_source() = default;
  /// The whole body's length, sent as Content-Length; nullopt when it is
  /// not known up front (the body is then sent chunked).
  virtual std::optional<std::uint64_t> size() const = 0;
  /// Produces the next piece and hands it to `deliver`, from any thread: an
  /// empty piece once the body is complete, ok=false when it cannot go on
  /// (the connection is then closed: the client sees a short body). Called
  /// again only after the previous piece is delivered.
  virtual void next(std::function<void(std::string piece, bool ok)> deliver) = 0;
};

/// The body of an answer to HEAD whose length GET knows only by producing
/// it (a transcoded instance): the head goes out without a Content-Length
/// (RFC 9110 9.3.2 allows leaving out what only producing the content
/// determines), and no piece is ever asked for.
class unproduced_body final : public body_source {
public:
  std::optional<std::uint64_t> size() const override { return std::nullopt; }
  void next(std::function<void(std::string piece, bool ok)> deliver) override { deliver({}, true); }
};

struct response {
  unsigned status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// Set instead of `body` for a body produced piece by piece.
  std::shared_ptr<body_source> source;

  response() = default;
  response(unsigned status_, std::string content_type_, std::string body_,
           std::vector<std::pair<std::string, std::string>> headers_ = {})
    : status(status_), content_type(std::move(content_type_)), body(std::move(body_)),
      headers(std::move(headers_)) {}

  void add_header(std::string name, std::string value) {
    if (headers.empty())
      headers.reserve(4); // a write's Location, ETag, Last-Modified: one allocation
    headers.emplace_back(std::move(name), std::move(value));
  }
};

/// Delivers the response for one request. Callable from any thread, once.
using responder = std::function<void(response)>;
/// Handles one request; must not block (answer through the responder).
using handler = std::function<void(request&&, responder)>;
/// Whether a request's body may be spooled to a file when it is larger than
/// the body limit (or chunked): asked once its headers are in.
using spool_predicate = std::function<bool(std::string_view method, std::string_view target)>;
/// Renders an error found before a request reaches its handler (413, 429,
/// 400 for an unparsable request) in the format of the API at `target`.
using error_renderer = std::function<response(std::string_view target, unsigned status,
                                              std::string_view message)>;

} // namespace atrium::http
