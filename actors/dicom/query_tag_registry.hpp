#pragma once
// Each DICOM service's extended query tags and their re-index operations,
// persisted in the meta column ("Q" and "O" keys) and cached. Thread-safe:
// the edge's pool threads change them, study partitions read them on every
// store (to keep those attributes in the study and series records).
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "protocols/common/status.hpp"
#include "protocols/dicom/query_tags.hpp"

namespace atrium::storage { class store; }

namespace atrium::actors {

class query_tag_registry {
public:
  explicit query_tag_registry(storage::store& db) : db_(db) {}

  /// The service's tags, ready or being added.
  std::vector<dicom::query_tag> of(std::uint32_t service);
  /// Adds tags (not ready yet) under operation `operation`: errc::conflict
  /// when one exists, errc::invalid beyond max_query_tags.
  status add(std::uint32_t service, std::vector<dicom::query_tag> tags);
  /// errc::not_found when the service has no such tag.
  status remove(std::uint32_t service, dicom::tag tag);
  /// The tags of `operation` become searchable.
  status ready(std::uint32_t service, const std::string& operation);

  /// An operation's status document, as stored; nullopt when unknown.
  std::optional<std::string> operation(std::uint32_t service, const std::string& id);
  status set_operation(std::uint32_t service, const std::string& id, const std::string& json);

private:
  std::vector<dicom::query_tag>& load(std::uint32_t service); // mutex held
  status persist(std::uint32_t service, const std::vector<dicom::query_tag>& changed,
                 const std::vector<dicom::tag>& removed);

  storage::store& db_;
  std::mutex mutex_;
  std::map<std::uint32_t, std::vector<dicom::query_tag>> cache_;
};

} // namespace atrium::actors
