// atrium-bench: runs the scenarios one after another against one server and
// prints one Markdown table. Every figure sits next to the healthz baseline
// from the same run, because on a shared 2-core machine an absolute req/s
// says little, while "reads reach 78% of the bare HTTP floor" travels well.
#include "dataset.hpp"
#include "dicom_load.hpp"
#include "load_scenario.hpp"

#include <sched.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace atrium::bench {
namespace {

constexpr const char* usage = R"(usage: atrium-bench [options]

Closed-loop HTTP load against a running atrium node. Scenarios run in the
given order, each with its own warm-up and measured window.

  --target HOST:PORT     server address                (default 127.0.0.1:8080)
  --base PATH            FHIR service base path        (default /default/fhir)
  --connections LIST     keep-alive connections; a comma list (1,16) runs
                         every scenario at each count in turn (default 32)
  --threads T            client io threads             (default 1)
  --duration SECONDS     measured window per scenario  (default 10)
  --warmup SECONDS       unmeasured lead-in per scenario (default 2)
  --max-requests N       also stop a scenario after N requests (default 0: off)
  --timeout SECONDS      per-request and connect timeout (default 5)
  --scenarios LIST       comma list of healthz,create,create-unindexed,read,
                         load, transaction, batch and the searches
                         token,reference,date-range,
                         chain,has,include,sort; "search" means all seven;
                         the DICOMweb scenarios dicom-stow, dicom-qido,
                         dicom-wado, dicom-metadata ("dicom": all four)
                         (default healthz,create,create-unindexed,
                         create-unindexed,create,healthz,read,healthz;
                         "vs healthz" is against the mean of the healthz
                         runs at the same connection count)
  --dicom-base PATH      DICOMweb root (default /default/dicom/v2; Orthanc's
                         is /dicom-web)
  --bundle-entries N     entries per Bundle of transaction and batch (default 100)
  --patients N           dataset size in patients, 18 resources each; needed
                         by load and the searches (>= 1000 for searches)
  --seed S               dataset seed (default 1)
  --prefer-minimal       send "Prefer: return=minimal" on creates
  --help                 this text

read uses the ids that create made earlier in the run; without a create it
first creates 1000 patients. The DICOM reads likewise use what dicom-stow
stored, or store 200 instances first. load PUTs the dataset once (no time window) and
must run on one connection count. The searches query it with _count=10 and
need the --patients and --seed it was loaded with.

Exit status: 0 ok, 1 if a connection could not connect, more than 1% of a
scenario's requests failed (transport error or non-2xx status), any search
answer was wrong (not a searchset Bundle with a match), or any load PUT
failed; 2 for bad arguments.
)";

struct options {
  scenario_config common;
  std::vector<int> connection_counts{32};
  // create and create-unindexed interleaved (ABBA): their ratio is what
  // indexing costs, and a store that grows during the run weighs on both.
  // healthz brackets read: the baseline is their mean, so a machine whose
  // speed drifts over the run (this one does, by ±20% within a minute)
  // weighs on both sides of the ratio.
  std::vector<scenario_kind> scenarios{scenario_kind::healthz,          scenario_kind::create,
                                      scenario_kind::create_unindexed, scenario_kind::create_unindexed,
                                      scenario_kind::create,           scenario_kind::healthz,
                                      scenario_kind::read,             scenario_kind::healthz};
};

/// Thrown for bad command lines; main prints it with the usage text.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::chrono::milliseconds parse_seconds(std::string_view flag,
                                        const std::string& text) {
  std::size_t used = 0;
  double seconds = -1;
  try {
    seconds = std::stod(text, &used);
  } catch (const std::exception&) {
  }
  if (used != text.size() || !(seconds >= 0) || seconds > 86400)
    throw usage_error(std::string(flag) + ": expected seconds, got '" + text
                      + "'");
  return std::chrono::milliseconds(std::llround(seconds * 1000));
}

std::uint64_t parse_count(std::string_view flag, const std::string& text,
                          std::uint64_t min, std::uint64_t max) {
  std::size_t used = 0;
  unsigned long long value = 0;
  try {
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || text[0] == '-' || used != text.size() || value < min
      || value > max)
    throw usage_error(std::string(flag) + ": expected a number in ["
                      + std::to_string(min) + ", " + std::to_string(max)
                      + "], got '" + text + "'");
  return value;
}

