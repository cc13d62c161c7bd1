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
  /// errc::not_found when the service has no such tag. Its error records
  /// go with it.
  status remove(std::uint32_t service, dicom::tag tag);
  /// The tags of `operation` become searchable; those whose re-index met
  /// values failing their VR (error records) with queries disabled.
  status ready(std::uint32_t service, const std::string& operation);
  /// QueryStatus Enabled or Disabled; errc::not_found without such a tag.
  status set_query_enabled(std::uint32_t service, dicom::tag tag, bool enabled);

  /// A value of an extended query tag that failed its VR in one instance,
  /// as a re-index job found it.
  struct tag_error {
    std::string study, series, sop;
    std::string json; // {"CreatedTime":…,"ErrorMessage":…}
  };
  /// How many error records `tag` has (reads that tag's only).
  std::uint64_t error_count(std::uint32_t service, dicom::tag tag);
  /// Whether `tag` has any error record (one seek).
  bool has_errors(std::uint32_t service, dicom::tag tag);
  /// `tag`'s error records from the `offset`-th, at most `limit`, in UID order.
  std::vector<tag_error> errors(std::uint32_t service, dicom::tag tag, std::size_t offset,
                                std::size_t limit);

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
