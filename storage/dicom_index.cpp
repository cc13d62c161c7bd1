#include "storage/dicom_index.hpp"

#include <algorithm>

#include "protocols/dicom/levels.hpp"
#include "protocols/dicom/qido.hpp"
#include "protocols/fhir/search/extract.hpp"

namespace atrium::storage {

namespace {
constexpr std::uint32_t indexed[] = {dicom::tags::patient_id, dicom::tags::patient_name,
                                     dicom::tags::patient_birth_date, dicom::tags::accession_number,
                                     dicom::tags::study_date, dicom::tags::modalities_in_study};
}

bool dicom_indexed(std::uint32_t tag) noexcept {
  return std::find(std::begin(indexed), std::end(indexed), tag) != std::end(indexed);
}

std::string dicom_index_value(std::string_view value) {
  std::string out = fhir::search::fold_latin(value);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
    else if (c == '\0')
      c = ' '; // 0x00 ends the value in the key
  return out;
}

std::vector<std::string> dicom_index_keys(service_id svc, std::string_view study,
                                          const dicom_group_record& record) {
  std::vector<std::string> keys;
  for (auto& a : dicom::parse_dataset(record.attributes)) {
    if (!dicom_indexed(a.tag) || a.tag == dicom::tags::modalities_in_study)
      continue;
    auto text = dicom::first_value_text(a);
    if (!text.empty())
      keys.push_back(keys::dicom_index(svc, a.tag, dicom_index_value(text), study));
  }
  for (auto m : dicom::split_values(record.modalities))
    if (!m.empty())
      keys.push_back(keys::dicom_index(svc, dicom::tags::modalities_in_study, dicom_index_value(m), study));
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

} // namespace atrium::storage