constexpr scenario_kind all_kinds[] = {
  scenario_kind::healthz,   scenario_kind::create,     scenario_kind::read,
  scenario_kind::create_unindexed, scenario_kind::load, scenario_kind::transaction,
  scenario_kind::batch, scenario_kind::token,      scenario_kind::reference,
  scenario_kind::date_range, scenario_kind::chain,     scenario_kind::has,
  scenario_kind::include,   scenario_kind::sort, scenario_kind::dicom_stow,
  scenario_kind::dicom_qido, scenario_kind::dicom_wado, scenario_kind::dicom_metadata};

std::vector<scenario_kind> parse_scenarios(const std::string& text) {
  std::vector<scenario_kind> result;
  std::stringstream in(text);
  for (std::string name; std::getline(in, name, ',');) {
    const auto before = result.size();
    for (auto kind : all_kinds)
      if (name == to_string(kind) || (name == "search" && is_search(kind)) ||
          (name == "dicom" && is_dicom(kind)))
        result.push_back(kind);
    if (result.size() == before)
      throw usage_error("--scenarios: unknown scenario '" + name + "'");
  }
  if (result.empty())
    throw usage_error("--scenarios: empty list");
  return result;
}

/// Accepts "--flag value" and "--flag=value". Returns nullopt for --help.
std::optional<options> parse_options(int argc, char** argv) {
  options opts;
  auto& c = opts.common;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::optional<std::string> inline_value;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0
                                 && eq != std::string::npos) {
      inline_value = arg.substr(eq + 1);
      arg.resize(eq);
    }
    auto value = [&]() -> std::string {
      if (inline_value)
        return *inline_value;
      if (i + 1 >= argc)
        throw usage_error(arg + ": missing value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      return std::nullopt;
    } else if (arg == "--target") {
      auto target = value();
      auto colon = target.rfind(':');
      if (colon == std::string::npos || colon == 0
          || colon + 1 == target.size())
        throw usage_error("--target: expected HOST:PORT, got '" + target
                          + "'");
      c.host = target.substr(0, colon);
      // Accept "[::1]:8080" for IPv6 literals.
      if (c.host.size() > 2 && c.host.front() == '[' && c.host.back() == ']')
        c.host = c.host.substr(1, c.host.size() - 2);
      c.port = target.substr(colon + 1);
    } else if (arg == "--base") {
      c.base = value();
      while (!c.base.empty() && c.base.back() == '/')
        c.base.pop_back();
      if (!c.base.empty() && c.base.front() != '/')
        c.base.insert(c.base.begin(), '/');
    } else if (arg == "--dicom-base") {
      c.dicom_base = value();
      while (!c.dicom_base.empty() && c.dicom_base.back() == '/')
        c.dicom_base.pop_back();
    } else if (arg == "--connections") {
      opts.connection_counts.clear();
      std::stringstream in(value());
      for (std::string count; std::getline(in, count, ',');)
        opts.connection_counts.push_back(
          static_cast<int>(parse_count(arg, count, 1, 10000)));
      if (opts.connection_counts.empty())
        throw usage_error("--connections: empty list");
    } else if (arg == "--patients") {
      c.patients = parse_count(arg, value(), 1, 9'999'999);
    } else if (arg == "--bundle-entries") {
      c.bundle_entries = static_cast<int>(parse_count(arg, value(), 2, 10000));
    } else if (arg == "--seed") {
      c.seed = parse_count(arg, value(), 0, UINT64_MAX);
    } else if (arg == "--threads") {
      c.threads = static_cast<int>(parse_count(arg, value(), 1, 256));
    } else if (arg == "--duration") {
      c.duration = parse_seconds(arg, value());
      if (c.duration.count() == 0)
        throw usage_error("--duration: must be > 0");
    } else if (arg == "--warmup") {
      c.warmup = parse_seconds(arg, value());
    } else if (arg == "--timeout") {
      c.request_timeout = parse_seconds(arg, value());
      if (c.request_timeout.count() == 0)
        throw usage_error("--timeout: must be > 0");
    } else if (arg == "--max-requests") {
      c.max_requests = parse_count(arg, value(), 0, UINT64_MAX);
    } else if (arg == "--scenarios") {
      opts.scenarios = parse_scenarios(value());
    } else if (arg == "--prefer-minimal") {
      if (inline_value)
        throw usage_error("--prefer-minimal takes no value");
      c.prefer_minimal = true;
    } else {
      throw usage_error("unknown option '" + arg + "'");
    }
  }
  for (auto kind : opts.scenarios) {
    if (kind == scenario_kind::load && c.patients == 0)
      throw usage_error("load needs --patients");
    if (kind == scenario_kind::load && opts.connection_counts.size() > 1)
      throw usage_error("load runs once: give --connections a single count");
    if (is_search(kind) && c.patients < min_search_patients)
      throw usage_error("the searches need --patients >= "
                        + std::to_string(min_search_patients)
                        + " (the size the dataset was loaded with)");
  }
  return opts;
}

