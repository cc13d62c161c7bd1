#pragma once
// The edge's HTTP/1.1 listener and sessions (Boost.Beast on a few io
// threads). Parses, applies the body limit and backpressure, hands each
// request to a handler and writes its response; never blocks. Beast stays
// inside http_server.cpp.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "protocols/common/status.hpp"
#include "protocols/http/message.hpp"

namespace atrium::actors {

class request_log;

struct http_server_config {
  /// Address to listen on. Default: 127.0.0.1.
  std::string host = "127.0.0.1";
  /// Port; 0 picks a free one (see http_server::port()). Default: 8080.
  std::uint16_t port = 8080;
  /// io threads running sessions. Default: 2.
  int io_threads = 2;
  /// Largest request body accepted; larger ones get 413. Default: 32 MiB.
  std::size_t body_limit = 32u << 20;
  /// Requests whose body goes to an unnamed temporary file in `spool_dir`
  /// when it is larger than body_limit or chunked, so that memory stays
  /// bounded (STOW-RS). Default: none.
  http::spool_predicate spools;
  std::filesystem::path spool_dir;
  /// Largest spooled body; larger ones get 413. Default: 64 GiB.
  std::uint64_t spool_limit = 64ull << 30;
  /// Requests handed to the actors and not yet answered, across the node;
  /// beyond it new requests get 429 with Retry-After. Default: 4096.
  std::size_t max_in_flight = 4096;
  /// A connection idle this long is closed. Default: 30 s.
  std::chrono::seconds idle_timeout{30};
};

class http_server {
public:
  http_server(http_server_config config, http::handler handler,
              http::error_renderer render_error, request_log& log);
  ~http_server();

  /// Binds, listens and starts the io threads.
  status start();
  /// The bound port (after start()).
  std::uint16_t port() const;
  /// Closes the listener; open connections keep being served.
  void stop_accepting();
  /// Waits until no request is in flight; false when the timeout passed first.
  bool drain(std::chrono::milliseconds timeout);
  /// Closes every connection and joins the io threads.
  void stop();

  struct impl; // public so that sessions (in the .cpp) can name it

private:
  std::unique_ptr<impl> impl_;
};

} // namespace atrium::actors
