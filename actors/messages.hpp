#pragma once
// Every message that crosses an actor boundary, with its CAF inspect
// function. All of them are registered at start-up (actors/type_registry.cpp)
// and round-trip-tested through CAF's serializer, so any actor can move to
// another node without code changes. Keep this file free of CAF includes
// except the inspector glue: the edge includes it too.
#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>

#include "protocols/common/status.hpp"
#include "protocols/dicom/instance.hpp"
#include "protocols/fhir/bundle_request.hpp"
#include "storage/index_entries.hpp"
#include "storage/resource_record.hpp"
#include "storage/store.hpp"

namespace atrium::storage {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_op& x) {
  return f(caf::meta::type_name("atrium.write_op"), x.cf, x.erase, x.erase_range,
           x.key, x.value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, resource_record& x) {
  return f(caf::meta::type_name("atrium.resource_record"), x.kind, x.version,
           x.last_updated_micros, x.json);
}

namespace index {
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entry& x) {
  return f(caf::meta::type_name("atrium.index_entry"), x.key, x.value);
}
} // namespace index

} // namespace atrium::storage

namespace atrium::actors {

/// The outcome part of every reply: errc::ok or what went wrong. Domain
/// errors travel inside replies; caf::error is left for transport failures
/// (timeouts, dead actors), which the gateway converts into a reply_status.
struct reply_status {
  errc code = errc::ok;
  std::string message;
  std::string where;

  bool ok() const noexcept { return code == errc::ok; }
  static reply_status from(const status& s) {
    return {s.code(), s.message(), s.where()};
  }
  status to_status() const { return {code, message, where}; }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reply_status& x) {
  return f(caf::meta::type_name("atrium.reply_status"), x.code, x.message,
           x.where);
}

} // namespace atrium::actors

namespace atrium::fhir {

/// `refused` travels as a flag and a reply_status: CAF 0.17 cannot inspect
/// a std::optional.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bundle_entry_request& x) {
  bool refused = x.refused.has_value();
  auto why = refused ? actors::reply_status::from(*x.refused) : actors::reply_status{};
  auto load = [&]() -> caf::error {
    if (refused) x.refused = why.to_status();
    else x.refused.reset();
    return caf::none;
  };
  return f(caf::meta::type_name("atrium.bundle_entry_request"), x.method, x.url, x.full_url,
           x.resource, x.if_match, x.if_none_exist, x.if_none_match, x.if_modified_since,
           refused, why, caf::meta::load_callback(load));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bundle_request& x) {
  return f(caf::meta::type_name("atrium.bundle_request"), x.type, x.entries);
}

} // namespace atrium::fhir

