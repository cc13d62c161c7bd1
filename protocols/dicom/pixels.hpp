#pragma once
// Pixel data of a stored instance, for WADO-RS: frames, transcoding to
// another transfer syntax, and rendering to JPEG or PNG. DCMTK (and
// OpenJPEG for JPEG 2000) in pixels.cpp only. Never throws, never aborts
// (codecs run on the caller's thread: callers keep them off io threads).
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <optional>
#include <vector>

namespace atrium::dicom {

/// Why pixels could not be produced, as the HTTP status WADO-RS answers:
/// 404 no such frame or no pixel data, 406 a transfer syntax or image this
/// build cannot produce, 400 a bad request (frame 0, quality 0).
struct pixel_error {
  unsigned status = 406;
  std::string message;
};

namespace transfer_syntaxes {
inline constexpr std::string_view implicit_little = "1.2.840.10008.1.2";
inline constexpr std::string_view explicit_little = "1.2.840.10008.1.2.1";
inline constexpr std::string_view deflated = "1.2.840.10008.1.2.1.99";
inline constexpr std::string_view explicit_big = "1.2.840.10008.1.2.2";
inline constexpr std::string_view jpeg_baseline = "1.2.840.10008.1.2.4.50";
inline constexpr std::string_view jpeg_extended = "1.2.840.10008.1.2.4.51";
inline constexpr std::string_view jpeg_lossless = "1.2.840.10008.1.2.4.57";
inline constexpr std::string_view jpeg_lossless_sv1 = "1.2.840.10008.1.2.4.70";
inline constexpr std::string_view jpeg_ls_lossless = "1.2.840.10008.1.2.4.80";
inline constexpr std::string_view jpeg_ls_near = "1.2.840.10008.1.2.4.81";
inline constexpr std::string_view j2k_lossless = "1.2.840.10008.1.2.4.90";
inline constexpr std::string_view j2k = "1.2.840.10008.1.2.4.91";
inline constexpr std::string_view rle = "1.2.840.10008.1.2.5";
} // namespace transfer_syntaxes

/// Registers DCMTK's codecs once (thread-safe; every function below calls it).
void register_codecs();

/// Whether transcode() can produce `transfer_syntax` at all (from some input).
bool can_produce(std::string_view transfer_syntax);

/// Whether pixels stored in `transfer_syntax` can be decoded: the codecs
/// decode what they produce, and nothing else (HTJ2K, MPEG: no).
bool can_decode(std::string_view transfer_syntax);

/// The whole instance (Part 10 bytes) in `transfer_syntax`; the input
/// unchanged when it already is in it.
std::variant<std::string, pixel_error> transcode(std::string_view part10,
                                                 std::string_view transfer_syntax);

/// Frames `numbers` (1-based) of an instance. With `transfer_syntax` "*" or
/// equal to the stored one, each frame as stored: compressed frames are
/// returned without decoding, native ones sliced from the pixel data.
/// Otherwise each frame in `transfer_syntax` (native frames for the
/// uncompressed syntaxes). `*produced_syntax` is set to what the frames are in.
std::variant<std::vector<std::string>, pixel_error>
frames(std::string_view part10, const std::vector<std::uint32_t>& numbers,
       std::string_view transfer_syntax, std::string* produced_syntax);

/// What frames() would answer for `numbers` of an instance with `frames`
/// frames stored in `stored_syntax`, decided without its bytes: the
/// transfer syntax the frames come out in, or the error. Short of what only
/// decoding can tell (a codec refusing these pixels). HEAD answers by it.
std::variant<std::string, pixel_error> frames_outcome(const std::vector<std::uint32_t>& numbers,
                                                      std::uint32_t frames,
                                                      std::string_view stored_syntax,
                                                      std::string_view transfer_syntax);

/// What render() would answer for frame `number` of an instance with
/// `frames` frames stored in `stored_syntax`, decided without its bytes:
/// nullopt when it renders (short of what only decoding can tell), else
/// the error. HEAD answers by it.
std::optional<pixel_error> render_outcome(std::uint32_t number, std::uint32_t frames,
                                          std::string_view stored_syntax);

enum class image_format { jpeg, png };

/// Frame `number` (1-based) rendered for display: 8-bit, the file's window
/// if it has one, else min-max; JPEG with `quality` 1-100.
std::variant<std::string, pixel_error> render(std::string_view part10, std::uint32_t number,
                                              image_format format, int quality);

} // namespace atrium::dicom