/// The issue's target for a search, as a p50 bound in ms: 50 for chain and
/// _has, 5 for the other (selective, _count=10) searches; 0: no target.
double target_p50_ms(scenario_kind kind) {
  if (kind == scenario_kind::chain || kind == scenario_kind::has)
    return 50;
  return is_search(kind) ? 5 : 0;
}

/// One finished scenario, reduced to what the table shows.
struct summary {
  std::string name;
  scenario_kind kind = scenario_kind::healthz;
  int connections = 0;
  scenario_result result;
  double ok_per_second = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
  bool failed = false; // breaks the exit-status rule
};

summary summarize(scenario_kind kind, int connections, scenario_result result) {
  summary s;
  s.name = to_string(kind);
  s.kind = kind;
  s.connections = connections;
  auto& lat = result.latencies_ns;
  std::sort(lat.begin(), lat.end());
  // Nearest-rank percentile: the smallest sample with at least p of all
  // samples at or below it, so p99 is a latency some request really had.
  auto percentile = [&](double p) {
    if (lat.empty())
      return 0.0;
    auto rank = static_cast<std::size_t>(std::ceil(p * lat.size()));
    return lat[std::clamp<std::size_t>(rank, 1, lat.size()) - 1] / 1e6;
  };
  s.p50_ms = percentile(0.50);
  s.p90_ms = percentile(0.90);
  s.p99_ms = percentile(0.99);
  s.max_ms = lat.empty() ? 0.0 : lat.back() / 1e6;
  // req/s counts right 2xx responses only: a server answering 503 quickly,
  // or a search answering nothing, must not look fast.
  const auto seconds = std::chrono::duration<double>(result.elapsed).count();
  const auto ok = result.responses - result.non_2xx - result.wrong;
  s.ok_per_second = seconds > 0 ? ok / seconds : 0;
  const auto attempts = result.responses + result.errors;
  const auto failures = result.non_2xx + result.errors;
  // A wrong search answer is never noise, and a failed PUT leaves a hole in
  // the dataset: either fails the scenario outright.
  s.failed = result.connect_failures > 0 || result.responses == 0
             || failures * 100 > attempts // more than 1%
             || result.wrong > 0
             || (kind == scenario_kind::load && failures > 0);
  s.result = std::move(result);
  return s;
}

std::string fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

/// Prints rows as a Markdown table with padded columns, so it reads in a
/// terminal as well as pasted into an issue. Column 0 is left-aligned.
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(rows.front().size(), 3);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line = "|";
    for (std::size_t i = 0; i < row.size(); ++i) {
      const auto pad = std::string(width[i] - row[i].size(), ' ');
      line += " " + (i == 0 ? row[i] + pad : pad + row[i]) + " |";
    }
    std::cout << line << '\n';
  };
  print_row(rows.front());
  std::string rule = "|";
  for (std::size_t i = 0; i < width.size(); ++i)
    rule += (i == 0 ? " :" + std::string(width[i] - 1, '-')
                    : " " + std::string(width[i] - 1, '-') + ":")
            + " |";
  std::cout << rule << '\n';
  for (std::size_t r = 1; r < rows.size(); ++r)
    print_row(rows[r]);
}

std::string command_line(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (i > 0)
      line += ' ';
    line += arg.find_first_of(" \t\"'") == std::string::npos ? arg
                                                            : "'" + arg + "'";
  }
  return line;
}

/// Like nproc(1): the CPUs this process may run on, not all CPUs present.
std::string machine_line() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
  std::string line = "nproc=" + std::to_string(cpus);
  if (utsname u{}; uname(&u) == 0)
    line += std::string(", ") + u.sysname + " " + u.release + " " + u.machine;
  return line;
}

