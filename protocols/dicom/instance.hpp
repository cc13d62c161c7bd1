#pragma once
// A DICOM Part 10 instance as STOW-RS receives it: parsed from memory with
// DCMTK (only in instance.cpp: DCMTK's headers are heavy), checked the way
// Azure's v2 conformance checks it, and turned into what the DICOM service
// stores besides the bytes: the identifying UIDs and the DICOM JSON of every
// top-level attribute that is not bulk data.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace atrium::dicom {

/// group << 16 | element, e.g. 0x0020000D for StudyInstanceUID.
using tag = std::uint32_t;

struct query_tag; // protocols/dicom/query_tags.hpp

namespace tags {
inline constexpr tag specific_character_set = 0x00080005;
inline constexpr tag sop_class_uid = 0x00080016;
inline constexpr tag sop_instance_uid = 0x00080018;
inline constexpr tag study_date = 0x00080020;
inline constexpr tag study_time = 0x00080030;
inline constexpr tag timezone_offset_from_utc = 0x00080201;
inline constexpr tag accession_number = 0x00080050;
inline constexpr tag modality = 0x00080060;
inline constexpr tag referring_physician_name = 0x00080090;
inline constexpr tag study_description = 0x00081030;
inline constexpr tag series_description = 0x0008103E;
inline constexpr tag manufacturer_model_name = 0x00081090;
inline constexpr tag patient_name = 0x00100010;
inline constexpr tag patient_id = 0x00100020;
inline constexpr tag patient_birth_date = 0x00100030;
inline constexpr tag patient_sex = 0x00100040;
inline constexpr tag study_instance_uid = 0x0020000D;
inline constexpr tag series_instance_uid = 0x0020000E;
inline constexpr tag study_id = 0x00200010;
inline constexpr tag series_number = 0x00200011;
inline constexpr tag instance_number = 0x00200013;
inline constexpr tag number_of_frames = 0x00280008;
inline constexpr tag rows = 0x00280010;
inline constexpr tag columns = 0x00280011;
inline constexpr tag bits_allocated = 0x00280100;
inline constexpr tag performed_procedure_step_start_date = 0x00400244;
inline constexpr tag pixel_data = 0x7FE00010;
} // namespace tags

/// One top-level attribute: its tag and its DICOM JSON value object
/// (PS3.18 F.2), e.g. {"vr":"PN","Value":[{"Alphabetic":"Doe^John"}]}, in
/// UTF-8. An empty attribute is {"vr":"DA"}.
struct attribute {
  dicom::tag tag = 0;
  std::string vr;   // "PN", "UI", ...
  std::string json; // the value object, without the "ggggeeee": key
};

/// Why an instance was refused: a STOW FailureReason (0008,1197) and a
/// sentence for people.
struct failure {
  std::uint16_t reason = 272; // 272 processing failure, 43264 validation failed
  std::string message;
  /// 43264: the instance's SOP class and instance UIDs, where valid (Azure
  /// names a refused instance when it could read it).
  std::string sop_class_uid, sop_uid;
};

struct instance {
  std::string study_uid;
  std::string series_uid;
  std::string sop_uid;
  std::string sop_class_uid;
  std::string transfer_syntax; // (0002,0010) as the file meta states it
  std::uint32_t frames = 0;    // NumberOfFrames, 1 for single-frame images, 0 without pixels
  /// Every top-level attribute of the dataset (not the file meta) in tag
  /// order, except those of VR OB, OD, OF, OL, OV, OW and UN (Azure leaves
  /// bulk VRs out of metadata) and sequences' nested bulk data likewise.
  std::vector<attribute> attributes;
  /// Non-required attributes whose value does not validate against its VR
  /// (v2 stores the instance with WarningReason 1 and lists them), e.g.
  /// "(0008,0020) - Content \"NotAValidDate\" does not validate VR DA".
  std::vector<std::string> warnings;
};

/// Which attributes STOW checks against their VR, as Azure does: v1 the
/// searchable ones (a malformed one refuses the instance); v2 also every
/// other, in sequences too, by Azure's minimum rules (lengths of AE, AS, CS,
/// SH, LO, PN; UIDs; DCMTK's checks of DA, DT, IS, TM, PN; binary numbers
/// whole), a malformed one a warning that leaves the metadata.
enum class vr_checks : std::uint8_t { searchable, every };

/// Parses a Part 10 stream (128-byte preamble, "DICM", file meta, dataset)
/// held in memory. Refuses with 43264 what lacks a valid StudyInstanceUID,
/// SeriesInstanceUID, SOPInstanceUID or SOPClassUID (1-64 characters of
/// [0-9A-Za-z.-]), with 272 what DCMTK cannot parse. Converts text to UTF-8
/// (SpecificCharacterSet) before rendering JSON. Never throws, never aborts.
///
/// With `file_path`, the path of a file holding exactly `bytes` (mapped
/// rather than read into memory, say), DCMTK reads the file and leaves values
/// over 64 KiB unloaded: an instance of any size parses in little memory.
/// `also_checked`: a service's extended query tags, validated like the
/// searchable attributes (a private one in its creator's block), a
/// malformed value a warning. `checks`: which others are checked.
std::variant<instance, failure> parse_instance(std::string_view bytes,
                                               const char* file_path = nullptr,
                                               std::span<const query_tag> also_checked = {},
                                               vr_checks checks = vr_checks::searchable);

/// The STOW WarningReason (0008,1196) of a stored instance: 45063 ("data
/// set does not match SOP class") when it is encoded in Implicit VR Little
/// Endian, which Azure's service stores with that warning (its DICOM
/// conformance lists only explicit VR syntaxes); 1 when attributes failed
/// their VR (`warnings`, still listed in FailedAttributesSequence); 0 when
/// neither. One value per instance: 45063 when both apply.
std::uint16_t stow_warning_reason(const instance& inst) noexcept;

/// Whether `uid` is 1-64 characters of [0-9A-Za-z.-] (Azure's rule).
bool is_valid_uid(std::string_view uid) noexcept;

/// The tag DICOM's data dictionary gives a keyword ("StationName" →
/// 00081010); nullopt for a name it does not know.
std::optional<tag> dictionary_tag(std::string_view keyword);
/// A tag by 8 hex digits ("00100010") or by keyword: QIDO's attributes,
/// then the data dictionary; nullopt for anything else.
std::optional<tag> tag_named(std::string_view name);
/// The VR the data dictionary gives a tag ("DS"); nullopt for a tag it
/// does not know or gives several VRs.
std::optional<std::string> dictionary_vr(tag t);

/// {"00080016":{...},"00080018":{...},...}: the DICOM JSON dataset of
/// attributes (as WADO-RS metadata and QIDO-RS answer it).
std::string dataset_json(const std::vector<attribute>& attributes);

/// The attribute's first value as text for matching: a string's value, a
/// PN's Alphabetic group, a number's decimal text; "" when it has none.
std::string first_value_text(const attribute& a);

/// What is wrong with the attribute's first value (the one an extended
/// query tag indexes) for VR `vr`, worded like STOW's warnings:
/// "(0010,1010) - Content \"…\" does not validate VR AS";
/// nullopt when it is valid or there is none. Numbers are valid as stored
/// (DICOM JSON has them only where the text was one).
std::optional<std::string> value_problem(const attribute& a, std::string_view vr);

} // namespace atrium::dicom
