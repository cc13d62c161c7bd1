#include "actors/edge/http_server.hpp"

#include <algorithm>
#include <charconv>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <future>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "actors/edge/temp_file.hpp"
#include "actors/request_log.hpp"

namespace atrium::actors {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct http_server::impl {
  http_server_config config;
  http::handler handler;
  http::error_renderer render_error;
  request_log& log;
  net::io_context ioc;
  // A session waiting for its actor has no operation pending on the
  // io_context; without this guard run() would return and strand the replies.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::optional<tcp::acceptor> acceptor;
  std::atomic<bool> closing{false}; // draining: every response closes its connection
  std::vector<std::thread> threads;
  std::atomic<std::size_t> in_flight{0};
  std::mutex drain_mutex;
  std::condition_variable drained;
  std::uint16_t bound_port = 0;

  impl(http_server_config c, http::handler h, http::error_renderer r, request_log& l)
    : config(std::move(c)), handler(std::move(h)), render_error(std::move(r)), log(l),
      ioc(config.io_threads) {}

  void request_done() {
    if (in_flight.fetch_sub(1) == 1) {
      std::lock_guard lock{drain_mutex};
      drained.notify_all();
    }
  }

  void accept();
};

namespace {

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

/// What one recv may bring in (Beast's own cap per read is 64 KiB).
constexpr std::size_t read_chunk = 64 * 1024;
/// How much of a spooled body is gathered before each write to its file.
constexpr std::size_t spool_chunk = 1u << 20;

/// A spooled body: an unnamed file, nothing to clean up after a crash.
class temp_file_body final : public http::spooled_body {
public:
  static std::shared_ptr<temp_file_body> create(const std::filesystem::path& dir) {
    int fd = open_temp_file(dir);
    return fd < 0 ? nullptr : std::make_shared<temp_file_body>(fd);
  }
  explicit temp_file_body(int fd) : fd_(fd) {}
  ~temp_file_body() override { ::close(fd_); }

  bool append(const char* data, std::size_t n) {
    if (!write_all(fd_, data, n))
      return false;
    size_ += n;
    return true;
  }
  std::uint64_t size() const override { return size_; }
  std::int64_t read(std::uint64_t offset, char* into, std::size_t n) const override {
    std::size_t done = 0;
    while (done < n && offset + done < size_) {
      auto r = ::pread(fd_, into + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      if (r == 0)
        break;
      done += static_cast<std::size_t>(r);
    }
    return static_cast<std::int64_t>(done);
  }

private:
  int fd_;
  std::uint64_t size_ = 0;
};

/// Request fields whose value is a comma-separated list (RFC 9110): sent on
/// several lines, they are joined.
bool is_list_field(std::string_view name) {
  constexpr std::string_view lists[] = {"accept", "accept-charset", "accept-encoding",
                                        "accept-language", "cache-control", "if-match",
                                        "if-none-match", "prefer", "te", "via"};
  return std::find(std::begin(lists), std::end(lists), name) != std::end(lists);
}

class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket&& socket, http_server::impl& server)
    : stream_(std::move(socket)), server_(server) {
    // Beast reads at most the buffer's free capacity per recv (and at least
    // 512 bytes): a fresh flat_buffer took a 512 KB DICOM body ~450 bytes at
    // a time, over a thousand recvmsg calls and timer resets per request.
    buffer_.reserve(read_chunk);
  }

  void start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&session::read, shared_from_this()));
  }