/// Runs one scenario at one connection count; `ids` carries create's ids to
/// read.
summary run_one(const options& opts, scenario_kind kind, int connections,
                std::vector<std::string>& ids, std::vector<dicom_ids>& stored,
                std::vector<std::string>& notes) {
  auto config = opts.common;
  config.kind = kind;
  config.connections = connections;
  static const std::unique_ptr<dicom_template> file =
    std::any_of(opts.scenarios.begin(), opts.scenarios.end(), is_dicom)
      ? std::make_unique<dicom_template>()
      : nullptr;
  config.dicom_file = file.get();
  config.dicom_stored = &stored;
  if (is_dicom(kind) && kind != scenario_kind::dicom_stow && stored.empty()) {
    std::cerr << to_string(kind) << ": nothing stored yet, storing 200 instances first\n";
    auto seed = config;
    seed.kind = scenario_kind::dicom_stow;
    seed.warmup = {};
    seed.duration = std::chrono::seconds(120);
    seed.max_requests = 200;
    stored = run_scenario(seed).dicom_stored;
    notes.push_back(std::string(to_string(kind)) + ": seeded " + std::to_string(stored.size()) +
                    " instances first");
    if (stored.empty()) {
      summary failed;
      failed.name = to_string(kind);
      failed.kind = kind;
      failed.connections = connections;
      failed.failed = true;
      failed.result.first_problem = "could not store instances to read";
      return failed;
    }
  }
  if (kind == scenario_kind::read) {
    if (ids.empty()) {
      // Reads need ids that exist; make a fixed, modest set first.
      std::cerr << "read: no ids from a create scenario, creating 1000 "
                   "patients first\n";
      auto seed = config;
      seed.kind = scenario_kind::create;
      seed.warmup = {};
      seed.duration = std::chrono::seconds(60);
      seed.max_requests = 1000;
      auto seeded = run_scenario(seed);
      ids = std::move(seeded.created_ids);
      notes.push_back("read: seeded " + std::to_string(ids.size())
                      + " patients before the read scenario");
      if (ids.empty()) {
        summary failed;
        failed.name = "read";
        failed.kind = kind;
        failed.connections = connections;
        failed.failed = true;
        failed.result.first_problem =
          "could not create patients to read: "
          + (seeded.first_problem.empty() ? "no ids returned"
                                          : seeded.first_problem);
        failed.result.connect_failures = seeded.connect_failures;
        return failed;
      }
    }
    config.read_ids = &ids;
  }
  if (kind == scenario_kind::transaction || kind == scenario_kind::batch) {
    // The practitioners, organizations and locations the Bundles refer to.
    auto fixtures = config;
    fixtures.kind = scenario_kind::fixtures;
    fixtures.connections = 1;
    fixtures.warmup = {};
    fixtures.duration = std::chrono::seconds(30);
    fixtures.max_requests = 1;
    auto made = run_scenario(fixtures);
    if (made.responses != 1 || made.non_2xx != 0) {
      summary failed;
      failed.name = to_string(kind);
      failed.kind = kind;
      failed.connections = connections;
      failed.failed = true;
      failed.result.first_problem = "could not store the Bundles' practitioners etc.: " +
                                    made.first_problem;
      return failed;
    }
  }
  if (kind == scenario_kind::load) {
    // No window: it ends when the dataset is written; every PUT counts.
    config.warmup = {};
    config.duration = std::chrono::hours(24);
    config.max_requests = 0;
    std::cerr << "load: " << dataset{config.patients, config.seed}.resources()
              << " resources (" << config.patients << " patients) on "
              << connections << " connections\n";
  } else {
    std::cerr << to_string(kind) << ": "
              << std::chrono::duration<double>(config.warmup).count()
              << " s warm-up + "
              << std::chrono::duration<double>(config.duration).count()
              << " s on " << connections << " connections\n";
  }
  auto result = run_scenario(config);
  if (kind == scenario_kind::dicom_stow) {
    stored.insert(stored.end(), result.dicom_stored.begin(), result.dicom_stored.end());
    notes.push_back("dicom-stow: one " + std::to_string(file->size() / 1024) +
                    " KiB CT instance per request (req/s = instances/s)");
  }
  if (kind == scenario_kind::create)
    ids.insert(ids.end(), result.created_ids.begin(), result.created_ids.end());
  if (kind == scenario_kind::load)
    notes.push_back("load: " + std::to_string(result.responses - result.non_2xx)
                    + " resources written in "
                    + fixed(std::chrono::duration<double>(result.elapsed).count(), 1)
                    + " s");
  return summarize(kind, connections, std::move(result));
}

