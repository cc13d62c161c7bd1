#pragma once
// One frame to and from a JPEG 2000 codestream with OpenJPEG, for
// pixels.cpp (DCMTK 3.6.7 has no JPEG 2000 codec). Internal to
// atrium_protocols: no OpenJPEG type crosses this header.
#include "protocols/dicom/pixels.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace atrium::dicom::j2k {

/// How a native frame is laid out: samples interleaved (planar
/// configuration 0), each in a little-endian container of bits_allocated
/// (8 or 16) holding bits_stored bits.
struct layout {
  std::uint32_t rows = 0;
  std::uint32_t columns = 0;
  std::uint16_t samples = 1;
  std::uint16_t bits_allocated = 8;
  std::uint16_t bits_stored = 8;
  bool is_signed = false;
};

/// A native frame as a raw J2K codestream (no JP2 wrapper: DICOM wants the
/// bare codestream), reversible 5/3 wavelet, so nothing is lost.
/// `colour_transform` applies the reversible component transform (RGB
/// stored as YBR_RCT).
std::variant<std::string, pixel_error> encode(std::string_view frame, const layout& l,
                                              bool colour_transform);

/// A decoded frame.
struct decoded {
  std::string pixels;
  /// The codestream had a component transform: the pixels are RGB now.
  bool colour_transformed = false;
};

/// A codestream (or a JP2 file, which some writers put in DICOM) as a native
/// frame of layout `l`; 406 when the codestream does not match `l`.
std::variant<decoded, pixel_error> decode(std::string_view codestream, const layout& l);

} // namespace atrium::dicom::j2k
