#pragma once
// Extended query tags (Azure's DICOM service): attributes a client makes
// searchable beyond the built-in QIDO set, at the study, series or instance
// level. Their JSON forms, parsed and rendered here; the registry and the
// re-index job are actors/dicom/query_tags.*.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/status.hpp"
#include "protocols/dicom/levels.hpp"

namespace atrium::dicom {

struct attribute; // protocols/dicom/instance.hpp

struct query_tag {
  dicom::tag tag = 0;
  std::string vr;          // one of Azure's indexable VRs
  dicom::level level = dicom::level::study;
  bool ready = false;      // false while its re-index job runs ("Adding")
  std::string operation;   // the job that added it
  /// QueryStatus: a re-index job that met values failing the VR disables
  /// queries on the tag; a PATCH enables them again.
  bool query_enabled = true;
  /// The re-index job checks the values of instances whose change-feed
  /// sequence is below this: those stored before the tag was added. Later
  /// ones were checked by their STOW (a warning, as for any query tag).
  std::uint64_t validate_below = UINT64_MAX;
  /// A private tag's creator, the value of the (gggg,00xx) element that
  /// reserves its block in a file; empty for a standard tag.
  std::string private_creator;
};

/// Whether `t` is in a private (odd) group.
constexpr bool is_private(tag t) noexcept { return (t >> 16) % 2 == 1; }

/// At most this many per service (Azure's limit).
inline constexpr std::size_t max_query_tags = 128;

/// A POST body: [{"Path":"00101010","VR":"AS","Level":"Study"},…]. Path is
/// 8 hex digits or a keyword of the data dictionary; VR, if given, the
/// dictionary's for the tag (taken from it when left out), and one of AE
/// AS CS DA DS DT FD FL IS LO PN SH SL SS TM UI UL US;
/// Level Study, Series or Instance; no attribute QIDO already searches. A
/// private data element (odd group) needs its VR and "PrivateCreator".
/// errc::invalid names the problem.
result<std::vector<query_tag>> parse_query_tags(std::string_view body);

/// {"Path":"00101010","VR":"AS","Level":"Study","Status":"Ready",
///  "QueryStatus":"Enabled"}, with "Errors":{"Count":n,"Href":errors_url}
/// when its re-index met `errors` values that fail the VR (Azure's form).
std::string query_tag_json(const query_tag& t, std::uint64_t errors = 0,
                           std::string_view errors_url = {});
/// The stored form (query_tag_json plus the operation), and back.
std::string encode(const query_tag& t);
result<query_tag> decode_query_tag(std::string_view json);

/// The attribute of `attrs` that `t` names: the one of its tag, or for a
/// private tag the element of its low byte in the block its creator
/// reserved in this dataset; nullptr when there is none.
const attribute* find_tag_value(const std::vector<attribute>& attrs, const query_tag& t);

/// "Study", "Series", "Instance".
const char* level_name(dicom::level l) noexcept;

} // namespace atrium::dicom
