#pragma once
// A structural pre-check of a Part 10 stream, before DCMTK reads it.
// DCMTK allocates each element's value as long as its header declares
// (newValueField), before it finds out the bytes are not there: a 739-byte
// STOW part declaring a 2 GB element made it reserve 2 GB. And it reads
// nested sequences recursively, as deep as the input nests them.
#include <cstddef>
#include <string>
#include <string_view>

namespace atrium::dicom {

/// Deeper nesting of sequences is refused: real instances nest a handful
/// of levels; recursion depth must not be the client's choice.
inline constexpr int max_sequence_depth = 64;

/// A deflated dataset inflating beyond this is refused (a deflate bomb).
inline constexpr std::size_t max_inflated_size = std::size_t{1} << 28;

/// Why DCMTK must not read `bytes` (a length beyond the bytes left, nesting
/// beyond max_sequence_depth, a VR PS3.5 does not define, an item where none
/// belongs, a file meta without a transfer syntax or at odds with its group
/// length), or "" if nothing is
/// wrong as far as the walk could tell. A deflated dataset is inflated and
/// walked. A truncated last header is left to DCMTK: it allocates nothing.
std::string part10_limit_problem(std::string_view bytes);

} // namespace atrium::dicom
