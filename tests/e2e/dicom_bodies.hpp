#pragma once
// STOW-RS request bodies for the DICOM end-to-end tests.
#include <string>
#include <utility>
#include <vector>

#include "protocols/dicom/multipart.hpp"

namespace e2e {

/// A multipart/related STOW body of `files`: {Content-Type, body}.
inline std::pair<std::string, std::string> stow_body(const std::vector<std::string>& files) {
  atrium::dicom::multipart_writer w;
  for (auto& f : files)
    w.add("application/dicom", f);
  auto type = "multipart/related; type=\"application/dicom\"; boundary=" + w.boundary();
  return {type, w.finish()};
}

} // namespace e2e
