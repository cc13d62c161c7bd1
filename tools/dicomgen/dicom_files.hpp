#pragma once
// Real DICOM Part 10 files made in memory with DCMTK, for tests and the
// benchmarks (neither may assume sample files): a CT-like instance with the
// attributes DICOMweb searches and deterministic 16-bit pixels.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace atrium::dicomgen {

struct dicom_spec {
  std::string study_uid, series_uid, sop_uid; // an empty UID is left out
  std::string sop_class_uid = "1.2.840.10008.5.1.4.1.1.2"; // CT Image Storage
  std::string patient_id = "PAT-1";
  std::string patient_name = "Doe^John";
  std::string patient_birth_date = "19700101";
  std::string study_date = "20240115";
  std::string study_time = "101500";
  std::string accession_number = "ACC-1";
  std::string study_description = "CT CHEST";
  std::string series_description = "AXIAL";
  std::string modality = "CT";
  std::string referring_physician_name = "Smith^Jane";
  int series_number = 1;
  int instance_number = 1;
  int rows = 16;
  int columns = 16;
  int frames = 1; // NumberOfFrames is written when > 1
  /// Explicit VR little endian; implicit (1.2.840.10008.1.2) and RLE
  /// (1.2.840.10008.1.2.5, encoded with DCMTK) also work.
  std::string transfer_syntax = "1.2.840.10008.1.2.1";
  /// More attributes, each (group << 16 | element, value as text) with its
  /// dictionary VR (LO for private ones, creators included); written as
  /// given, malformed or not, and an empty value as an empty element.
  std::vector<std::pair<std::uint32_t, std::string>> extra;
};

/// The file's bytes: preamble, "DICM", file meta, dataset. Throws
/// std::runtime_error if DCMTK cannot write it.
std::string make_dicom(const dicom_spec& spec);

} // namespace atrium::dicomgen
