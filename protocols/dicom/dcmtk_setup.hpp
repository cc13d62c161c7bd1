#pragma once
// The process-wide DCMTK settings every DICOM reader of protocols/dicom
// relies on (defined in instance.cpp).

namespace atrium::dicom {

/// Quiet logging, and UN elements read as their dictionary VR. Idempotent;
/// each reader calls it before DCMTK reads.
void configure_dcmtk();

} // namespace atrium::dicom
