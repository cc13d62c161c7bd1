// atrium-load: loads a FHIR bulk-data directory (NDJSON, one resource per
// line, as a $export writes it, e.g. Synthea's) into a running FHIR service
// by transaction Bundles of PUT entries. Resources keep their ids, so the
// references between them hold; conditional references are left for the
// server to resolve, which is why the files go in dependency order.
#include "ndjson_plan.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

constexpr const char* usage = R"(usage: atrium-load [options] DIR

Loads every *.ndjson file of DIR (FHIR bulk data, one resource per line) into
a FHIR service with transaction Bundles of PUT entries: resources keep their
ids, so references between them hold, and each Bundle is all or nothing.
Files whose resources hold conditional references (Practitioner?identifier=…)
are sent after the files of the types they name, since the server resolves
them when it stores the Bundle. Lines without resourceType and id (a bulk
export's log) are skipped.

  --target HOST:PORT    server address               (default 127.0.0.1:8080)
  --base PATH           FHIR service base path       (default /default/fhir)
  --bundle-entries N    entries per Bundle           (default 100)
  --connections N       Bundles sent at once         (default 4)
  --help                this text

Exit status: 0 when every Bundle was stored, 1 otherwise (the first failure's
answer is printed), 2 for bad arguments.
)";

struct options {
  std::string host = "127.0.0.1";
  std::string port = "8080";
  std::string base = "/default/fhir";
  std::size_t per_bundle = 100;
  int connections = 4;
  std::string dir;
};

/// One keep-alive connection, used by one thread.
class client {
public:
  client(const options& o) : opts_(o), socket_(ioc_) {}

  /// POSTs a Bundle to the base; the status, or 0 with `body` holding why.
  unsigned post(const std::string& bundle, std::string& body) {
    beast::error_code ec;
    for (int attempt = 0; attempt < 2; ++attempt) { // once more after a closed keep-alive
      if (!socket_.is_open()) {
        tcp::resolver resolver(ioc_);
        auto endpoints = resolver.resolve(opts_.host, opts_.port, ec);
        if (!ec) boost::asio::connect(socket_, endpoints, ec);
        if (ec) break;
      }
      http::request<http::string_body> req{http::verb::post, opts_.base, 11};
      req.set(http::field::host, opts_.host + ":" + opts_.port);
      req.set(http::field::content_type, "application/fhir+json");
      req.set("Prefer", "return=minimal");
      req.body() = bundle;
      req.prepare_payload();
      http::write(socket_, req, ec);
      http::response<http::string_body> res;
      beast::flat_buffer buffer;
      if (!ec) http::read(socket_, buffer, res, ec);
      if (!ec) {
        body = std::move(res.body());
        if (!res.keep_alive()) socket_.close(ec);
        return res.result_int();
      }
      socket_.close(ec);
    }
    body = ec.message();
    return 0;
  }

private:
  const options& opts_;
  boost::asio::io_context ioc_;
  tcp::socket socket_;
};

bool parse(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--help") {
      std::cout << usage;
      std::exit(0);
    } else if (arg == "--target") {
      auto t = value();
      auto colon = t.rfind(':');
      if (colon == std::string::npos) throw std::invalid_argument("--target is HOST:PORT");
      o.host = t.substr(0, colon);
      o.port = t.substr(colon + 1);
    } else if (arg == "--base") {
      o.base = value();
    } else if (arg == "--bundle-entries") {
      o.per_bundle = std::stoul(value());
      if (o.per_bundle == 0) throw std::invalid_argument("--bundle-entries must be > 0");
    } else if (arg == "--connections") {
      o.connections = std::stoi(value());
      if (o.connections < 1) throw std::invalid_argument("--connections must be > 0");
    } else if (!arg.starts_with("--") && o.dir.empty()) {
      o.dir = arg;
    } else {
      throw std::invalid_argument("unknown argument '" + arg + "'");
    }
  }
  if (o.dir.empty()) throw std::invalid_argument("no directory given");
  return true;
}

} // namespace

int main(int argc, char** argv) {
  options opts;
  try {
    parse(argc, argv, opts);
  } catch (const std::exception& e) {
    std::cerr << "atrium-load: " << e.what() << "\n\n" << usage;
    return 2;
  }
  std::vector<atrium::load::ndjson_file> files;
  try {
    files = atrium::load::plan_load(opts.dir);
  } catch (const std::exception& e) {
    std::cerr << "atrium-load: " << e.what() << "\n";
    return 1;
  }
  std::vector<std::unique_ptr<client>> clients;
  for (int i = 0; i < opts.connections; ++i) clients.push_back(std::make_unique<client>(opts));
  const auto t0 = std::chrono::steady_clock::now();
  std::size_t total = 0;
  std::atomic<bool> failed{false};
  std::mutex report;
  for (const auto& f : files) {
    const auto bundles = atrium::load::transaction_bundles(f, opts.per_bundle);
    const auto started = std::chrono::steady_clock::now();
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> pool;
    for (auto& c : clients)
      pool.emplace_back([&, c = c.get()] {
        for (auto i = next++; i < bundles.size() && !failed; i = next++) {
          std::string body;
          auto status = c->post(bundles[i], body);
          if (status == 200) continue;
          std::lock_guard lock(report);
          if (!failed.exchange(true))
            std::cerr << "atrium-load: " << f.path.filename().string() << " Bundle " << i
                      << " failed: " << (status ? "HTTP " + std::to_string(status) : "")
                      << " " << body.substr(0, 2000) << "\n";
        }
      });
    for (auto& t : pool) t.join();
    if (failed) return 1;
    const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    total += f.resources.size();
    std::printf("%-36s %7zu resources %5zu Bundles %7.2f s%s\n",
                f.path.filename().string().c_str(), f.resources.size(), bundles.size(), seconds,
                f.skipped ? (" (" + std::to_string(f.skipped) + " lines skipped)").c_str() : "");
  }
  const auto seconds =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("loaded %zu resources from %zu files in %.2f s (%.0f resources/s)\n", total,
              files.size(), seconds, seconds > 0 ? total / seconds : 0.0);
  return 0;
}
