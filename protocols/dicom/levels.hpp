#pragma once
// Which attributes belong to the study and series levels (what a study or
// series record keeps from its latest instance), and which QIDO-RS can
// search and return by default: Azure's v2 conformance lists (and v1's
// defaults), plus the
// counts and ModalitiesInStudy that PS3.18 computes.
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "protocols/dicom/instance.hpp"

namespace atrium::dicom {

enum class level : std::uint8_t { study, series, instance };

struct known_attribute {
  std::string_view keyword;
  dicom::tag tag;
  std::string_view vr;
  dicom::level level;
  bool searchable; // a QIDO match parameter
  bool by_default;    // returned without includefield (v2 defaults)
  bool by_default_v1; // likewise in v1, whose defaults are Azure's v1 lists (more of them)
};

namespace tags {
inline constexpr tag modalities_in_study = 0x00080061;
inline constexpr tag number_of_study_related_series = 0x00201206;
inline constexpr tag number_of_study_related_instances = 0x00201208;
inline constexpr tag number_of_series_related_instances = 0x00201209;
inline constexpr tag retrieve_url = 0x00081190;
} // namespace tags

/// Every attribute of the table, study level first.
std::span<const known_attribute> known_attributes();
/// By keyword ("PatientName") or by 8 hex digits ("00100010").
const known_attribute* find_attribute(std::string_view name);
const known_attribute* find_attribute(dicom::tag t);
/// The 8 uppercase hex digits of a tag, as DICOM JSON keys it.
std::string tag_key(dicom::tag t);
/// The values of a multi-valued text ("CT\\MR"; `separators` may add ',')
/// as views into it; none for "".
std::vector<std::string_view> split_values(std::string_view list, std::string_view separators = "\\");
/// Parses 8 hex digits; nullopt otherwise.
std::optional<dicom::tag> parse_tag(std::string_view hex);

} // namespace atrium::dicom
