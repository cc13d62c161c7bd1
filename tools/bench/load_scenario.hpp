// One load scenario: N keep-alive connections over T io threads, each sending
// its next request as soon as the previous response arrives (closed loop).
// This header is Beast-free so bench_main.cpp stays plain C++.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace atrium::bench {

enum class scenario_kind {
  healthz, ///< GET /healthz: the server's HTTP floor, the baseline.
  create,  ///< POST {base}/Patient with a varying Patient body.
  /// POST {base}/Binary carrying the same Patient bytes (base64): the same
  /// durable write path with next to no search values (only _lastUpdated),
  /// so create/create_unindexed is the cost of indexing.
  create_unindexed,
  read,    ///< GET {base}/Patient/{id} over ids that exist.
  load,    ///< PUT the synthetic dataset (dataset.hpp) once, then stop.
  /// POST {base} with a transaction Bundle of `bundle_entries` Synthea-shaped
  /// entries (synthea_bundle.hpp): a Patient and its records, linked by
  /// urn:uuid, with conditional references to practitioners and others.
  transaction,
  batch,    ///< The same entries as a batch Bundle: no atomicity, no rewriting.
  fixtures, ///< The practitioners etc. those Bundles refer to (once, untimed).
  // Searches over the loaded dataset (dataset.cpp: search_query).
  token,      ///< Patient?identifier=urn:bench:mrn|MRN-i
  reference,  ///< Observation?subject=Patient/p-i
  date_range, ///< Observation?subject=Patient/p-i&date=ge{Y}-01-01&date=lt{Y+1}-01-01
  chain,      ///< Observation?subject:Patient.name={rare family}&code={its code}
  has,        ///< Patient?_has:Observation:subject:code={rare code}
  include,    ///< Observation?subject=Patient/p-i&_include=Observation:subject
  sort,       ///< Observation?subject=Patient/p-i&_sort=-date
  // DICOMweb at `dicom_base` (an Atrium DICOM service or a peer such as
  // Orthanc's /dicom-web), on 512x512 16-bit CT instances in series of 20.
  dicom_stow,     ///< POST studies: one instance per multipart request
  dicom_qido,     ///< GET studies?PatientID={a stored patient}
  dicom_wado,     ///< GET a stored instance (multipart, transfer-syntax=*)
  dicom_metadata, ///< GET a stored series' metadata
};

const char* to_string(scenario_kind kind);

/// True for the search scenarios (token … sort).
bool is_search(scenario_kind kind);
/// True for the DICOMweb scenarios.
bool is_dicom(scenario_kind kind);

struct dicom_ids;
class dicom_template;

struct scenario_config {
  scenario_kind kind = scenario_kind::healthz;
  /// Host and port to connect to. Default: 127.0.0.1 / 8080.
  std::string host = "127.0.0.1";
  std::string port = "8080";
  /// FHIR service base path. Default: "/default/fhir".
  std::string base = "/default/fhir";
  /// Concurrent keep-alive connections. Default: 32.
  int connections = 32;
  /// io threads; each owns one io_context and a share of the connections,
  /// so no strands or locks sit on the request path. Default: 1.
  int threads = 1;
  /// Requests run but are not recorded, so connection set-up and the
  /// server's cold caches stay out of the figures. Default: 2 s.
  std::chrono::milliseconds warmup{2000};
  /// Measured window; no request is started after it ends. Default: 10 s.
  std::chrono::milliseconds duration{10000};
  /// Stop after this many requests started in the measured window, even if
  /// time is left. 0 means unbounded. Default: 0.
  std::uint64_t max_requests = 0;
  /// A request (or connect) that takes longer fails with a timeout. It also
  /// bounds how long a scenario can overrun its window. Default: 5 s.
  std::chrono::milliseconds request_timeout{5000};
  /// Send `Prefer: return=minimal` on creates. Default: false.
  bool prefer_minimal = false;
  /// Entries per Bundle of the transaction and batch scenarios. Default: 100.
  int bundle_entries = 100;
  /// Ids to read (read scenario only); shared read-only by all io threads.
  const std::vector<std::string>* read_ids = nullptr;
  /// DICOMweb root. Default: "/default/dicom/v2".
  std::string dicom_base = "/default/dicom/v2";
  /// The instance dicom_stow sends (dicom_load.hpp), and what it stored,
  /// for the other DICOM scenarios to read.
  const dicom_template* dicom_file = nullptr;
  const std::vector<dicom_ids>* dicom_stored = nullptr;
  /// The dataset that load writes and the searches query (dataset.hpp).
  std::uint64_t patients = 0;
  std::uint64_t seed = 1;
};

struct scenario_result {
  /// Responses of any status whose request started and finished inside the
  /// measured window.
  std::uint64_t responses = 0;
  std::uint64_t non_2xx = 0;
  /// 2xx responses with a wrong body: for searches, not a searchset Bundle,
  /// or one without a match (or without an include, for include), or with an
  /// OperationOutcome entry (a parameter was ignored).
  std::uint64_t wrong = 0;
  /// Transport failures (reset, timeout, malformed response) of requests
  /// started inside the window.
  std::uint64_t errors = 0;
  /// Connections that stopped because a connect or re-connect failed.
  int connect_failures = 0;
  /// Length of the measured window: the configured duration, or less if
  /// max_requests (or, for load, the dataset) ran out first.
  std::chrono::nanoseconds elapsed{0};
  /// Latency of every counted response, unsorted.
  std::vector<std::int64_t> latencies_ns;
  /// Ids of all successful creates, warm-up included (create scenario).
  std::vector<std::string> created_ids;
  /// Instances dicom_stow stored, warm-up included.
  std::vector<dicom_ids> dicom_stored;
  /// The first failure or unexpected status seen, to explain a bad run.
  std::string first_problem;
};

/// Runs one scenario to completion; returns after the measured window plus
/// at most `request_timeout` for requests still in flight. load ends when
/// every resource was sent (give it a long window) and reports progress on
/// stderr every 10 s.
scenario_result run_scenario(const scenario_config& config);

} // namespace atrium::bench
