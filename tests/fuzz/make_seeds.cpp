// Writes a few generated Part 10 files (tools/dicomgen) into a folder, as
// seeds for fuzz_part10: our own bytes, unlike the public samples.
#include <cstdio>
#include <fstream>
#include <string>

#include "tools/dicomgen/dicom_files.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus-dir>\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  int n = 0;
  for (auto ts : {"1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.5"}) {
    for (int frames : {1, 2}) {
      atrium::dicomgen::dicom_spec s;
      s.study_uid = "1.2.3";
      s.series_uid = "1.2.3.4";
      s.sop_uid = "1.2.3.4." + std::to_string(++n);
      s.transfer_syntax = ts;
      s.frames = frames;
      s.rows = s.columns = 4; // small pixels: the fuzzer mutates the header, not the image
      if (n == 2) {
        s.study_date = "NotAValidDate";
        s.patient_name = "Müller^Jörg";
      }
      std::ofstream{dir + "/gen-" + std::to_string(n) + ".dcm", std::ios::binary}
          << atrium::dicomgen::make_dicom(s);
    }
  }
  return 0;
}