private:
  void read() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    // The limit is enforced per request from Content-Length below; Beast
    // 1.74 checks body_limit when the header ends, on this very parser, and
    // boost::none would reject every body (see the platform notes).
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(server_.config.idle_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&session::on_header,
                                                       shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec)
      return fail_read(ec);
    started_ = std::chrono::steady_clock::now();
    auto& req = parser_->get();
    method_ = std::string{req.method_string()};
    target_ = std::string{req.target()};
    keep_alive_ = req.keep_alive();
    const auto& config = server_.config;
    const auto length = parser_->content_length();
    if ((!length || *length > config.body_limit) && config.spools &&
        config.spools(method_, target_)) {
      if (length && *length > config.spool_limit)
        return reject(413, "the request body exceeds the limit of " +
                             std::to_string(config.spool_limit) + " bytes");
      spool_file_ = temp_file_body::create(config.spool_dir);
      if (!spool_file_)
        return reject(503, "cannot spool the request body in " + config.spool_dir.string() +
                             ": " + std::strerror(errno));
      spool_parser_.emplace(std::move(*parser_));
      spool_parser_->body_limit(config.spool_limit);
    } else if (length && *length > config.body_limit) {
      return reject(413, "the request body exceeds the limit of " +
                           std::to_string(config.body_limit) + " bytes");
    } else if (!length) {
      parser_->body_limit(config.body_limit); // chunked: enforced while reading
    }
    auto expect = req[bhttp::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      // curl waits ~1 s for this before sending a large body.
      continue_.emplace(bhttp::status::continue_, 11);
      return bhttp::async_write(stream_, *continue_,
                                beast::bind_front_handler(&session::on_continue,
                                                          shared_from_this()));
    }
    read_body();
  }

  void on_continue(beast::error_code ec, std::size_t) {
    if (ec)
      return close();
    read_body();
  }

  void read_body() {
    if (spool_file_)
      return read_spooled();
    stream_.expires_after(server_.config.idle_timeout);
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&session::on_body, shared_from_this()));
  }

  void on_body(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::body_limit)
      return reject(413, "the request body exceeds the limit of " +
                           std::to_string(server_.config.body_limit) + " bytes");
    if (ec)
      return fail_read(ec);
    auto msg = parser_->release();
    http::request req;
    req.body = std::move(msg.body());
    dispatch(std::move(req), msg);
  }

  /// Reads a spooled body a chunk at a time, each written to its file.
  void read_spooled() {
    if (!chunk_)
      chunk_ = std::make_unique<char[]>(spool_chunk);
    auto& body = spool_parser_->get().body();
    body.data = chunk_.get();
    body.size = spool_chunk;
    stream_.expires_after(server_.config.idle_timeout);
    bhttp::async_read_some(stream_, buffer_, *spool_parser_,
                           beast::bind_front_handler(&session::on_spooled, shared_from_this()));
  }

  void on_spooled(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::need_buffer) // the chunk is full
      ec = {};
    if (ec == bhttp::error::body_limit)
      return reject(413, "the request body exceeds the limit of " +
                           std::to_string(server_.config.spool_limit) + " bytes");
    if (ec)
      return fail_read(ec);
    const auto got = spool_chunk - spool_parser_->get().body().size;
    if (!spool_file_->append(chunk_.get(), got))
      return reject(507, std::string{"cannot spool the request body: "} + std::strerror(errno));
    if (!spool_parser_->is_done())
      return read_spooled();
    http::request req;
    req.spooled = std::move(spool_file_);
    auto& header = spool_parser_->get();
    dispatch(std::move(req), header);
    spool_parser_.reset();
  }

  void dispatch(http::request&& req, const bhttp::request_header<>& header) {
    req.method = std::move(method_);
    req.target = std::move(target_);
    req.headers.reserve(8);
    bool repeated_host = false;
    for (auto& field : header) {
      std::string name{field.name_string()};
      for (auto& c : name) // ASCII: field names are tokens (RFC 9110 §5.1)
        if (c >= 'A' && c <= 'Z')
          c = static_cast<char>(c - 'A' + 'a');
      // A list field sent on several lines is one list (RFC 9110 §5.3): two
      // Accept lines mean what one with both values means. Of other fields
      // the first line counts, but Host must come once (RFC 9112 §3.2).
      const bool list = is_list_field(name);
      if (list || name == "host") {
        auto same = std::find_if(req.headers.begin(), req.headers.end(),
                                 [&](const auto& h) { return h.first == name; });
        if (same != req.headers.end()) {
          repeated_host = repeated_host || !list;
          if (list)
            same->second.append(", ").append(field.value().data(), field.value().size());
          continue;
        }
      }
      req.headers.emplace_back(std::move(name), std::string{field.value()});
    }
    log_method_ = req.method;
    log_path_ = std::string{path_of(req.target)};
    // Counted from here until the response is written (see on_write).
    if (server_.in_flight.fetch_add(1) >= server_.config.max_in_flight) {
      auto res = server_.render_error(req.target, 429,
                                      "the node is at its limit of requests in flight");
      res.add_header("Retry-After", "1");
      return write(std::move(res));
    }
    if (repeated_host)
      return write(server_.render_error(req.target, 400, "the request has more than one Host"));
    stream_.expires_never(); // the handler's own timeout bounds the wait
    server_.handler(std::move(req), [self = shared_from_this()](http::response res) {
      net::post(self->stream_.get_executor(), [self, res = std::move(res)]() mutable {
        self->write(std::move(res));
      });
    });
  }

  /// Answers an error found while reading, then closes: the unread body
  /// makes the connection unusable.
  void reject(unsigned status, const std::string& message) {
    keep_alive_ = false;
    spool_file_.reset();
    spool_parser_.reset();
    log_method_ = method_;
    log_path_ = std::string{path_of(target_)};
    server_.in_flight.fetch_add(1);
    write(server_.render_error(target_, status, message));
  }

  template <class Body>
  void set_head(bhttp::response<Body>& res, const http::response& r) {
    res.set(bhttp::field::server, "Atrium");
    if (!r.content_type.empty())
      res.set(bhttp::field::content_type, r.content_type);
    for (auto& [name, value] : r.headers)
      res.set(name, value);
    res.keep_alive(keep_alive_ && !server_.closing.load());
  }

  void write(http::response r) {
    if (r.source)
      return write_source(std::move(r));
    status_ = r.status;
    close_after_ = !keep_alive_ || server_.closing.load();
    // 1xx, 204 and 304 carry no body and no length (RFC 9110 8.6); HEAD
    // gets the length of what GET would send, without it.
    const bool bodiless = r.status < 200 || r.status == 204 || r.status == 304;
    head_ = serialize_head(r, bodiless, close_after_);
    if (!bodiless && log_method_ != "HEAD")
      body_ = std::move(r.body);
    const std::array<net::const_buffer, 2> out{net::buffer(head_), net::buffer(body_)};
    stream_.expires_after(server_.config.idle_timeout);
    net::async_write(stream_, out,
                     beast::bind_front_handler(&session::on_write, shared_from_this()));
  }

  /// The head of a whole response as the bytes on the wire; the body goes
  /// out after it in the same write. Beast's serializer, with its views over
  /// buffer sequences, cost a read ~16k of its ~65k instructions (callgrind)
  /// for the same bytes; it still writes the streamed bodies (write_source),
  /// whose pieces come one at a time.
  static std::string serialize_head(const http::response& r, bool bodiless, bool close) {
    using namespace std::string_view_literals; // literals as views: no strlen per append
    const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(r.status));
    std::string out;
    out.reserve(256);
    out += "HTTP/1.1 "sv;
    append_decimal(out, r.status);
    out += ' ';
    out.append(reason.data(), reason.size());
    out += "\r\nServer: Atrium\r\n"sv;
    auto field = [&out](std::string_view name, std::string_view value) {
      // A line break in a value would end the head early (response
      // splitting): such a field is left out. (Two finds, not
      // find_first_of, which calls memchr once per byte.)
      if (value.find('\r') != std::string_view::npos || value.find('\n') != std::string_view::npos)
        return;
      out += name;
      out += ": "sv;
      out += value;
      out += "\r\n"sv;
    };
    if (!r.content_type.empty())
      field("Content-Type"sv, r.content_type);
    for (auto& [name, value] : r.headers)
      field(name, value);
    if (!bodiless) {
      out += "Content-Length: "sv;
      append_decimal(out, r.body.size());
      out += "\r\n"sv;
    }
    if (close)
      out += "Connection: close\r\n"sv;
    out += "\r\n"sv;
    return out;
  }

  static void append_decimal(std::string& out, std::uint64_t n) {
    char digits[20];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
    out.append(digits, end);
  }

  void on_write(beast::error_code ec, std::size_t) {
    head_.clear();
    std::string{}.swap(body_); // a large answer's memory goes now, not at the next one
    written(ec.failed() || close_after_);
  }

  /// The response is out (or failed): log it, count it done, go on.
  void written(bool close_after) {
    server_.log.request(log_method_, log_path_, status_,
                        std::chrono::steady_clock::now() - started_);
    server_.request_done();
    if (close_after)
      return close();
    read();
  }

  /// A body from a body_source: the header with its Content-Length (or
  /// chunked), then each piece as the source delivers it.
  void write_source(http::response r) {
    source_ = std::move(r.source);
    source_res_.emplace(static_cast<bhttp::status>(r.status), 11);
    set_head(*source_res_, r);
    if (auto size = source_->size())
      source_res_->content_length(*size);
    else
      source_res_->chunked(true);
    source_res_->body().data = nullptr;
    source_res_->body().more = true;
    source_sr_.emplace(*source_res_);
    status_ = r.status;
    stream_.expires_after(server_.config.idle_timeout);
    bhttp::async_write_header(stream_, *source_sr_,
                              beast::bind_front_handler(&session::on_source_written,
                                                        shared_from_this()));
  }

  void on_source_written(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::need_buffer) // the piece is out
      ec = {};
    if (ec || source_sr_->is_done() || log_method_ == "HEAD") // HEAD: the head only
      return source_done(ec.failed());
    source_->next([self = shared_from_this()](std::string piece, bool ok) {
      net::post(self->stream_.get_executor(), [self, piece = std::move(piece), ok]() mutable {
        self->on_piece(std::move(piece), ok);
      });
    });
  }

  void on_piece(std::string piece, bool ok) {
    if (!ok)
      return source_done(true);
    piece_ = std::move(piece);
    auto& body = source_res_->body();
    body.data = piece_.empty() ? nullptr : piece_.data();
    body.size = piece_.size();
    body.more = !piece_.empty();
    stream_.expires_after(server_.config.idle_timeout);
    bhttp::async_write(stream_, *source_sr_,
                       beast::bind_front_handler(&session::on_source_written, shared_from_this()));
  }

  void source_done(bool failed) {
    const bool close_after = failed || source_res_->need_eof();
    source_sr_.reset();
    source_res_.reset();
    source_.reset();
    std::string{}.swap(piece_);
    written(close_after);
  }

  void fail_read(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof)
      return close();
    // Anything else is a malformed request: say so, then close.
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category())
      return reject(400, "malformed HTTP request: " + ec.message());
    close();
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  http_server::impl& server_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  // A spooled body's parser, file and chunk (see read_spooled).
  std::optional<bhttp::request_parser<bhttp::buffer_body>> spool_parser_;
  std::shared_ptr<temp_file_body> spool_file_;
  std::unique_ptr<char[]> chunk_;
  std::optional<bhttp::response<bhttp::empty_body>> continue_;
  std::string head_, body_;  // the response being written (see serialize_head)
  bool close_after_ = false; // whether the connection closes once it is out
  // A response from a body_source, its serializer and the piece being sent.
  std::shared_ptr<http::body_source> source_;
  std::optional<bhttp::response<bhttp::buffer_body>> source_res_;
  std::optional<bhttp::response_serializer<bhttp::buffer_body>> source_sr_;
  std::string piece_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::string method_, target_, log_method_, log_path_;
  unsigned status_ = 0;
  bool keep_alive_ = true;
};

} // namespace

