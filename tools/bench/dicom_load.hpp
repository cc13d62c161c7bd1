// DICOM instances for the DICOMweb scenarios: one 512x512 16-bit CT file made
// once and copied once into each connection's request body, whose UIDs and
// PatientID are then overwritten in place per request (placeholders of the
// same length), so the client spends no time encoding or copying DICOM
// while it measures the server.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace atrium::bench {

/// The identity of one stored instance. Each connection fills series of 20
/// instances, one series per study and one patient per study.
struct dicom_ids {
  std::string study, series, sop, patient;
};

/// The ids of instance `n` sent by connection `connection` in run `run`
/// (UIDs of 1.2.826.0.1.3680043.10.77.{1,2,3}.9… without leading zeros).
dicom_ids dicom_ids_for(std::uint64_t run, std::uint64_t connection, std::uint64_t n);

class dicom_template {
public:
  /// Makes the CT file (DCMTK) with placeholder ids.
  dicom_template();
  /// Writes `ids` over the placeholders of a copy of the file that starts
  /// at `at` of `into`: a request body is made once and then rewritten in
  /// place, so the load generator copies no 512 KiB per request (two copies
  /// into fresh memory took ~12% of the machine's CPU during STOW runs).
  void write_ids(std::string& into, std::size_t at, const dicom_ids& ids) const;
  const std::string& bytes() const { return bytes_; }
  std::size_t size() const { return bytes_.size(); }

private:
  struct spot {
    std::size_t at;
    int field; // 0 study, 1 series, 2 sop, 3 patient
  };
  std::string bytes_;
  std::vector<spot> spots_;
};

} // namespace atrium::bench
