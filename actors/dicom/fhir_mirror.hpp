#pragma once
// The DICOM→FHIR mirror (Azure's DICOM cast): for every DICOM service whose
// properties name a FHIR service of its workspace ("fhirService"), follows
// the change feed from a durable cursor and writes the studies it touches
// into that FHIR service as Patient, ImagingStudy and Endpoint resources,
// one transaction Bundle per batch of changes. A batch that fails is tried
// again (the cursor moves only after the FHIR service acknowledged it), so
// nothing is skipped and a retry only rewrites the same resources. A batch
// the FHIR service refuses (4xx: nothing a retry changes, such as a
// conditional DELETE that several ImagingStudy resources match) is sent
// again a study at a time, and a study refused alone is logged and passed
// over, so that one study cannot hold up every later one.
// One thread of its own: it waits on FHIR transactions.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "protocols/dicom/fhir_mapping.hpp"
#include "protocols/http/message.hpp"

namespace atrium::storage { class store; }

namespace atrium::actors {

struct edge_context;
struct service_info;
class change_sequences;

class fhir_mirror {
public:
  /// `base_url`: how the DICOMweb services are reached ("http://host:port"),
  /// for the Endpoint resources.
  fhir_mirror(edge_context& edge, storage::store& db, change_sequences& sequences,
              std::string base_url);
  ~fhir_mirror(); // stops
  void start();
  /// Stops after the batch in progress.
  void stop();

private:
  void run();
  enum class outcome { idle, progress, failed };
  /// Mirrors one batch of `dicom`'s changes into `fhir`.
  outcome mirror_batch(const service_info& dicom, const service_info& fhir);
  /// The FHIR service's answer to the Bundle of `studies`; nullopt when it
  /// gives none in time.
  std::optional<http::response> send(const service_info& dicom, const service_info& fhir,
                                     const std::vector<dicom::mirrored_study>& studies);

  edge_context& edge_;
  storage::store& db_;
  change_sequences& sequences_;
  std::string base_url_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

} // namespace atrium::actors
