// The Beast client behind run_scenario(). Design choices, and why:
// - One io_context per io thread, each running on exactly one thread, and a
//   connection never leaves its io_context: handlers of one connection never
//   run concurrently, so there are no strands, and per-thread results need no
//   locks (merged after the threads end).
// - Closed loop: a connection sends its next request when the previous
//   response is read. Throughput is what N clients waiting on the server get;
//   latency is not hidden by a client-side queue.
// - All timing uses steady_clock. The window is fixed up front (start +
//   warm-up, + duration); a request counts if it started and finished inside
//   it, so requests straddling either edge never skew rate or percentiles.
#include "load_scenario.hpp"

#include "dataset.hpp"
#include "dicom_load.hpp"
#include "patient_body.hpp"
#include "synthea_bundle.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace atrium::bench {

const char* to_string(scenario_kind kind) {
  switch (kind) {
    case scenario_kind::healthz:
      return "healthz";
    case scenario_kind::create:
      return "create";
    case scenario_kind::create_unindexed:
      return "create-unindexed";
    case scenario_kind::read:
      return "read";
    case scenario_kind::load:
      return "load";
    case scenario_kind::transaction:
      return "transaction";
    case scenario_kind::batch:
      return "batch";
    case scenario_kind::fixtures:
      return "fixtures";
    case scenario_kind::token:
      return "token";
    case scenario_kind::reference:
      return "reference";
    case scenario_kind::date_range:
      return "date-range";
    case scenario_kind::chain:
      return "chain";
    case scenario_kind::has:
      return "has";
    case scenario_kind::include:
      return "include";
    case scenario_kind::sort:
      return "sort";
    case scenario_kind::dicom_stow:
      return "dicom-stow";
    case scenario_kind::dicom_qido:
      return "dicom-qido";
    case scenario_kind::dicom_wado:
      return "dicom-wado";
    case scenario_kind::dicom_metadata:
      return "dicom-metadata";
  }
  return "?";
}

bool is_search(scenario_kind kind) {
  return kind >= scenario_kind::token && kind <= scenario_kind::sort;
}

bool is_dicom(scenario_kind kind) {
  return kind >= scenario_kind::dicom_stow;
}

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

std::string_view as_std(beast::string_view s) {
  return {s.data(), s.size()};
}

/// The id of a created Patient: from `Location: .../Patient/{id}/_history/1`,
/// or, if a server omits Location, from the returned body's "id".
std::string created_id(const http::response<http::string_body>& response) {
  const auto location = as_std(response[http::field::location]);
  constexpr std::string_view marker = "/Patient/";
  if (auto at = location.find(marker); at != std::string_view::npos) {
    auto id = location.substr(at + marker.size());
    return std::string(id.substr(0, id.find('/')));
  }
  // Good enough for a server-produced body: the first "id" key is the
  // resource id, because resourceType/id lead and nested ids come later.
  const std::string_view body = response.body();
  auto at = body.find("\"id\"");
  if (at == std::string_view::npos)
    return {};
  at = body.find('"', body.find(':', at + 4));
  if (at == std::string_view::npos)
    return {};
  const auto end = body.find('"', at + 1);
  if (end == std::string_view::npos)
    return {};
  return std::string(body.substr(at + 1, end - at - 1));
}

