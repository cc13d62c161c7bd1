#include "protocols/dicom/levels.hpp"

#include <array>
#include <charconv>

namespace atrium::dicom {

namespace {

using L = level;
// keyword, tag, VR, level, searchable, returned by default in v2, in v1
constexpr std::array table{
  known_attribute{"StudyInstanceUID", 0x0020000D, "UI", L::study, true, true, true},
  known_attribute{"PatientName", 0x00100010, "PN", L::study, true, true, true},
  known_attribute{"PatientID", 0x00100020, "LO", L::study, true, true, true},
  known_attribute{"PatientBirthDate", 0x00100030, "DA", L::study, true, true, true},
  known_attribute{"AccessionNumber", 0x00080050, "SH", L::study, true, true, true},
  known_attribute{"ReferringPhysicianName", 0x00080090, "PN", L::study, true, true, true},
  known_attribute{"StudyDate", 0x00080020, "DA", L::study, true, true, true},
  known_attribute{"StudyDescription", 0x00081030, "LO", L::study, true, true, false},
  known_attribute{"ModalitiesInStudy", 0x00080061, "CS", L::study, true, false, false},
  known_attribute{"SpecificCharacterSet", 0x00080005, "CS", L::study, false, false, true},
  known_attribute{"StudyTime", 0x00080030, "TM", L::study, false, false, true},
  known_attribute{"TimezoneOffsetFromUTC", 0x00080201, "SH", L::study, false, false, true},
  known_attribute{"AnatomicRegionsInStudyCodeSequence", 0x00082218, "SQ", L::study, false, false, false},
  known_attribute{"ProcedureCodeSequence", 0x00081032, "SQ", L::study, false, false, false},
  known_attribute{"NameOfPhysiciansReadingStudy", 0x00081060, "PN", L::study, false, false, false},
  known_attribute{"AdmittingDiagnosesDescription", 0x00081080, "LO", L::study, false, false, false},
  known_attribute{"ReferencedStudySequence", 0x00081110, "SQ", L::study, false, false, false},
  known_attribute{"PatientAge", 0x00101010, "AS", L::study, false, false, false},
  known_attribute{"PatientSize", 0x00101020, "DS", L::study, false, false, false},
  known_attribute{"PatientWeight", 0x00101030, "DS", L::study, false, false, false},
  known_attribute{"Occupation", 0x00102180, "SH", L::study, false, false, false},
  known_attribute{"AdditionalPatientHistory", 0x001021B0, "LT", L::study, false, false, false},
  known_attribute{"PatientSex", 0x00100040, "CS", L::study, false, false, true},
  known_attribute{"StudyID", 0x00200010, "SH", L::study, false, false, true},
  known_attribute{"NumberOfStudyRelatedSeries", 0x00201206, "IS", L::study, false, false, false},
  known_attribute{"NumberOfStudyRelatedInstances", 0x00201208, "IS", L::study, false, false, false},
  known_attribute{"SeriesInstanceUID", 0x0020000E, "UI", L::series, true, true, true},
  known_attribute{"Modality", 0x00080060, "CS", L::series, true, true, true},
  known_attribute{"PerformedProcedureStepStartDate", 0x00400244, "DA", L::series, true, true, true},
  known_attribute{"ManufacturerModelName", 0x00081090, "LO", L::series, true, true, false},
  known_attribute{"SeriesNumber", 0x00200011, "IS", L::series, false, false, false},
  known_attribute{"Laterality", 0x00200060, "CS", L::series, false, false, false},
  known_attribute{"SeriesDate", 0x00080021, "DA", L::series, false, false, false},
  known_attribute{"SeriesTime", 0x00080031, "TM", L::series, false, false, false},
  known_attribute{"SeriesDescription", 0x0008103E, "LO", L::series, false, false, true},
  known_attribute{"PerformedProcedureStepStartTime", 0x00400245, "TM", L::series, false, false, true},
  known_attribute{"RequestAttributesSequence", 0x00400275, "SQ", L::series, false, false, true},
  known_attribute{"NumberOfSeriesRelatedInstances", 0x00201209, "IS", L::series, false, false, false},
  known_attribute{"SOPInstanceUID", 0x00080018, "UI", L::instance, true, true, true},
  known_attribute{"SOPClassUID", 0x00080016, "UI", L::instance, false, false, true},
  known_attribute{"InstanceAvailability", 0x00080056, "CS", L::instance, false, false, true},
  known_attribute{"InstanceNumber", 0x00200013, "IS", L::instance, false, false, true},
  known_attribute{"Rows", 0x00280010, "US", L::instance, false, false, true},
  known_attribute{"Columns", 0x00280011, "US", L::instance, false, false, true},
  known_attribute{"BitsAllocated", 0x00280100, "US", L::instance, false, false, true},
  known_attribute{"NumberOfFrames", 0x00280008, "IS", L::instance, false, false, true},
};

} // namespace

std::span<const known_attribute> known_attributes() { return table; }

std::optional<dicom::tag> parse_tag(std::string_view hex) {
  if (hex.size() != 8)
    return std::nullopt;
  dicom::tag t = 0;
  auto [p, ec] = std::from_chars(hex.data(), hex.data() + 8, t, 16);
  if (ec != std::errc{} || p != hex.data() + 8)
    return std::nullopt;
  return t;
}

const known_attribute* find_attribute(dicom::tag t) {
  for (auto& a : table)
    if (a.tag == t)
      return &a;
  return nullptr;
}

const known_attribute* find_attribute(std::string_view name) {
  if (auto t = parse_tag(name))
    return find_attribute(*t);
  for (auto& a : table)
    if (a.keyword == name)
      return &a;
  return nullptr;
}

std::vector<std::string_view> split_values(std::string_view list, std::string_view separators) {
  std::vector<std::string_view> out;
  while (!list.empty()) {
    auto cut = list.find_first_of(separators);
    out.push_back(list.substr(0, cut));
    list = cut == std::string_view::npos ? std::string_view{} : list.substr(cut + 1);
  }
  return out;
}

std::string tag_key(dicom::tag t) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i, t >>= 4)
    out[static_cast<std::size_t>(i)] = hex[t & 0xf];
  return out;
}

} // namespace atrium::dicom
