#include "dicom_load.hpp"

#include <cstdio>
#include <stdexcept>

#include "tools/dicomgen/dicom_files.hpp"

namespace atrium::bench {

namespace {

constexpr int series_size = 20;
constexpr std::string_view uid_root = "1.2.826.0.1.3680043.10.77.";

/// kind.9 then 19 digits: a fixed width, and no leading zero in the component.
std::string uid(int kind, std::uint64_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*s%d.9%019llu", static_cast<int>(uid_root.size()),
                uid_root.data(), kind, static_cast<unsigned long long>(n));
  return buf;
}

std::string patient(std::uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "P%015llu", static_cast<unsigned long long>(n % 1'000'000'000'000'000ull));
  return buf;
}

const dicom_ids placeholder{uid(1, 0), uid(2, 0), uid(3, 0), patient(0)};

} // namespace

dicom_ids dicom_ids_for(std::uint64_t run, std::uint64_t connection, std::uint64_t n) {
  // run (5 digits) | connection (4) | instance (10): unique within 19 digits.
  const auto base = (run % 100'000) * 100'000'000'000'000ull + (connection % 10'000) * 10'000'000'000ull;
  const auto series = base + n / series_size;
  return {uid(1, series), uid(2, series), uid(3, base + n), patient(series)};
}

dicom_template::dicom_template() {
  dicomgen::dicom_spec s;
  s.study_uid = placeholder.study;
  s.series_uid = placeholder.series;
  s.sop_uid = placeholder.sop;
  s.patient_id = placeholder.patient;
  s.rows = 512;
  s.columns = 512;
  bytes_ = dicomgen::make_dicom(s);
  const std::string* fields[] = {&placeholder.study, &placeholder.series, &placeholder.sop,
                                 &placeholder.patient};
  for (int f = 0; f < 4; ++f)
    for (auto at = bytes_.find(*fields[f]); at != std::string::npos;
         at = bytes_.find(*fields[f], at + 1))
      spots_.push_back({at, f});
  // The study and series UIDs must not be prefixes of each other's spots.
  if (spots_.size() < 4)
    throw std::runtime_error("the DICOM template lacks its placeholder ids");
}

void dicom_template::write_ids(std::string& into, std::size_t at, const dicom_ids& ids) const {
  const std::string* fields[] = {&ids.study, &ids.series, &ids.sop, &ids.patient};
  for (auto& s : spots_)
    into.replace(at + s.at, fields[s.field]->size(), *fields[s.field]);
}

} // namespace atrium::bench
