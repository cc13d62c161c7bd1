#pragma once
// A $reindex job as it is persisted (so that it resumes after a restart) and
// as its status URL reports it. A job activates a set of custom
// SearchParameters: it re-extracts the index entries of every resource of the
// types those parameters (and the ones they replace) apply to; when it
// completes, searches start using the new set.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/status.hpp"

namespace atrium::fhir {

struct reindex_job {
  enum class state : std::uint8_t { running, completed, failed };

  std::string id;
  state status = state::running;
  std::int64_t queued_micros = 0;
  std::int64_t ended_micros = 0; // 0 while running
  std::vector<std::string> types; // resource types to re-index, in order
  std::uint32_t type_index = 0;   // types[type_index] is in progress
  std::string after_id;           // the last id of that type done ("" = none yet)
  /// The type's last id when the job reached it ("" = none, or a record of an
  /// older build: to the end). Ids made later sort after it (time-ordered,
  /// protocols/fhir/ids.hpp) and are written by the job's new set already,
  /// so the walk stops there instead of chasing creates.
  std::string until_id;
  std::uint64_t reindexed = 0;    // resources re-indexed so far
  std::vector<std::string> params; // the SearchParameter resources (JSON) it activates
  std::vector<std::string> issues; // SearchParameters left out, and why
  std::string error;               // why it failed
  /// Re-indexes every type because the index layout changed; completing
  /// removes the service's upgrade mark (storage/keyspace.hpp index_upgrade).
  bool upgrade = false;

  bool operator==(const reindex_job&) const = default;
};

const char* reindex_state_name(reindex_job::state s) noexcept; // "Running", …

/// The persisted record (JSON) and back.
std::string encode_reindex_job(const reindex_job& job);
result<reindex_job> decode_reindex_job(std::string_view json);

/// The job's status as the status URL answers it: a Parameters resource.
std::string reindex_status_parameters(const reindex_job& job);

/// A JSON array of JSON texts (each a string literal) and back: how the
/// active custom SearchParameters of a service are persisted.
std::string encode_json_texts(const std::vector<std::string>& texts);
result<std::vector<std::string>> decode_json_texts(std::string_view json);

} // namespace atrium::fhir
