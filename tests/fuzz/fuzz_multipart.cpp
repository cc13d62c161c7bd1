// libFuzzer target: a STOW-RS request's Content-Type (or bare boundary) and
// body. The first line of the input is the header value, the rest the body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/dicom/multipart.hpp"

namespace {

/// Whether `inner` is a view inside `outer`: parts must never point past
/// the request body, which the caller frees after the response.
bool inside(std::string_view inner, std::string_view outer) {
  if (inner.empty())
    return true;
  auto b = reinterpret_cast<std::uintptr_t>(outer.data());
  auto p = reinterpret_cast<std::uintptr_t>(inner.data());
  return p >= b && p + inner.size() <= b + outer.size();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace atrium::dicom;
  std::string_view input{reinterpret_cast<const char*>(data), size};
  auto eol = input.find('\n');
  auto line = input.substr(0, eol);
  auto body = eol == std::string_view::npos ? std::string_view{} : input.substr(eol + 1);

  /// Accept lists come back highest q first.
  auto accepted = parse_accept(line);
  for (std::size_t k = 1; k < accepted.size(); ++k)
    if (accepted[k - 1].q < accepted[k].q)
      __builtin_trap();

  /// A Content-Type names the boundary; a line without '/' is the boundary.
  std::string boundary{line};
  if (line.find('/') != std::string_view::npos) {
    auto media = parse_media_type(line);
    if (!media)
      return 0;
    boundary = std::string{media->param("boundary").value_or("")};
  }
  auto parts = parse_multipart(body, boundary);
  if (!parts)
    return 0;
  for (auto& p : *parts)
    if (!inside(p.body, body) || !inside(p.content_type, body))
      __builtin_trap();

  /// What we split we can write again and split the same way, unless a part
  /// happens to hold the writer's own delimiter.
  multipart_writer w;
  const std::string delimiter = "\r\n--" + w.boundary();
  for (auto& p : *parts) {
    if (p.body.find(delimiter) != std::string_view::npos)
      return 0;
    w.add(p.content_type, p.body);
  }
  auto written_boundary = w.boundary();
  auto written = w.finish();
  auto again = parse_multipart(written, written_boundary);
  if (!again || again->size() != parts->size())
    __builtin_trap();
  for (std::size_t k = 0; k < parts->size(); ++k)
    if ((*again)[k].body != (*parts)[k].body || (*again)[k].content_type != (*parts)[k].content_type)
      __builtin_trap();
  return 0;
}
