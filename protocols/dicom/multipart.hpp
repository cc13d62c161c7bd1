#pragma once
// MIME for DICOMweb: media types with parameters (Content-Type and Accept,
// where `type` and `transfer-syntax` matter), and multipart/related bodies
// (RFC 2046/2387) in both directions. Parts are views into the body: a
// multi-instance STOW body is never copied to be split.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocols/common/status.hpp"

namespace atrium::dicom {

struct media_type {
  std::string type; // lowercase, e.g. "multipart/related"
  std::vector<std::pair<std::string, std::string>> params; // names lowercase, values unquoted
  double q = 1.0;

  std::optional<std::string_view> param(std::string_view name) const;
};

/// One media type ("multipart/related; type=\"application/dicom\"").
std::optional<media_type> parse_media_type(std::string_view text);
/// An Accept header: its media types, highest q first (stable for equal q).
/// Types that do not parse are left out.
std::vector<media_type> parse_accept(std::string_view text);

struct part {
  std::string_view content_type; // "" when the part has none
  std::string_view body;
};

/// Splits a multipart body at `boundary`. Refuses (errc::invalid) a body
/// without an opening boundary or without the closing one.
result<std::vector<part>> parse_multipart(std::string_view body, std::string_view boundary);

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

private:
  void close_part();

  std::string boundary_;
  std::string out_;
  bool open_ = false;
};

} // namespace atrium::dicom
