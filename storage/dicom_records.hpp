#pragma once
// Values of the dicom column (keyspace.hpp): what is stored about an
// instance, a series and a study besides the bytes, and a change feed entry.
// Binary headers (big-endian numbers) before JSON, so the DICOM JSON is
// served as stored, without parsing.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace atrium::storage {

/// One stored instance. `dataset` is its DICOM JSON object (bulk VRs left
/// out), served as WADO-RS metadata.
struct dicom_instance_record {
  std::uint64_t sequence = 0;     // the change feed entry that stored it
  std::int64_t stored_micros = 0; // when
  std::uint64_t size = 0;         // bytes of the Part 10 file
  std::string file;               // where the bytes are (file_store.hpp)
  std::uint32_t frames = 0;
  std::string transfer_syntax;
  std::string sop_class_uid;
  std::string dataset;
};
std::string encode(const dicom_instance_record& r);
std::optional<dicom_instance_record> decode_dicom_instance(std::string_view bytes);

/// A series or a study: the attributes of its level (and, for a series, of
/// its study) from the instance stored last, and counts kept by its study
/// actor. `modalities` is the study's ModalitiesInStudy, '\\'-separated.
struct dicom_group_record {
  std::uint64_t last_sequence = 0; // of the last change inside: an ETag
  std::uint32_t instances = 0;
  std::uint32_t series = 0; // studies only
  std::string modalities;   // studies only
  std::string attributes;   // DICOM JSON object
};
std::string encode(const dicom_group_record& r);
std::optional<dicom_group_record> decode_dicom_group(std::string_view bytes);

enum class dicom_action : std::uint8_t { create = 1, remove = 2, update = 3 };
const char* to_string(dicom_action a) noexcept; // "create", "delete", "update"

struct dicom_change_record {
  dicom_action action = dicom_action::create;
  std::int64_t micros = 0;
  std::string study, series, sop;
};
std::string encode(const dicom_change_record& r);
std::optional<dicom_change_record> decode_dicom_change(std::string_view bytes);

} // namespace atrium::storage
