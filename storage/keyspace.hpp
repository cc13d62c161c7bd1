#pragma once
// The whole keyspace of a node's RocksDB, in one place. See storage/KEYSPACE.md.
//
// Numbers are big-endian so that byte order is value order. A service is
// named in keys by its interned 4-byte id (assigned once, never reused), a
// resource type by its 2-byte R4 type id (protocols/fhir/resource_types.hpp).
// Resource ids match [A-Za-z0-9\-.]{1,64}, so a 0x00 byte safely ends one.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace atrium::storage {

/// Column families, one per kind of data (never one per workspace).
enum class column : std::uint8_t {
  meta = 0,      // workspaces, services, id counters
  resources = 1, // current version of every resource
  history = 2,   // the versions that later ones replaced
  changes = 3,   // time-ordered change log (type and system history)
  index = 4,     // search index entries (storage/index_keys.hpp)
  dicom = 5,     // DICOM instance metadata, study and series records, change feed
  manifests = 6, // per resource, the index keys of its current version (index_keys.hpp)
};
inline constexpr int column_count = 7;
const char* column_name(column c) noexcept; // "meta", "resources", ...

using service_id = std::uint32_t;
using type_id = std::uint16_t;

namespace keys {

// ---- meta ----------------------------------------------------------------
/// "W" ws → workspace record (JSON).
std::string workspace(std::string_view ws);
inline constexpr std::string_view workspace_prefix = "W";
/// "S" ws 0x00 name → service record (JSON).
std::string service(std::string_view ws, std::string_view name);
std::string service_prefix(std::string_view ws); // "S" ws 0x00
inline constexpr std::string_view services_all = "S"; // every workspace's
/// "N" → next service id (u32 BE).
std::string next_service_id();
/// "B" → present once the first start created the embedded default
/// workspace, so that deleting it later does not bring it back.
inline std::string bootstrapped() { return "B"; }
/// "X" → the layout of the search index entries (u32 BE,
/// index_keys.hpp index_format) of the build that last started on the store.
inline std::string index_format() { return "X"; }
/// "Y" → the form of the DICOM study index's values (u32 BE,
/// dicom_index.hpp dicom_index_form) the store's 'X' keys are in.
inline std::string dicom_index_form() { return "Y"; }
/// "U" svc(4) → present while a FHIR service's index still has entries of
/// an older layout: a start re-indexes it, and the job that completes that
/// removes the mark.
std::string index_upgrade(service_id svc);
inline constexpr std::string_view index_upgrades_all = "U";
/// The service of a per-service meta key ("P", "J" or "U" followed by
/// svc(4)); nullopt for a key too short to hold one.
std::optional<service_id> meta_key_service(std::string_view key);
/// "Q" svc(4) tag(4) → a DICOM service's extended query tag (JSON,
/// protocols/dicom/query_tags.hpp).
std::string dicom_query_tags_prefix(service_id svc); // "Q" svc(4)
/// "M" svc(4) → how far a DICOM service's FHIR mirror got: the last change
/// feed sequence it mirrored (u64 BE).
std::string dicom_mirror_cursor(service_id svc);
/// "O" svc(4) id → a DICOM operation's status document (JSON).
std::string dicom_operation(service_id svc, std::string_view id);
/// "P" svc(4) → the custom SearchParameters a FHIR service searches by: a
/// JSON array of SearchParameter resources, set when a $reindex completes.
std::string active_search_params(service_id svc);
/// "J" svc(4) job-id → a $reindex job's record (JSON, protocols/fhir/reindex_job.hpp).
std::string reindex_job(service_id svc, std::string_view job_id);
std::string reindex_jobs_prefix(service_id svc); // "J" svc(4)
inline constexpr std::string_view reindex_jobs_all = "J"; // every service's jobs

// ---- resources -----------------------------------------------------------
/// svc(4) type(2) id → resource_record of the current version.
std::string resource(service_id svc, type_id type, std::string_view id);
/// svc(4): everything of one service (for deleting it); also works as the
/// prefix of history keys.
std::string service_scope(service_id svc);

// ---- history -------------------------------------------------------------
/// svc(4) type(2) id 0x00 version(8) → resource_record of that version, once
/// a later version replaced it (the newest is only in resources).
std::string version(service_id svc, type_id type, std::string_view id,
                    std::uint64_t version);
/// svc(4) type(2) id 0x00: the replaced versions of one resource.
std::string versions_prefix(service_id svc, type_id type, std::string_view id);

// ---- changes -------------------------------------------------------------
// Two shapes, both with an empty value; the version's record is in resources
// while it is the newest, then in history.
/// svc(4) 'S' time(8) type(2) id 0x00 version(8): system history.
std::string system_change(service_id svc, std::int64_t micros, type_id type,
                          std::string_view id, std::uint64_t version);
std::string system_changes_prefix(service_id svc); // svc(4) 'S'
/// svc(4) 'T' type(2) time(8) id 0x00 version(8): type history.
std::string type_change(service_id svc, type_id type, std::int64_t micros,
                        std::string_view id, std::uint64_t version);
std::string type_changes_prefix(service_id svc, type_id type); // svc 'T' type

/// A change key taken apart (either shape).
struct change {
  service_id svc = 0;
  type_id type = 0;
  std::int64_t micros = 0;
  std::string id;
  std::uint64_t version = 0;
};
std::optional<change> parse_change(std::string_view key);

/// The version number at the end of a history key.
std::optional<std::uint64_t> parse_version_suffix(std::string_view key);

// ---- dicom ----------------------------------------------------------------
// UIDs are 1-64 characters of [0-9A-Za-z.-] (checked before they get here),
// so 0x00 ends one, as it ends a FHIR id.
/// svc(4) 'I' study 0x00 series 0x00 sop → instance record (dicom_records.hpp).
std::string dicom_instance(service_id svc, std::string_view study, std::string_view series,
                           std::string_view sop);
/// svc(4) 'I' study 0x00 [series 0x00]: the instances of a study or series.
std::string dicom_instances_prefix(service_id svc, std::string_view study = {},
                                   std::string_view series = {});
/// The UIDs of an instance key (views into it); nullopt for another key.
struct dicom_instance_uids {
  std::string_view study, series, sop;
};
std::optional<dicom_instance_uids> parse_dicom_instance(std::string_view key);
/// svc(4) 'R' study 0x00 series → series record.
std::string dicom_series(service_id svc, std::string_view study, std::string_view series);
/// svc(4) 'R' [study 0x00]: every series, or a study's.
std::string dicom_series_prefix(service_id svc, std::string_view study = {});
/// svc(4) 'S' study → study record.
std::string dicom_study(service_id svc, std::string_view study);
std::string dicom_studies_prefix(service_id svc); // svc(4) 'S'
/// svc(4) 'X' tag(4) value 0x00 study → empty: the studies whose study-level
/// attribute `tag` has `value` (normalised: storage/dicom_index.hpp), so
/// QIDO finds them without reading every study.
std::string dicom_index(service_id svc, std::uint32_t tag, std::string_view value,
                        std::string_view study);
/// svc(4) 'X' tag(4) [value [0x00]]: one attribute's entries, those starting
/// with `value` (exact = false), or those of exactly `value` (exact = true).
std::string dicom_index_prefix(service_id svc, std::uint32_t tag, std::string_view value = {},
                               bool exact = false);
/// svc(4) 'E' study 0x00 series 0x00 sop 0x00 tag(4) → JSON: the value of
/// extended query tag `tag` in that instance failed its VR when a re-index
/// job read it. Instance first, so deleting instances finds their errors by
/// prefix; each has a tag-first twin (dicom_tag_error_by_tag), written and
/// deleted with it.
std::string dicom_tag_error(service_id svc, std::string_view study, std::string_view series,
                            std::string_view sop, std::uint32_t tag);
/// svc(4) 'E' [study 0x00 [series 0x00 [sop 0x00]]]: the errors of a
/// service, study, series or instance.
std::string dicom_tag_errors_prefix(service_id svc, std::string_view study = {},
                                    std::string_view series = {}, std::string_view sop = {});
/// The instance and tag of an error key (views into it); nullopt for another key.
struct dicom_tag_error_key {
  std::string_view study, series, sop;
  std::uint32_t tag = 0;
};
std::optional<dicom_tag_error_key> parse_dicom_tag_error(std::string_view key);
/// svc(4) 'e' tag(4) study 0x00 series 0x00 sop → the same JSON: each error
/// again, tag first, so that one tag's errors are found, counted and listed
/// without reading every other tag's.
std::string dicom_tag_error_by_tag(service_id svc, std::uint32_t tag, std::string_view study,
                                   std::string_view series, std::string_view sop);
/// svc(4) 'e' tag(4): one tag's errors, tag first.
std::string dicom_tag_errors_by_tag_prefix(service_id svc, std::uint32_t tag);
/// The instance and tag of a tag-first error key; nullopt for another key.
std::optional<dicom_tag_error_key> parse_dicom_tag_error_by_tag(std::string_view key);
/// svc(4) 'C' sequence(8) → change feed entry.
std::string dicom_change(service_id svc, std::uint64_t sequence);
std::string dicom_changes_prefix(service_id svc); // svc(4) 'C'
// The bytes are files (storage/file_store.hpp), named in the instance record.

// ---- encoding helpers -----------------------------------------------------
void append_u16(std::string& out, std::uint16_t v);
void append_u32(std::string& out, std::uint32_t v);
void append_u64(std::string& out, std::uint64_t v);
/// Signed time stored with its sign bit flipped, so that order holds across 0.
void append_i64(std::string& out, std::int64_t v);
std::uint16_t read_u16(const char* p);
std::uint32_t read_u32(const char* p);
std::uint64_t read_u64(const char* p);
std::int64_t read_i64(const char* p);

/// The smallest key greater than every key that starts with prefix
/// ("" when there is none, i.e. prefix is all 0xff).
std::string prefix_end(std::string_view prefix);

} // namespace keys
} // namespace atrium::storage