namespace atrium::actors {

// ---- storage writer ---------------------------------------------------------

/// Mutations to apply atomically; the writer acknowledges once durable.
struct write_request {
  std::vector<storage::write_op> ops;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_request& x) {
  return f(caf::meta::type_name("atrium.write_request"), x.ops);
}

struct write_ack {
  reply_status status;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, write_ack& x) {
  return f(caf::meta::type_name("atrium.write_ack"), x.status);
}

// ---- FHIR -------------------------------------------------------------------

enum class fhir_op : std::uint8_t {
  read,
  vread,
  create,
  update,
  erase,
  history_instance,
  history_type,
  history_system,
  search, // type level: `type` and `query`
  search_system, // [base]?_type=…: `query` only
  reindex_start,  // service: POST [base]/$reindex (`query` "all": every type)
  reindex_status, // service: GET [base]/_operations/reindex/{id} (`id`)
  reindex_resume, // service: continue the jobs a restart interrupted
  reindex,        // partition: re-index resources `ids` of `type`
  patch,          // partition: JSON Patch `head` applied to resource `id`
  hard_erase,     // partition: DELETE ?hardDelete=true (history and all)
  purge_history,  // partition: $purge-history (every version but the current)
  conditional_create, // service: create unless `query` (criteria) matches
  conditional_update, // service: PUT {type}?criteria
  conditional_delete, // service: DELETE {type}?criteria
  conditional_patch,  // service: PATCH {type}?criteria (JSON Patch in head)
  // A transaction Bundle (head: its body; ids: the criteria "Type?query" of
  // its conditional entries) to the service, which hands it to a coordinator
  // (actors/fhir/transaction.hpp).
  transaction,
  // The coordinator to a partition: prepare `write` (create, update, erase,
  // patch) of `id` for `transaction`, answering the write ops and locking
  // the id; then commit (the ops are durable) or abort the ids `ids`.
  tx_prepare,
  tx_commit,
  tx_abort,
};

/// History page parameters. Times are microseconds UTC; `cursor` is the
/// opaque position after the last entry of the previous page ("" = start).
struct history_query {
  static constexpr std::int64_t unbounded = INT64_MIN;
  std::uint32_t count = 10;
  std::int64_t since = unbounded; // _since: versions at or after
  /// _at: versions current at some time in [at, at_end], the period its
  /// precision names (a day for "2026-11-27"; R4 http.html#history).
  std::int64_t at = unbounded;
  std::int64_t at_end = unbounded;
  std::string cursor;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_query& x) {
  return f(caf::meta::type_name("atrium.history_query"), x.count, x.since,
           x.at, x.at_end, x.cursor);
}

struct fhir_request {
  fhir_op op = fhir_op::read;
  std::uint32_t service = 0;
  std::uint16_t type = 0;
  std::string id;
  /// create: `id` was drawn here by fhir::new_resource_id (62 random bits
  /// after the time), so no version of it can exist and the partition does
  /// not look for one. A create without it is checked against the store.
  bool new_id = false;
  std::uint64_t version = 0;  // vread
  std::uint64_t if_match = 0; // If-Match version; 0 = none
  /// A write's If-None-Match as sent ("*": only if absent); "" = none.
  std::string if_none_match;
  // create/update: the prepared resource (protocols/fhir/resource_json.hpp);
  // patch: the JSON Patch document in head
  std::string head;
  std::string tail;
  /// create/update: the version's search index entries, except those only
  /// the owner knows (_lastUpdated), extracted on the edge.
  std::vector<storage::index::entry> index;
  /// create/update: the uid of the registry `index` was extracted with; the
  /// partition extracts again if its service writes by another one by now
  /// (a $reindex job started in between).
  std::uint64_t index_registry = 0;
  history_query history;
  std::string query; // search: the query string (URL query and form body)
  std::string compartment; // search: "Patient/123" for a compartment search
  std::vector<std::string> ids; // reindex, tx_commit, tx_abort
  std::uint64_t transaction = 0; // tx_*: the coordinator's transaction id
  /// tx_prepare: the write prepared; conditional_delete: erase or hard_erase
  fhir_op write = fhir_op::read;
  /// transaction: the Bundle as the edge read it (its resources minified),
  /// so the coordinator does not parse it again.
  fhir::bundle_request bundle;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fhir_request& x) {
  return f(caf::meta::type_name("atrium.fhir_request"), x.op, x.service, x.type,
           x.id, x.new_id, x.version, x.if_match, x.if_none_match, x.head, x.tail, x.index, x.index_registry, x.history, x.query,
           x.compartment, x.ids, x.transaction, x.write, x.bundle);
}

/// One version in a history reply.
struct history_item {
  std::uint16_t type = 0;
  std::string id;
  storage::resource_record record;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_item& x) {
  return f(caf::meta::type_name("atrium.history_item"), x.type, x.id, x.record);
}

/// One resource of a search page.
struct search_hit {
  std::uint16_t type = 0;
  std::string id;
  std::string json;
  bool included = false; // by _include/_revinclude
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, search_hit& x) {
  return f(caf::meta::type_name("atrium.search_hit"), x.type, x.id, x.json, x.included);
}

/// What one entry of a transaction did (status 0: not a write, the edge
/// runs it).
struct bundle_entry_result {
  std::uint16_t status = 0; // 200, 201, 204
  std::uint16_t type = 0;
  std::string id;
  storage::resource_record record;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bundle_entry_result& x) {
  return f(caf::meta::type_name("atrium.bundle_entry_result"), x.status, x.type, x.id, x.record);
}

struct fhir_reply {
  reply_status status;
  bool created = false;            // a create, or an update that created: 201
  storage::resource_record record; // read, vread, create, update, erase
  std::vector<history_item> history;
  std::string next_cursor;         // history, search: "" when this is the last page
  std::string previous_cursor;     // search: "" when this is the first page
  std::vector<search_hit> hits;    // search
  std::uint64_t total = 0;         // search: matches on all pages; reindex: resources re-indexed
  std::string job_id;              // reindex_start: the job started
  std::string id;                  // conditional interactions: the resource they acted on
  std::vector<storage::write_op> ops;       // tx_prepare: the writes, to apply atomically
  std::vector<bundle_entry_result> entries; // transaction: one per entry, in entry order
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, fhir_reply& x) {
  return f(caf::meta::type_name("atrium.fhir_reply"), x.status, x.created,
           x.record, x.history, x.next_cursor, x.previous_cursor, x.hits, x.total, x.job_id, x.id,
           x.ops, x.entries);
}

// ---- management -------------------------------------------------------------

enum class service_kind : std::uint8_t { fhir = 1, dicom = 2, iot = 3 };
const char* service_kind_collection(service_kind k); // "fhirservices", …

enum class mgmt_op : std::uint8_t {
  list_workspaces,
  put_workspace,
  get_workspace,
  delete_workspace,
  list_services,
  put_service,
  get_service,
  delete_service,
};

struct mgmt_request {
  mgmt_op op = mgmt_op::list_workspaces;
  std::string workspace;
  service_kind kind = service_kind::fhir;
  std::string name;
  std::string body;     // PUT: the client's JSON ("" = none)
  bool cascade = false; // DELETE workspace: also delete its services
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, mgmt_request& x) {
  return f(caf::meta::type_name("atrium.mgmt_request"), x.op, x.workspace,
           x.kind, x.name, x.body, x.cascade);
}

struct mgmt_reply {
  reply_status status;
  bool created = false;
  std::string json; // the resource or list, as JSON
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, mgmt_reply& x) {
  return f(caf::meta::type_name("atrium.mgmt_reply"), x.status, x.created,
           x.json);
}

// ---- DICOM ------------------------------------------------------------------

enum class dicom_op : std::uint8_t {
  store,  // STOW-RS: `instance` parsed from `bytes` (upsert: PUT replaces)
  remove, // DELETE of a study, a series (`series`) or an instance (`sop`)
  reindex, // rebuild study `study`'s records (extended query tags were added)
};

/// To a study partition (actors/dicom/study_partition.hpp), which owns the
/// studies whose UID hashes to it.
struct dicom_request {
  dicom_op op = dicom_op::store;
  std::uint32_t service = 0;
  bool upsert = false;
  std::string study, series, sop; // remove: what to delete
  dicom::instance instance;       // store
  std::string file;               // store: where its bytes already are (file_store.hpp)
  std::uint64_t size = 0;         // store: how many
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dicom_request& x) {
  return f(caf::meta::type_name("atrium.dicom_request"), x.op, x.service, x.upsert, x.study,
           x.series, x.sop, x.instance, x.file, x.size);
}

struct dicom_reply {
  reply_status status;
  /// STOW: FailureReason (0008,1197) when refused (45070 already stored,
  /// 272 failed), WarningReason (0008,1196) when stored with warnings.
  std::uint16_t failure_reason = 0;
  std::uint16_t warning_reason = 0;
  std::uint32_t removed = 0; // remove: instances deleted
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dicom_reply& x) {
  return f(caf::meta::type_name("atrium.dicom_reply"), x.status, x.failure_reason,
           x.warning_reason, x.removed);
}

} // namespace atrium::actors

namespace atrium::dicom {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, attribute& x) {
  return f(caf::meta::type_name("atrium.dicom_attribute"), x.tag, x.vr, x.json);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, instance& x) {
  return f(caf::meta::type_name("atrium.dicom_instance"), x.study_uid, x.series_uid, x.sop_uid,
           x.sop_class_uid, x.transfer_syntax, x.frames, x.attributes, x.warnings);
}

} // namespace atrium::dicom