/// Why a 2xx search answer does not count, or empty if it does. A substring
/// check is enough: the server writes these members in a fixed form
/// (protocols/fhir/bundle.cpp), and it keeps the client's cost small.
/// A batch answers 200 even when entries fail: each must have succeeded.
std::string_view wrong_bundle_answer(std::string_view body) {
  if (body.find(R"("status":"4)") != std::string_view::npos ||
      body.find(R"("status":"5)") != std::string_view::npos)
    return "an entry of the Bundle failed";
  return {};
}

/// Differs between runs, so the Bundles of one run do not overwrite the
/// Patients of the last.
std::uint64_t run_salt() {
  static const std::uint64_t salt = std::random_device{}();
  return salt;
}

std::string_view wrong_search_answer(scenario_kind kind, std::string_view body) {
  if (!body.starts_with(R"({"resourceType":"Bundle","type":"searchset")"))
    return "not a searchset Bundle";
  if (body.find(R"("search":{"mode":"outcome"})") != std::string_view::npos)
    return "an OperationOutcome entry (ignored parameter?)";
  if (body.find(R"("search":{"mode":"match"})") == std::string_view::npos)
    return "no match";
  if (kind == scenario_kind::include
      && body.find(R"("search":{"mode":"include"})") == std::string_view::npos)
    return "no included resource";
  return {};
}

/// Fixed for the whole scenario and read by every io thread. Only the
/// request budget (for --max-requests) is shared mutable state.
struct shared_plan {
  const scenario_config& config;
  tcp::resolver::results_type endpoints;
  std::string host_header;
  steady::time_point measure_start;
  steady::time_point deadline;
  std::atomic<std::uint64_t> started_in_window{0};
  std::atomic<bool> budget_exhausted{false};
  // load only: the next resource to PUT, and how many got a 2xx.
  dataset data{config.patients, config.seed};
  std::atomic<std::uint64_t> next_resource{0};
  std::atomic<std::uint64_t> loaded{0};
};

/// What one io thread owns; only that thread touches it while it runs.
struct io_thread_state {
  net::io_context ioc{1}; // concurrency hint 1: one thread, no locking
  scenario_result result;
  steady::time_point last_counted{};
};

class connection {
public:
  connection(shared_plan& plan, io_thread_state& home, std::uint64_t index)
    : plan_(plan),
      home_(home),
      index_(index),
      stream_(home.ioc),
      rng_(static_cast<std::uint_fast32_t>(index * 7919 + 1)) {
    // Beast reads at most the buffer's free capacity per recv: without room
    // a 512 KB DICOM answer arrives ~512 bytes per call and the client, not
    // the server, sets the pace.
    buffer_.reserve(64 * 1024);
    const auto& config = plan_.config;
    request_.version(11);
    request_.set(http::field::host, plan_.host_header);
    request_.set(http::field::user_agent, "atrium-bench");
    switch (config.kind) {
      case scenario_kind::healthz:
        request_.method(http::verb::get);
        request_.target("/healthz");
        break;
      case scenario_kind::read:
      default: // the searches
        request_.method(http::verb::get);
        request_.set(http::field::accept, "application/fhir+json");
        break;
      case scenario_kind::load:
        request_.method(http::verb::put);
        request_.set(http::field::accept, "application/fhir+json");
        request_.set(http::field::content_type, "application/fhir+json");
        request_.set("Prefer", "return=minimal");
        break;
      case scenario_kind::transaction:
      case scenario_kind::batch:
      case scenario_kind::fixtures:
        request_.method(http::verb::post);
        request_.target(config.base);
        request_.set(http::field::accept, "application/fhir+json");
        request_.set(http::field::content_type, "application/fhir+json");
        request_.set("Prefer", "return=minimal");
        break;
      case scenario_kind::dicom_stow: {
        request_.method(http::verb::post);
        request_.target(config.dicom_base + "/studies");
        request_.set(http::field::accept, "application/dicom+json");
        // One instance per request, like a modality sending as it scans.
        // The body is made here once; each request rewrites its ids in place.
        static constexpr std::string_view boundary = "atrium-bench-boundary-7f3a9c";
        request_.set(http::field::content_type,
                     "multipart/related; type=\"application/dicom\"; boundary=" + std::string(boundary));
        auto& body = request_.body();
        body.append("--").append(boundary).append("\r\nContent-Type: application/dicom\r\n\r\n");
        stow_file_at_ = body.size();
        body.append(config.dicom_file->bytes()).append("\r\n--").append(boundary).append("--\r\n");
        request_.prepare_payload();
        break;
      }
      case scenario_kind::dicom_qido:
      case scenario_kind::dicom_metadata:
        request_.method(http::verb::get);
        request_.set(http::field::accept, "application/dicom+json");
        break;
      case scenario_kind::dicom_wado:
        request_.method(http::verb::get);
        request_.set(http::field::accept,
                     "multipart/related; type=\"application/dicom\"; transfer-syntax=*");
        break;
      case scenario_kind::create:
      case scenario_kind::create_unindexed:
        request_.method(http::verb::post);
        request_.target(config.base + (config.kind == scenario_kind::create ? "/Patient" : "/Binary"));
        request_.set(http::field::accept, "application/fhir+json");
        request_.set(http::field::content_type, "application/fhir+json");
        if (config.prefer_minimal)
          request_.set("Prefer", "return=minimal");
        break;
    }
  }

  void start() {
    connect();
  }

private:
  void connect() {
    stream_.expires_after(plan_.config.request_timeout);
    stream_.async_connect(plan_.endpoints,
                          [this](beast::error_code ec, const tcp::endpoint&) {
                            on_connect(ec);
                          });
  }

  void on_connect(beast::error_code ec) {
    if (ec) {
      // The connection stops here. A failed re-connect (after an error or a
      // server-side close) counts like a failed first connect: both mean
      // the server stopped accepting, e.g. it crashed, and that must fail
      // the run even when the requests that did finish were all fine.
      ++home_.result.connect_failures;
      note_problem(std::string(connected_once_ ? "reconnect: " : "connect: ")
                   + ec.message());
      return;
    }
    connected_once_ = true;
    // Requests are small; don't let Nagle hold one back waiting for an ACK.
    stream_.socket().set_option(tcp::no_delay(true), ec);
    send_next();
  }

  void send_next() {
    const auto now = steady::now();
    if (now >= plan_.deadline)
      return close();
    if (plan_.config.kind == scenario_kind::load) {
      resource_ = plan_.next_resource.fetch_add(1, std::memory_order_relaxed);
      if (resource_ >= plan_.data.resources()) {
        plan_.budget_exhausted.store(true, std::memory_order_relaxed);
        return close();
      }
    }
    const auto max = plan_.config.max_requests;
    if (max != 0 && now >= plan_.measure_start
        && plan_.started_in_window.fetch_add(1, std::memory_order_relaxed)
             >= max) {
      plan_.budget_exhausted.store(true, std::memory_order_relaxed);
      return close();
    }
    prepare_request();
    response_ = {};
    // Stamp after building the body: its cost is the generator's, not the
    // server's.
    sent_at_ = steady::now();
    stream_.expires_after(plan_.config.request_timeout);
    http::async_write(stream_, request_,
                      [this](beast::error_code ec, std::size_t) {
                        on_write(ec);
                      });
  }

  void prepare_request() {
    const auto& config = plan_.config;
    switch (config.kind) {
      case scenario_kind::healthz:
        break;
      case scenario_kind::read: {
        const auto& ids = *config.read_ids;
        const auto& id = ids[rng_() % ids.size()];
        std::string target;
        target.reserve(config.base.size() + 9 + id.size());
        target.append(config.base).append("/Patient/").append(id);
        request_.target(target);
        break;
      }
      case scenario_kind::create:
        request_.body() = make_patient_body(sequence_++, index_ + 1);
        request_.prepare_payload();
        break;
      case scenario_kind::create_unindexed:
        request_.body() = make_binary_body(make_patient_body(sequence_++, index_ + 1));
        request_.prepare_payload();
        break;
      case scenario_kind::transaction:
      case scenario_kind::batch:
        request_.body() = make_synthea_bundle(to_string(config.kind), config.bundle_entries,
                                              sequence_++, index_ + 1 + (run_salt() << 16));
        request_.prepare_payload();
        break;
      case scenario_kind::fixtures:
        request_.body() = make_fixtures_bundle();
        request_.prepare_payload();
        break;
      case scenario_kind::load: {
        auto put = dataset_resource(plan_.data, resource_);
        request_.target(config.base + put.path);
        request_.body() = std::move(put.body);
        request_.prepare_payload();
        break;
      }
      case scenario_kind::dicom_stow:
        config.dicom_file->write_ids(request_.body(), stow_file_at_,
                                     dicom_ids_for(run_salt(), index_, sequence_++));
        break;
      case scenario_kind::dicom_qido:
      case scenario_kind::dicom_wado:
      case scenario_kind::dicom_metadata: {
        const auto& stored = *config.dicom_stored;
        const auto& ids = stored[rng_() % stored.size()];
        std::string target = config.dicom_base;
        if (config.kind == scenario_kind::dicom_qido)
          target += "/studies?PatientID=" + ids.patient;
        else
          target += "/studies/" + ids.study + "/series/" + ids.series +
                    (config.kind == scenario_kind::dicom_wado ? "/instances/" + ids.sop : "/metadata");
        request_.target(target);
        break;
      }
      default: { // the searches
        // minstd gives 31 bits; two draws cover any dataset size.
        const auto random = (std::uint64_t(rng_()) << 31) ^ rng_();
        request_.target(config.base + search_query(plan_.data, config.kind, random));
        break;
      }
    }
  }

  void on_write(beast::error_code ec) {
    if (ec)
      return on_failure("write", ec);
    http::async_read(stream_, buffer_, response_,
                     [this](beast::error_code ec, std::size_t) {
                       on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec)
      return on_failure("read", ec);
    const auto done = steady::now();
    const auto status = response_.result_int();
    const bool ok = status >= 200 && status < 300;
    auto& result = home_.result;
    std::string_view wrong;
    if (ok && (plan_.config.kind == scenario_kind::transaction ||
               plan_.config.kind == scenario_kind::batch))
      wrong = wrong_bundle_answer(response_.body());
    if (ok && is_search(plan_.config.kind))
      wrong = wrong_search_answer(plan_.config.kind, response_.body());
    if (ok && (plan_.config.kind == scenario_kind::dicom_qido ||
               plan_.config.kind == scenario_kind::dicom_metadata) &&
        !response_.body().starts_with("[{"))
      wrong = "not a DICOM JSON array with a match";
    if (!wrong.empty())
      note_problem("GET " + std::string(as_std(request_.target())) + " -> "
                   + std::string(wrong));
    if (ok && plan_.config.kind == scenario_kind::load)
      plan_.loaded.fetch_add(1, std::memory_order_relaxed);
    if (!ok) {
      note_problem(std::string(as_std(request_.method_string())) + " "
                   + std::string(as_std(request_.target())) + " -> HTTP "
                   + std::to_string(status));
    } else if (plan_.config.kind == scenario_kind::dicom_stow) {
      result.dicom_stored.push_back(dicom_ids_for(run_salt(), index_, sequence_ - 1));
    } else if (plan_.config.kind == scenario_kind::create) {
      // Keep warm-up creates too: the read scenario needs ids, not timings.
      if (auto id = created_id(response_); !id.empty())
        result.created_ids.push_back(std::move(id));
      else
        note_problem("create: 2xx without a Location header or id");
    }
    if (sent_at_ >= plan_.measure_start && done <= plan_.deadline) {
      ++result.responses;
      if (!ok)
        ++result.non_2xx;
      else if (!wrong.empty())
        ++result.wrong;
      result.latencies_ns.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(done - sent_at_)
          .count());
      home_.last_counted = std::max(home_.last_counted, done);
    }
    if (!response_.keep_alive()) {
      // The server may close a keep-alive connection at any time; that is
      // not an error, but the reconnect cost shows in the figures.
      close();
      return connect();
    }
    send_next();
  }

  void on_failure(const char* stage, beast::error_code ec) {
    const auto now = steady::now();
    if (sent_at_ >= plan_.measure_start) {
      ++home_.result.errors;
      home_.last_counted = std::max(home_.last_counted, now);
    }
    note_problem(std::string(stage) + ": " + ec.message());
    close();
    // Try a fresh connection; if that fails too, on_connect ends this one.
    if (now < plan_.deadline)
      connect();
  }

  void note_problem(std::string what) {
    if (home_.result.first_problem.empty())
      home_.result.first_problem = std::move(what);
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    buffer_.clear(); // leftover bytes belong to the old connection
  }

  shared_plan& plan_;
  io_thread_state& home_;
  const std::uint64_t index_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  steady::time_point sent_at_{};
  std::uint64_t sequence_ = 0;
  std::size_t stow_file_at_ = 0; // where the instance starts in a STOW body
  std::uint64_t resource_ = 0; // load: the resource being PUT
  std::minstd_rand rng_;
  bool connected_once_ = false;
};

std::string host_header(const scenario_config& config) {
  // An IPv6 literal needs brackets in a Host header.
  const bool v6 = config.host.find(':') != std::string::npos;
  return (v6 ? "[" + config.host + "]" : config.host) + ":" + config.port;
}

/// Prints "load: n/total resources, r/s" to stderr every 10 s until the io
/// threads are done.
void report_progress(const shared_plan& plan, const std::atomic<int>& running) {
  const auto total = plan.data.resources();
  auto last_time = steady::now();
  std::uint64_t last_count = 0;
  while (running.load() > 0) {
    for (int i = 0; i < 100 && running.load() > 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto now = steady::now();
    const auto count = plan.loaded.load();
    const auto rate = (count - last_count) / std::chrono::duration<double>(now - last_time).count();
    std::cerr << "load: " << count << "/" << total << " resources, "
              << static_cast<std::uint64_t>(rate) << "/s\n";
    last_time = now;
    last_count = count;
  }
}

} // namespace

scenario_result run_scenario(const scenario_config& config) {
  if (config.kind == scenario_kind::read
      && (config.read_ids == nullptr || config.read_ids->empty()))
    throw std::invalid_argument("read scenario without ids to read");
  if (config.kind == scenario_kind::dicom_stow && config.dicom_file == nullptr)
    throw std::invalid_argument("dicom-stow without an instance to send");
  if (is_dicom(config.kind) && config.kind != scenario_kind::dicom_stow &&
      (config.dicom_stored == nullptr || config.dicom_stored->empty()))
    throw std::invalid_argument(std::string(to_string(config.kind)) + " without stored instances");
  if ((config.kind == scenario_kind::load || is_search(config.kind))
      && config.patients == 0)
    throw std::invalid_argument(std::string(to_string(config.kind))
                                + " scenario without a dataset size");

  scenario_result merged;
  // Resolve once, synchronously: name lookup is not part of the benchmark.
  net::io_context resolve_ioc;
  tcp::resolver resolver(resolve_ioc);
  beast::error_code ec;
  auto endpoints = resolver.resolve(config.host, config.port, ec);
  if (ec) {
    merged.connect_failures = config.connections;
    merged.first_problem = "resolve " + config.host + ":" + config.port + ": "
                           + ec.message();
    return merged;
  }

  const int connections = std::max(config.connections, 1);
  const int threads = std::clamp(config.threads, 1, connections);
  std::vector<std::unique_ptr<io_thread_state>> homes;
  for (int i = 0; i < threads; ++i)
    homes.push_back(std::make_unique<io_thread_state>());

  const auto t0 = steady::now();
  shared_plan plan{config, std::move(endpoints), host_header(config),
                   t0 + config.warmup, t0 + config.warmup + config.duration};
  std::vector<std::unique_ptr<connection>> pool;
  for (int i = 0; i < connections; ++i) {
    pool.push_back(std::make_unique<connection>(
      plan, *homes[i % threads], static_cast<std::uint64_t>(i)));
    pool.back()->start();
  }
  // Each run() returns once all of its connections have closed: after the
  // deadline, plus at most request_timeout for a request in flight.
  std::atomic<int> running{threads};
  std::vector<std::thread> workers;
  for (auto& home : homes)
    workers.emplace_back([&ioc = home->ioc, &running] {
      ioc.run();
      --running;
    });
  if (config.kind == scenario_kind::load)
    report_progress(plan, running);
  for (auto& worker : workers)
    worker.join();
  pool.clear(); // sockets go before the io_contexts that own them

  steady::time_point last_counted{};
  for (auto& home : homes) {
    auto& r = home->result;
    merged.responses += r.responses;
    merged.non_2xx += r.non_2xx;
    merged.wrong += r.wrong;
    merged.errors += r.errors;
    merged.connect_failures += r.connect_failures;
    merged.latencies_ns.insert(merged.latencies_ns.end(),
                               r.latencies_ns.begin(), r.latencies_ns.end());
    merged.created_ids.insert(merged.created_ids.end(),
                              std::make_move_iterator(r.created_ids.begin()),
                              std::make_move_iterator(r.created_ids.end()));
    merged.dicom_stored.insert(merged.dicom_stored.end(),
                               std::make_move_iterator(r.dicom_stored.begin()),
                               std::make_move_iterator(r.dicom_stored.end()));
    if (merged.first_problem.empty())
      merged.first_problem = std::move(r.first_problem);
    last_counted = std::max(last_counted, home->last_counted);
  }
  merged.elapsed = config.duration;
  // With --max-requests the window ends at the last counted completion.
  if (plan.budget_exhausted.load() && last_counted > plan.measure_start)
    merged.elapsed = std::min<std::chrono::nanoseconds>(
      config.duration, last_counted - plan.measure_start);
  return merged;
}

} // namespace atrium::bench