void http_server::impl::accept() {
  auto on_accept = [this](beast::error_code ec, tcp::socket s) {
    if (ec == net::error::operation_aborted || !acceptor || !acceptor->is_open())
      return;
    if (!ec) {
      beast::error_code ignored;
      s.set_option(tcp::no_delay{true}, ignored);
      std::make_shared<session>(std::move(s), *this)->start();
    }
    accept();
  };
  // A session's handlers must not run on two threads at once. With one io
  // thread nothing can, so the session runs on the io_context itself: a
  // strand's own queue and locking cost a read ~6 of its ~32 us of server
  // CPU (tools/bench read, one io thread).
  if (config.io_threads <= 1)
    acceptor->async_accept(ioc.get_executor(), std::move(on_accept));
  else
    acceptor->async_accept(net::make_strand(ioc), std::move(on_accept));
}

http_server::http_server(http_server_config config, http::handler handler,
                         http::error_renderer render_error, request_log& log)
  : impl_(std::make_unique<impl>(std::move(config), std::move(handler),
                                 std::move(render_error), log)) {}

http_server::~http_server() { stop(); }

status http_server::start() {
  auto& d = *impl_;
  beast::error_code ec;
  auto address = net::ip::make_address(d.config.host, ec);
  if (ec)
    return {errc::invalid, "cannot listen on '" + d.config.host + "': " + ec.message(), "listen"};
  tcp::endpoint endpoint{address, d.config.port};
  d.acceptor.emplace(net::make_strand(d.ioc));
  d.acceptor->open(endpoint.protocol(), ec);
  if (!ec)
    d.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec)
    d.acceptor->bind(endpoint, ec);
  if (!ec)
    d.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return {errc::unavailable,
            "cannot listen on " + d.config.host + ":" + std::to_string(d.config.port) + ": " +
              ec.message(),
            "listen"};
  d.bound_port = d.acceptor->local_endpoint().port();
  d.work.emplace(d.ioc.get_executor());
  d.accept();
  for (int i = 0; i < std::max(1, d.config.io_threads); ++i)
    d.threads.emplace_back([&d] { d.ioc.run(); });
  return status::ok();
}

std::uint16_t http_server::port() const { return impl_->bound_port; }

void http_server::stop_accepting() {
  auto& d = *impl_;
  d.closing = true;
  if (!d.acceptor)
    return;
  std::promise<void> done;
  net::post(d.acceptor->get_executor(), [&] {
    beast::error_code ignored;
    d.acceptor->close(ignored);
    done.set_value();
  });
  if (!d.threads.empty())
    done.get_future().wait();
}

bool http_server::drain(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  std::unique_lock lock{d.drain_mutex};
  return d.drained.wait_for(lock, timeout, [&] { return d.in_flight.load() == 0; });
}

void http_server::stop() {
  auto& d = *impl_;
  d.work.reset();
  d.ioc.stop();
  for (auto& t : d.threads)
    if (t.joinable())
      t.join();
  d.threads.clear();
}

} // namespace atrium::actors
