#pragma once
// Routing of every HTTP request a node serves: node endpoints, the
// management API and the services' data planes.
#include <atomic>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/node_id.hpp>

#include "actors/actors.hpp"
#include "protocols/http/message.hpp"

namespace atrium::storage { class file_store; }

namespace atrium::actors {

class directory;
class param_catalog;
class change_sequences;
class query_tag_registry;
class work_pool;
struct service_info;

struct edge_context {
  directory* dir = nullptr;
  mgmt_actor catalog;
  std::vector<caf::actor> gateways;
  std::atomic<std::size_t> next_gateway{0};
  std::atomic<bool> ready{false};
  std::string software_version;
  caf::node_id local_node;
  /// The node's store: reads of local resources are served on the io
  /// thread from it, without a hop through their partition.
  const storage::store* db = nullptr;
  /// Each FHIR service's search parameters.
  param_catalog* params = nullptr;
  /// Each DICOM service's change feed numbers: what readers may see.
  change_sequences* sequences = nullptr;
  /// Threads for work that must not run on an io thread (DICOM retrievals,
  /// searches, codecs).
  work_pool* work = nullptr;
  /// Threads for STOW-RS, which waits on the disk most of its time: a pool
  /// of its own, so that a burst of uploads never holds up a retrieval or a
  /// search queued behind it.
  work_pool* ingest = nullptr;
  /// DICOM instance bytes.
  storage::file_store* files = nullptr;
  /// Each DICOM service's extended query tags.
  query_tag_registry* query_tags = nullptr;
  /// Where request bodies and instances too large for memory are spooled.
  std::filesystem::path spool_dir;
  /// Most entries a batch or transaction Bundle may hold.
  std::size_t max_bundle_entries = 500;

  const caf::actor& gateway() {
    return gateways[next_gateway.fetch_add(1, std::memory_order_relaxed) % gateways.size()];
  }
};

http::handler make_router(edge_context& ctx);
http::error_renderer make_error_renderer(edge_context& ctx);
/// Which requests may have their body spooled: STOW-RS to a DICOM service.
http::spool_predicate make_spool_predicate(edge_context& ctx);

// ---- used by the route files ----
/// application/problem+json (management and node endpoints).
http::response problem(unsigned status, std::string_view message);
/// An OperationOutcome response (FHIR data plane).
http::response fhir_error(const status& error);

void serve_management(edge_context& ctx, std::span<const std::string> segments,
                      http::request&& req, http::responder respond);
void serve_fhir(edge_context& ctx, const service_info& svc,
                std::span<const std::string> rest, http::request&& req,
                http::responder respond);
/// The DICOMweb data plane of a DICOM service (actors/edge/dicom_*.cpp).
void serve_dicom(edge_context& ctx, const service_info& svc, std::span<const std::string> rest,
                 http::request&& req, http::responder respond);

/// Runs again the extended query tag re-index jobs a stop cut short (their
/// tags are still being added). Called once the node serves.
void resume_dicom_reindex(edge_context& ctx);

/// POST [base] with a Bundle: batch entries run through serve_fhir each.
void serve_fhir_bundle(edge_context& ctx, const service_info& svc, http::request&& req,
                       http::responder respond);
/// Type-level search; `base` is the service's base URL. With a
/// `compartment` ("Patient/123"), a compartment search of that patient.
/// An empty `type_name` is a system-level search ([base]?_type=…).
void serve_fhir_search(edge_context& ctx, const service_info& svc, std::uint16_t type,
                       std::string_view type_name, const std::string& base,
                       http::request&& req, http::responder respond,
                       std::string compartment = {});

} // namespace atrium::actors
