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

result<std::size_t> upgrade_dicom_index(store& db) {
  std::string stored;
  auto s = db.get(column::meta, keys::dicom_index_form(), &stored);
  if (!s && s.code() != errc::not_found)
    return s;
  const std::uint32_t form = s && stored.size() == 4 ? keys::read_u32(stored.data()) : 1;
  if (form > dicom_index_form)
    return status{errc::invalid, "the store's DICOM index has form " + std::to_string(form) +
                                   ", which this build does not know; use a newer build"};
  std::vector<write_op> ops;
  std::size_t changed = 0;
  if (form < dicom_index_form) {
    std::string lower; // each service with DICOM data, then its 'X' and 'E' ranges
    for (auto c = db.scan(column::dicom, lower, ""); c.valid(); c = db.scan(column::dicom, lower, "")) {
      const auto svc = keys::read_u32(c.key().data());
      if (form < 3) {
        const auto errors = keys::dicom_tag_errors_prefix(svc);
        for (auto e = db.scan(column::dicom, errors, keys::prefix_end(errors)); e.valid(); e.next())
          if (auto k = keys::parse_dicom_tag_error(e.key())) {
            put_tag_error(ops, svc, *k, std::string{e.value()}); // both keys: one way to write
            ++changed;
          }
      }
      const auto prefix = keys::dicom_index_prefix(svc, 0).substr(0, 5); // svc 'X'
      for (auto x = db.scan(column::dicom, prefix, keys::prefix_end(prefix));
           form < 2 && x.valid(); x.next()) {
        const auto key = x.key();
        const auto end = key.find('\0', prefix.size() + 4);
        if (end == std::string_view::npos)
          continue;
        const auto value = key.substr(prefix.size() + 4, end - prefix.size() - 4);
        const auto formed = dicom_index_value(value);
        if (formed == value)
          continue;
        ops.push_back({column::dicom, true, false, std::string{key}, {}});
        ops.push_back({column::dicom, false, false,
                       keys::dicom_index(svc, keys::read_u32(key.data() + prefix.size()), formed,
                                         key.substr(end + 1)),
                       {}});
        ++changed;
      }
      lower = keys::service_scope(svc + 1);
    }
  }
  if (form < dicom_index_form) { // the keys and the new form in one batch
    std::string value;
    keys::append_u32(value, dicom_index_form);
    ops.push_back({column::meta, false, false, keys::dicom_index_form(), value});
    if (auto w = db.write(ops, true); !w)
      return w;
  }
  return changed;
}

void put_tag_error(std::vector<write_op>& ops, service_id svc, const keys::dicom_tag_error_key& at,
                   std::string json) {
  ops.push_back({column::dicom, false, false,
                 keys::dicom_tag_error_by_tag(svc, at.tag, at.study, at.series, at.sop), json});
  ops.push_back({column::dicom, false, false,
                 keys::dicom_tag_error(svc, at.study, at.series, at.sop, at.tag), std::move(json)});
}

void erase_tag_error(std::vector<write_op>& ops, service_id svc,
                     const keys::dicom_tag_error_key& at) {
  ops.push_back({column::dicom, true, false,
                 keys::dicom_tag_error_by_tag(svc, at.tag, at.study, at.series, at.sop), {}});
  ops.push_back(
    {column::dicom, true, false, keys::dicom_tag_error(svc, at.study, at.series, at.sop, at.tag), {}});
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
