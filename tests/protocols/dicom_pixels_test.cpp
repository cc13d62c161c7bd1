#include <catch2/catch.hpp>

#include "protocols/dicom/pixels.hpp"

#include <dcmtk/config/osconfig.h>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <unistd.h>

using namespace atrium::dicom;
namespace ts = transfer_syntaxes;

namespace {

/// Instances are built here with DCMTK: the tests cannot count on sample
/// files. Files go through a temporary file because DCMTK's file API is the
/// independent path (pixels.cpp writes to memory itself).
struct temp_file {
  std::filesystem::path path;
  explicit temp_file(const std::string& bytes) {
    static std::atomic<int> counter{0};
    path = std::filesystem::temp_directory_path() /
           ("atrium_pixels_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".dcm");
    std::ofstream(path, std::ios::binary) << bytes;
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  ~temp_file() { std::filesystem::remove(path); }
};

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct image_spec {
  Uint16 rows = 48, columns = 64, samples = 1, bits_allocated = 16, bits_stored = 12;
  int frames = 3;
  const char* photometric = "MONOCHROME2";
};

/// A deterministic pattern: distinct per pixel, sample and frame.
std::string pattern(const image_spec& s) {
  const std::size_t step = s.bits_allocated / 8;
  std::string out;
  for (int f = 0; f < s.frames; ++f)
    for (Uint16 y = 0; y < s.rows; ++y)
      for (Uint16 x = 0; x < s.columns; ++x)
        for (Uint16 c = 0; c < s.samples; ++c) {
          const unsigned v = (x * 37u + y * 101u + f * 1000u + c * 333u) & ((1u << s.bits_stored) - 1);
          out.push_back(static_cast<char>(v & 0xff));
          if (step == 2) out.push_back(static_cast<char>(v >> 8));
        }
  return out;
}

/// An explicit little endian Part 10 instance with `pixels` (or none).
std::string make_instance(const image_spec& s, const std::string* pixels) {
  DcmFileFormat ff;
  DcmDataset* ds = ff.getDataset();
  ds->putAndInsertString(DCM_SOPClassUID, UID_SecondaryCaptureImageStorage);
  ds->putAndInsertString(DCM_SOPInstanceUID, "1.2.826.0.1.3680043.10.1234.1");
  ds->putAndInsertString(DCM_StudyInstanceUID, "1.2.826.0.1.3680043.10.1234.2");
  ds->putAndInsertString(DCM_SeriesInstanceUID, "1.2.826.0.1.3680043.10.1234.3");
  ds->putAndInsertString(DCM_Modality, "OT");
  ds->putAndInsertUint16(DCM_Rows, s.rows);
  ds->putAndInsertUint16(DCM_Columns, s.columns);
  ds->putAndInsertUint16(DCM_SamplesPerPixel, s.samples);
  ds->putAndInsertString(DCM_PhotometricInterpretation, s.photometric);
  ds->putAndInsertUint16(DCM_BitsAllocated, s.bits_allocated);
  ds->putAndInsertUint16(DCM_BitsStored, s.bits_stored);
  ds->putAndInsertUint16(DCM_HighBit, s.bits_stored - 1);
  ds->putAndInsertUint16(DCM_PixelRepresentation, 0);
  if (s.samples > 1) ds->putAndInsertUint16(DCM_PlanarConfiguration, 0);
  if (s.frames > 1) ds->putAndInsertString(DCM_NumberOfFrames, std::to_string(s.frames).c_str());
  if (pixels && s.bits_allocated == 16)
    ds->putAndInsertUint16Array(DCM_PixelData, reinterpret_cast<const Uint16*>(pixels->data()), pixels->size() / 2);
  else if (pixels)
    ds->putAndInsertUint8Array(DCM_PixelData, reinterpret_cast<const Uint8*>(pixels->data()), pixels->size());
  const temp_file file("");
  REQUIRE(ff.saveFile(file.path.c_str(), EXS_LittleEndianExplicit).good());
  return read_bytes(file.path);
}

const image_spec mono16{};
const image_spec rgb8{48, 64, 3, 8, 8, 1, "RGB"};

std::string frame_slice(const std::string& pixels, const image_spec& s, int number) {
  const std::size_t size = std::size_t{s.rows} * s.columns * s.samples * s.bits_allocated / 8;
  return pixels.substr(size * (number - 1), size);
}

template <typename T> T ok(std::variant<T, pixel_error> result) {
  if (const auto* e = std::get_if<pixel_error>(&result)) FAIL("pixel_error " << e->status << ": " << e->message);
  return std::move(std::get<T>(result));
}

unsigned status_of(const auto& result) {
  const auto* e = std::get_if<pixel_error>(&result);
  return e ? e->status : 0;
}

/// All frames, joined: the native pixel data as explicit little endian.
std::string native_pixels(const std::string& part10, int frames) {
  std::vector<std::uint32_t> numbers;
  for (int n = 1; n <= frames; ++n) numbers.push_back(static_cast<std::uint32_t>(n));
  std::string produced;
  std::string out;
  for (const auto& f : ok(atrium::dicom::frames(part10, numbers, ts::explicit_little, &produced))) out += f;
  CHECK(produced == ts::explicit_little);
  return out;
}

/// The stored syntax and the pixel data decoded by DCMTK alone.
std::pair<std::string, std::string> dcmtk_view(const std::string& part10) {
  const temp_file file(part10);
  DcmFileFormat ff;
  REQUIRE(ff.loadFile(file.path.c_str()).good());
  OFString uid;
  ff.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, uid);
  DcmDataset* ds = ff.getDataset();
  if (ds->chooseRepresentation(EXS_LittleEndianExplicit, nullptr).bad()) return {uid.c_str(), {}};
  const Uint8* bytes = nullptr;
  unsigned long count = 0;
  REQUIRE(ds->findAndGetUint8Array(DCM_PixelData, bytes, &count).good());
  return {uid.c_str(), std::string(reinterpret_cast<const char*>(bytes), count)};
}

} // namespace

TEST_CASE("frames of a native instance are slices of its pixel data", "[dicom][pixels]") {
  const std::string pixels = pattern(mono16);
  const std::string part10 = make_instance(mono16, &pixels);
  std::string produced;
  const auto& got = ok(frames(part10, {3, 1}, "*", &produced));
  REQUIRE(got.size() == 2);
  CHECK(got[0] == frame_slice(pixels, mono16, 3));
  CHECK(got[1] == frame_slice(pixels, mono16, 1));
  CHECK(produced == ts::explicit_little);
  CHECK(ok(frames(part10, {2}, ts::implicit_little, &produced))[0] == frame_slice(pixels, mono16, 2));
  CHECK(produced == ts::implicit_little);
}

TEST_CASE("frames of native YBR_FULL_422 are two bytes a pixel", "[dicom][pixels]") {
  // Y Y Cb Cr for each pair of pixels (PS3.3 C.7.6.3.1.2): a 48x64 frame is
  // 6,144 bytes, not the 9,216 three samples would take.
  image_spec ybr{48, 64, 2, 8, 8, 3, "YBR_FULL_422"};
  const std::string pixels = pattern(ybr); // 2 values a pixel, as stored
  ybr.samples = 3;
  const std::string part10 = make_instance(ybr, &pixels);
  std::string produced;
  const auto& got = ok(frames(part10, {3, 1}, "*", &produced));
  REQUIRE(got.size() == 2);
  const std::size_t size = std::size_t{48} * 64 * 2;
  CHECK(got[0] == pixels.substr(2 * size, size));
  CHECK(got[1] == pixels.substr(0, size));
}

TEST_CASE("frame numbers: 0 is a bad request, beyond the last is not found", "[dicom][pixels]") {
  const std::string pixels = pattern(mono16);
  const std::string part10 = make_instance(mono16, &pixels);
  std::string produced;
  CHECK(status_of(frames(part10, {0}, "*", &produced)) == 400);
  CHECK(status_of(frames(part10, {4}, "*", &produced)) == 404);
  CHECK(status_of(frames(part10, {4}, ts::rle, &produced)) == 404);
  CHECK(status_of(render(part10, 0, image_format::jpeg, 90)) == 400);
  CHECK(status_of(render(part10, 4, image_format::jpeg, 90)) == 404);
  const std::string no_pixels = make_instance(mono16, nullptr);
  CHECK(status_of(frames(no_pixels, {1}, "*", &produced)) == 404);
  CHECK(status_of(render(no_pixels, 1, image_format::png, 100)) == 404);
}

TEST_CASE("HEAD's decisions from the record agree with what GET answers", "[dicom][pixels]") {
  // frames_outcome and render_outcome see only what the stored record
  // keeps (frame count, transfer syntax); frames() and render() the bytes.
  const std::string pixels = pattern(mono16);
  const std::string part10 = make_instance(mono16, &pixels);
  const std::string no_pixels = make_instance(mono16, nullptr);
  struct input {
    const std::string* bytes;
    std::uint32_t frames; // as the record counts them
  };
  const std::vector<std::vector<std::uint32_t>> lists{{1}, {1, 3}, {0}, {4}, {2, 4}};
  const std::vector<std::string_view> wanted{"*", ts::explicit_little, ts::implicit_little,
                                             ts::rle, ts::jpeg_ls_lossless, ts::explicit_big,
                                             "1.2.840.10008.1.2.4.201", "1.2.3.4"};
  for (const auto& [bytes, count] : {input{&part10, 3}, input{&no_pixels, 0}}) {
    for (const auto& numbers : lists) {
      for (auto syntax : wanted) {
        INFO("frames " << numbers.front() << "…, " << syntax << ", " << count << " frames");
        std::string produced;
        auto got = frames(*bytes, numbers, syntax, &produced);
        auto decided = frames_outcome(numbers, count, ts::explicit_little, syntax);
        CHECK(status_of(got) == status_of(decided));
        if (std::holds_alternative<std::string>(decided) && status_of(got) == 0)
          CHECK(produced == std::get<std::string>(decided));
      }
      auto rendered = render(*bytes, numbers.front(), image_format::png, 100);
      auto decided = render_outcome(numbers.front(), count, ts::explicit_little);
      CHECK(status_of(rendered) == (decided ? decided->status : 0u)); // 0: answered
    }
  }
  // What no codec decodes is refused before its bytes are read.
  CHECK(render_outcome(1, 1, "1.2.840.10008.1.2.4.201")->status == 406);
  CHECK(status_of(frames_outcome({1}, 1, "1.2.840.10008.1.2.4.201", ts::explicit_little)) == 406);
  CHECK(status_of(frames_outcome({1}, 1, "1.2.840.10008.1.2.4.201", "*")) == 0); // as stored
}

TEST_CASE("lossless round trips keep every pixel", "[dicom][pixels]") {
  for (const image_spec& spec : {mono16, rgb8}) {
    const std::string pixels = pattern(spec);
    const std::string part10 = make_instance(spec, &pixels);
    for (const std::string_view syntax : {ts::rle, ts::jpeg_ls_lossless, ts::jpeg_lossless_sv1, ts::j2k_lossless,
                                          ts::deflated, ts::implicit_little, ts::explicit_big}) {
      INFO("spec " << spec.photometric << ", syntax " << syntax);
      const std::string& coded = ok(transcode(part10, syntax));
      const auto [stored, dcmtk_pixels] = dcmtk_view(coded);
      CHECK(stored == syntax);
      if (syntax != ts::j2k_lossless) CHECK(dcmtk_pixels == pixels); // DCMTK has no J2K decoder
      CHECK(native_pixels(coded, spec.frames) == pixels);
      const std::string& back = ok(transcode(coded, ts::explicit_little));
      CHECK(dcmtk_view(back).second == pixels);
    }
  }
}

TEST_CASE("stored compressed frames come back as stored, not decoded", "[dicom][pixels]") {
  const std::string pixels = pattern(mono16);
  const std::string part10 = make_instance(mono16, &pixels);
  for (const std::string_view syntax : {ts::rle, ts::j2k_lossless, ts::jpeg_ls_lossless}) {
    INFO(syntax);
    const std::string& coded = ok(transcode(part10, syntax));
    std::string produced;
    const auto& stored = ok(frames(coded, {1, 3}, "*", &produced));
    CHECK(produced == syntax);
    REQUIRE(stored.size() == 2);
    CHECK(stored[0] != frame_slice(pixels, mono16, 1));
    CHECK(stored[0].size() < frame_slice(pixels, mono16, 1).size());
    const auto& same = ok(frames(coded, {1, 3}, syntax, &produced));
    CHECK(same == stored);
    // The same frames, asked of the native instance, are encoded alike.
    CHECK(ok(frames(part10, {1, 3}, syntax, &produced)) == stored);
    if (syntax == ts::j2k_lossless) {
      CHECK(stored[1].substr(0, 4) == std::string("\xff\x4f\xff\x51", 4)); // J2K SOC + SIZ
      // J2K has no DCMTK decoder: check the encapsulation DCMTK reads back.
      const temp_file file(coded);
      DcmFileFormat ff;
      REQUIRE(ff.loadFile(file.path.c_str()).good());
      DcmElement* element = nullptr;
      REQUIRE(ff.getDataset()->findAndGetElement(DCM_PixelData, element).good());
      auto* pd = static_cast<DcmPixelData*>(element);
      DcmPixelSequence* seq = nullptr;
      REQUIRE(pd->getEncapsulatedRepresentation(EXS_JPEG2000LosslessOnly, nullptr, seq).good());
      CHECK(seq->card() == 4); // the offset table, then a fragment a frame
    }
  }
}

TEST_CASE("J2K from an RGB image is stored as YBR_RCT and decodes back to RGB", "[dicom][pixels]") {
  const std::string pixels = pattern(rgb8);
  const std::string coded = ok(transcode(make_instance(rgb8, &pixels), ts::j2k));
  const temp_file file(coded);
  DcmFileFormat ff;
  REQUIRE(ff.loadFile(file.path.c_str()).good());
  OFString photometric;
  ff.getDataset()->findAndGetOFString(DCM_PhotometricInterpretation, photometric);
  CHECK(photometric == "YBR_RCT");
  const std::string back = ok(transcode(coded, ts::explicit_little));
  const temp_file back_file(back);
  DcmFileFormat back_ff;
  REQUIRE(back_ff.loadFile(back_file.path.c_str()).good());
  back_ff.getDataset()->findAndGetOFString(DCM_PhotometricInterpretation, photometric);
  CHECK(photometric == "RGB");
  CHECK(dcmtk_view(back).second == pixels);
}

TEST_CASE("transcode: the same syntax returns the input; what cannot be produced is 406", "[dicom][pixels]") {
  const std::string pixels = pattern(mono16);
  const std::string part10 = make_instance(mono16, &pixels);
  CHECK(ok(transcode(part10, ts::explicit_little)) == part10);
  const auto baseline = transcode(part10, ts::jpeg_baseline);
  REQUIRE(status_of(baseline) == 406);
  CHECK(std::get<pixel_error>(baseline).message.find("8-bit") != std::string::npos);
  const auto htj2k = transcode(part10, "1.2.840.10008.1.2.4.201");
  REQUIRE(status_of(htj2k) == 406);
  CHECK(std::get<pixel_error>(htj2k).message.find("1.2.840.10008.1.2.4.201") != std::string::npos);
  CHECK_FALSE(can_produce("1.2.840.10008.1.2.4.201"));
  CHECK(can_produce(ts::j2k_lossless));
  std::string produced;
  CHECK(status_of(frames(part10, {1}, "1.2.840.10008.1.2.4.110", &produced)) == 406);

  // 8-bit data goes to JPEG baseline (lossy: close, not equal).
  const std::string colour = pattern(rgb8);
  const std::string& jpeg = ok(transcode(make_instance(rgb8, &colour), ts::jpeg_baseline));
  CHECK(dcmtk_view(jpeg).first == ts::jpeg_baseline);
  CHECK(native_pixels(jpeg, 1).size() == colour.size());
}

TEST_CASE("render: JPEG and PNG, for native, compressed and J2K instances", "[dicom][pixels]") {
  const std::string pixels = pattern(mono16);
  const std::string part10 = make_instance(mono16, &pixels);
  const std::string colour = pattern(rgb8);
  const std::string rgb = make_instance(rgb8, &colour);
  const std::string png_signature("\x89PNG\r\n\x1a\n", 8);
  for (const std::string& instance :
       {part10, rgb, ok(transcode(part10, ts::rle)), ok(transcode(part10, ts::j2k_lossless)),
        ok(transcode(rgb, ts::j2k_lossless)), ok(transcode(rgb, ts::jpeg_baseline))}) {
    const std::string& jpeg = ok(render(instance, 1, image_format::jpeg, 75));
    CHECK(jpeg.substr(0, 2) == "\xff\xd8");
    const std::string& png = ok(render(instance, 1, image_format::png, 100));
    CHECK(png.substr(0, 8) == png_signature);
  }
  CHECK(status_of(render(part10, 1, image_format::jpeg, 0)) == 400);
  CHECK(status_of(render(part10, 1, image_format::jpeg, 101)) == 400);
}

TEST_CASE("garbage input is an error, not a crash", "[dicom][pixels]") {
  std::string produced;
  std::string garbage(1000, '\x7f');
  CHECK(status_of(transcode(garbage, ts::explicit_little)) != 0);
  CHECK(status_of(frames(garbage, {1}, "*", &produced)) != 0);
  CHECK(status_of(render(garbage, 1, image_format::jpeg, 90)) != 0);
  garbage.replace(128, 4, "DICM"); // a prefix, then nonsense
  CHECK(status_of(transcode(garbage, ts::rle)) != 0);
  CHECK(status_of(render(garbage, 1, image_format::png, 90)) != 0);
  // A real instance cut short.
  const std::string pixels = pattern(mono16);
  const std::string cut = make_instance(mono16, &pixels).substr(0, 600);
  CHECK(status_of(transcode(cut, ts::rle)) != 0);
  CHECK(status_of(frames(cut, {1}, "*", &produced)) != 0);
}

TEST_CASE("every sample instance transcodes and renders, or says why not", "[dicom][pixels][samples]") {
  const std::filesystem::path dir = ATRIUM_SAMPLES_DIR "/dicom";
  if (!std::filesystem::exists(dir)) {
    WARN("skipped: " << dir.string() << " is absent (a developer/CI sample)");
    return;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  std::size_t transcoded = 0, transcode_refused = 0, rendered = 0, render_refused = 0;
  for (const auto& path : files) {
    const std::string bytes = read_bytes(path);
    std::variant<std::string, pixel_error> t, r;
    // Codecs run on a thread of their own, with the default 8 MB stack, as
    // the service runs them off its io threads (Catch2 stays on this one).
    std::thread worker([&] {
      t = transcode(bytes, ts::explicit_little);
      r = render(bytes, 1, image_format::jpeg, 90);
    });
    worker.join();
    ++(std::holds_alternative<std::string>(t) ? transcoded : transcode_refused);
    ++(std::holds_alternative<std::string>(r) ? rendered : render_refused);
    for (const auto* e : {std::get_if<pixel_error>(&t), std::get_if<pixel_error>(&r)})
      if (e) UNSCOPED_INFO(path.lexically_relative(dir).string() << ": " << e->status << " " << e->message);
  }
  WARN(files.size() << " sample files: " << transcoded << " transcoded to explicit little endian, "
                    << transcode_refused << " refused; " << rendered << " rendered, " << render_refused
                    << " refused");
  CHECK(transcoded + transcode_refused == files.size());
  CHECK(rendered + render_refused == files.size());
}
