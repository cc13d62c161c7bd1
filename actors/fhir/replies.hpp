#pragma once
// Building replies, and the history scans shared by partitions (instance
// level) and service actors (type and system level).
#include <optional>

#include "actors/messages.hpp"

namespace caf { class error; }
namespace atrium::storage { class store; }

namespace atrium::actors {

fhir_reply error_reply(errc code, std::string message, std::string where = {});
/// 410 for a deleted resource; the deletion's record supplies the ETag.
fhir_reply gone_reply(std::string message, storage::resource_record deletion);
/// A timeout or a dead actor, as a reply the edge can answer with.
fhir_reply transport_error_reply(const caf::error& err);
reply_status transport_status(const caf::error& err);

/// read and vread: the stored record, 404, or 410 for a deletion. They need
/// nothing of the partition (a write is acknowledged only once it is in the
/// store), so the edge serves local ones on its own thread.
fhir_reply read_current(const storage::store& db, std::uint32_t svc, std::uint16_t type,
                        std::string_view id);
fhir_reply read_version(const storage::store& db, std::uint32_t svc, std::uint16_t type,
                        std::string_view id, std::uint64_t version);

/// Versions of one resource, newest first, paged by version.
fhir_reply instance_history(const storage::store& db, std::uint32_t svc,
                            std::uint16_t type, const fhir_request& req);

/// Versions of all resources of one type (or of the whole service when type
/// is empty), newest first, paged by position in the change log.
fhir_reply changes_history(const storage::store& db, std::uint32_t svc,
                           std::optional<std::uint16_t> type,
                           const fhir_request& req);

} // namespace atrium::actors
