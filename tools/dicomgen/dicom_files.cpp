#include "tools/dicomgen/dicom_files.hpp"

#include <mutex>
#include <stdexcept>
#include <vector>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmdata/dctk.h>

namespace atrium::dicomgen {

namespace {

void put(DcmItem& ds, const DcmTagKey& key, const std::string& value) {
  if (!value.empty())
    ds.putAndInsertString(key, value.c_str());
}

} // namespace

std::string make_dicom(const dicom_spec& s) {
  static std::once_flag codecs;
  std::call_once(codecs, [] {
    DcmRLEEncoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  });
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  put(ds, DCM_SpecificCharacterSet, "ISO_IR 192");
  put(ds, DCM_SOPClassUID, s.sop_class_uid);
  put(ds, DCM_SOPInstanceUID, s.sop_uid);
  put(ds, DCM_StudyDate, s.study_date);
  put(ds, DCM_StudyTime, s.study_time);
  put(ds, DCM_AccessionNumber, s.accession_number);
  put(ds, DCM_Modality, s.modality);
  put(ds, DCM_ReferringPhysicianName, s.referring_physician_name);
  put(ds, DCM_StudyDescription, s.study_description);
  put(ds, DCM_SeriesDescription, s.series_description);
  put(ds, DCM_PatientName, s.patient_name);
  put(ds, DCM_PatientID, s.patient_id);
  put(ds, DCM_PatientBirthDate, s.patient_birth_date);
  put(ds, DCM_PatientSex, "O");
  put(ds, DCM_StudyInstanceUID, s.study_uid);
  put(ds, DCM_SeriesInstanceUID, s.series_uid);
  put(ds, DCM_StudyID, "1");
  put(ds, DCM_SeriesNumber, std::to_string(s.series_number));
  put(ds, DCM_InstanceNumber, std::to_string(s.instance_number));
  for (const auto& [tag, value] : s.extra) {
    const DcmTagKey key(static_cast<Uint16>(tag >> 16), static_cast<Uint16>(tag & 0xffff));
    if (key.isPrivate()) // no dictionary knows it: written as LO
      ds.putAndInsertString(DcmTag(key, DcmVR(EVR_LO)), value.c_str());
    else if (value.empty()) // present without a value
      ds.insertEmptyElement(DcmTag(key));
    else
      put(ds, key, value);
  }
  ds.putAndInsertUint16(DCM_SamplesPerPixel, 1);
  put(ds, DCM_PhotometricInterpretation, "MONOCHROME2");
  if (s.frames > 1)
    put(ds, DCM_NumberOfFrames, std::to_string(s.frames));
  ds.putAndInsertUint16(DCM_Rows, static_cast<Uint16>(s.rows));
  ds.putAndInsertUint16(DCM_Columns, static_cast<Uint16>(s.columns));
  ds.putAndInsertUint16(DCM_BitsAllocated, 16);
  ds.putAndInsertUint16(DCM_BitsStored, 12);
  ds.putAndInsertUint16(DCM_HighBit, 11);
  ds.putAndInsertUint16(DCM_PixelRepresentation, 0);
  put(ds, DCM_WindowCenter, "1024");
  put(ds, DCM_WindowWidth, "2048");
  // A pattern that differs per pixel and frame, within 12 bits.
  std::vector<Uint16> pixels(static_cast<std::size_t>(s.rows) * s.columns * std::max(1, s.frames));
  for (std::size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = static_cast<Uint16>((i * 7 + i / s.columns * 13) & 0x0fff);
  ds.putAndInsertUint16Array(DCM_PixelData, pixels.data(), static_cast<unsigned long>(pixels.size()));

  const E_TransferSyntax xfer = DcmXfer(s.transfer_syntax.c_str()).getXfer();
  if (xfer == EXS_Unknown)
    throw std::runtime_error("make_dicom: unknown transfer syntax " + s.transfer_syntax);
  if (ds.chooseRepresentation(xfer, nullptr).bad() || !ds.canWriteXfer(xfer))
    throw std::runtime_error("make_dicom: cannot encode in " + s.transfer_syntax);
  // The stream writes into a fixed buffer and asks to be emptied when full.
  std::vector<char> buffer(4u << 20);
  DcmOutputBufferStream out(buffer.data(), buffer.size());
  std::string bytes;
  auto drain = [&] {
    void* data = nullptr;
    offile_off_t length = 0;
    out.flushBuffer(data, length);
    bytes.append(static_cast<const char*>(data), static_cast<std::size_t>(length));
  };
  file.transferInit();
  OFCondition cond;
  while ((cond = file.write(out, xfer, EET_ExplicitLength, nullptr, EGL_recalcGL,
                            EPD_withoutPadding)) == EC_StreamNotifyClient)
    drain();
  file.transferEnd();
  if (cond.bad())
    throw std::runtime_error(std::string{"make_dicom: "} + cond.text());
  out.flush();
  drain();
  return bytes;
}

} // namespace atrium::dicomgen
