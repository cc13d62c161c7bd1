#pragma once
// DICOM studies as FHIR R4 resources, after Azure's DICOM cast mapping:
// Patient (identifier from PatientID, name, gender, birthDate), ImagingStudy
// (identifier urn:dicom:uid urn:oid:<StudyInstanceUID> and the accession
// number, series and instances, modalities, started, description) and the
// Endpoint of the DICOMweb service. Resource ids are derived from the UIDs,
// so mirroring the same study twice updates, never duplicates.
#include <string>
#include <string_view>
#include <vector>

#include "protocols/dicom/instance.hpp"

namespace atrium::dicom {

struct mirrored_instance {
  std::string series_uid, sop_uid, sop_class_uid;
  std::vector<attribute> dataset; // its DICOM JSON attributes
};

/// One study as the mirror sees it now: its instances (none: deleted).
struct mirrored_study {
  std::string study_uid;
  std::vector<mirrored_instance> instances;
};

/// A FHIR id for `key` of a kind ("Patient", "ImagingStudy", "Endpoint"):
/// "dicom-" and 16 hex digits of a stable hash.
std::string fhir_id_for(std::string_view kind, std::string_view key);

/// A transaction Bundle that makes the FHIR service reflect `studies`: PUT
/// of each existing study's Patient and ImagingStudy, a conditional DELETE of
/// the ImagingStudy of a study that is gone (by its identifier), and PUT of the Endpoint named
/// `endpoint_key` at `endpoint_address`.
std::string mirror_bundle(const std::vector<mirrored_study>& studies, std::string_view endpoint_key,
                          std::string_view endpoint_address);

} // namespace atrium::dicom
