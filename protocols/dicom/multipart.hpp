#pragma once
// MIME for DICOMweb: media types with parameters (Content-Type and Accept,
// where `type` and `transfer-syntax` matter), and multipart/related bodies
// (RFC 2046/2387) in both directions. Parts are views into the body: a
// multi-instance STOW body is never copied to be split.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/common/status.hpp"

namespace atrium::dicom {

struct media_type {
  std::string type; // lowercase, e.g. "multipart/related"
  // Names lowercase, values unquoted; `type`'s value lowercase too.
  std::vector<std::pair<std::string, std::string>> params;
  double q = 1.0;

  std::optional<std::string_view> param(std::string_view name) const;
};

/// One media type ("multipart/related; type=\"application/dicom\"").
std::optional<media_type> parse_media_type(std::string_view text);
/// An Accept header: its media types, highest q first (stable for equal q).
/// Types that do not parse are left out.
std::vector<media_type> parse_accept(std::string_view text);

struct part {
  std::string content_type; // "" when the part has none
  std::string_view body;
};

/// Splits a multipart body at `boundary`. Refuses (errc::invalid) a body
/// without an opening boundary or without the closing one.
result<std::vector<part>> parse_multipart(std::string_view body, std::string_view boundary);

/// Where one part's body lies in a multipart body.
struct part_extent {
  std::string content_type; // "" when the part has none
  std::uint64_t offset = 0, length = 0;
};

/// The bytes of a body from `offset` on: at least `min` of them unless the
/// body ends first, and as many more as is convenient. The view is valid
/// until the next call.
using body_reader = std::function<std::string_view(std::uint64_t offset, std::size_t min)>;

/// parse_multipart for a body read piece by piece (a spooled request body
/// of any size, in bounded memory). A part's headers must fit in 64 KiB.
result<std::vector<part_extent>> locate_parts(std::string_view boundary, const body_reader& read);

/// Builds a multipart/related body part by part.
class multipart_writer {
public:
  multipart_writer();
  const std::string& boundary() const { return boundary_; }
  void add(std::string_view content_type, std::string_view body);
  /// Starts a part and returns the body's buffer, for the caller to append
  /// the body to in place (a file read straight into the answer); the part
  /// ends at the next add, begin or finish. `size_hint` reserves room.
  std::string& begin(std::string_view content_type, std::size_t size_hint = 0);
  /// The whole body, closing boundary included.
  std::string finish();

  /// For a body assembled elsewhere (streamed from files): a part's opening
  /// (boundary line and headers); each part's body is followed by "\r\n",
  /// and the last one by closing().
  std::string opening(std::string_view content_type) const;
  std::string closing() const;

private:
  void close_part();

  std::string boundary_;
  std::string out_;
  bool open_ = false;
};

} // namespace atrium::dicom