int run(const options& opts, int argc, char** argv) {
  std::vector<summary> done;
  std::vector<std::string> ids; // created in this run, for the read scenario
  std::vector<dicom_ids> stored; // stored by dicom-stow, for the DICOM reads
  std::vector<std::string> notes;
  for (int connections : opts.connection_counts)
    for (auto kind : opts.scenarios)
      done.push_back(run_one(opts, kind, connections, ids, stored, notes));

  // The healthz baseline of the same connection count: the mean of every
  // healthz run at it.
  auto baseline = [&](int connections) -> std::optional<double> {
    double sum = 0;
    int n = 0;
    for (const auto& s : done)
      if (s.kind == scenario_kind::healthz && s.connections == connections
          && s.ok_per_second > 0) {
        sum += s.ok_per_second;
        ++n;
      }
    return n > 0 ? std::optional{sum / n} : std::nullopt;
  };

  std::vector<std::vector<std::string>> rows{
    {"scenario", "conns", "requests", "non-2xx", "wrong", "errors", "req/s",
     "p50 ms", "p90 ms", "p99 ms", "max ms", "vs healthz", "target p50",
     "met"}};
  bool failed = false;
  for (const auto& s : done) {
    const auto& r = s.result;
    const auto base = baseline(s.connections);
    const auto target = target_p50_ms(s.kind);
    rows.push_back({s.name, std::to_string(s.connections),
                    std::to_string(r.responses), std::to_string(r.non_2xx),
                    std::to_string(r.wrong), std::to_string(r.errors),
                    fixed(s.ok_per_second, 0), fixed(s.p50_ms, 2),
                    fixed(s.p90_ms, 2), fixed(s.p99_ms, 2), fixed(s.max_ms, 2),
                    base ? fixed(100 * s.ok_per_second / *base, 0) + "%" : "n/a",
                    target > 0 ? "<= " + fixed(target, 0) + " ms" : "",
                    target <= 0 ? ""
                    : s.failed  ? "FAILED"
                    : s.p50_ms <= target ? "yes"
                                         : "no"});
    const auto label = s.name + " @" + std::to_string(s.connections);
    if (r.connect_failures > 0)
      notes.push_back(label + ": " + std::to_string(r.connect_failures)
                      + " connection(s) failed to connect or reconnect");
    if (!r.first_problem.empty())
      notes.push_back(label + ": first problem: " + r.first_problem);
    if (s.failed)
      notes.push_back(label + ": FAILED (connect failure, no response, > 1% "
                              "errors/non-2xx, a wrong search answer, or a "
                              "failed load PUT)");
    failed = failed || s.failed;
  }

  // Indexing's share of create throughput, from the pair in the same run.
  // Repeated scenarios are averaged per kind, so an interleaved order such as
  // create,create-unindexed,create-unindexed,create cancels the drift of a
  // growing store and a noisy machine between the two.
  std::map<std::uint32_t, std::pair<std::vector<double>, std::vector<double>>> by_connections;
  for (const auto& s : done) {
    if (s.kind == scenario_kind::create)
      by_connections[s.connections].first.push_back(s.ok_per_second);
    else if (s.kind == scenario_kind::create_unindexed)
      by_connections[s.connections].second.push_back(s.ok_per_second);
  }
  auto mean = [](const std::vector<double>& xs) {
    double sum = 0;
    for (double x : xs) sum += x;
    return sum / static_cast<double>(xs.size());
  };
  for (const auto& [connections, pair] : by_connections) {
    const auto& [indexed, plain] = pair;
    if (indexed.empty() || plain.empty() || mean(plain) <= 0)
      continue;
    notes.push_back("indexing costs " + fixed(100 * (1 - mean(indexed) / mean(plain)), 0) +
                    "% of create throughput @" + std::to_string(connections) + " (create " +
                    fixed(mean(indexed), 0) + "/s over " + std::to_string(indexed.size()) +
                    " run(s) vs create-unindexed " + fixed(mean(plain), 0) + "/s over " +
                    std::to_string(plain.size()) + ")");
  }

  // Bundles: resources per second, the figure the issue's target is in.
  for (const auto& s : done) {
    if (s.kind != scenario_kind::transaction && s.kind != scenario_kind::batch)
      continue;
    const auto per_second = s.ok_per_second * opts.common.bundle_entries;
    notes.push_back(s.name + " @" + std::to_string(s.connections) + ": " +
                    fixed(per_second, 0) + " resources/s (" + fixed(s.ok_per_second, 1) +
                    " Bundles/s of " + std::to_string(opts.common.bundle_entries) +
                    " entries)" +
                    (s.kind == scenario_kind::transaction
                       ? std::string{", target 20000: "} + (per_second >= 20000 ? "met" : "not met")
                       : std::string{}));
  }

  std::cout << "\n";
  print_table(rows);
  std::cout << "\ncommand: " << command_line(argc, argv)
            << " | machine: " << machine_line() << "\n";
  for (const auto& note : notes)
    std::cout << "- " << note << "\n";
  return failed ? 1 : 0;
}

} // namespace
} // namespace atrium::bench

int main(int argc, char** argv) {
  using namespace atrium::bench;
  try {
    auto opts = parse_options(argc, argv);
    if (!opts) {
      std::cout << usage;
      return 0;
    }
    return run(*opts, argc, argv);
  } catch (const usage_error& e) {
    std::cerr << "atrium-bench: " << e.what() << "\n\n" << usage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "atrium-bench: " << e.what() << "\n";
    return 1;
  }
}
