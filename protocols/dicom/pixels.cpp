#include "protocols/dicom/pixels.hpp"
#include "protocols/dicom/dcmtk_setup.hpp"

#include "protocols/dicom/j2k.hpp"

#include <dcmtk/config/osconfig.h> // first, as DCMTK wants

#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmimage/diregist.h> // colour images for DicomImage
#include <dcmtk/dcmimage/dipipng.h>
#include <dcmtk/dcmimgle/dcmimage.h>
#include <dcmtk/dcmjpeg/dipijpeg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpeg/djencode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/dcmjpls/djencode.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>

namespace atrium::dicom {
namespace {

namespace ts = transfer_syntaxes;

/// Native pixels reach DCMTK and OpenJPEG as little-endian bytes reinterpreted
/// as host words; every Debian target Atrium builds for is little-endian.
static_assert(std::endian::native == std::endian::little);

pixel_error fail(unsigned status, std::string message) { return pixel_error{status, std::move(message)}; }

/// A parsed instance and the transfer syntax its pixel data is in now
/// (the stored one, until a conversion changes it).
struct instance {
  DcmFileFormat file;
  std::string syntax;
  DcmDataset& dataset() { return *file.getDataset(); }
};

/// What a frame looks like, from the Image Pixel module.
struct image_info {
  Uint16 rows = 0, columns = 0, samples = 1, bits_allocated = 0, bits_stored = 0;
  Uint16 pixel_representation = 0, planar = 0;
  std::uint32_t frames = 1;
  std::string photometric;

  /// Bits, not bytes: 1-bit frames need not start on a byte boundary.
  /// YBR_FULL_422 and YBR_PARTIAL_422 share each pair of pixels' Cb and Cr
  /// (PS3.3 C.7.6.3.1.2): two values a pixel, not three.
  std::uint64_t frame_bits() const {
    const bool subsampled = samples == 3 && photometric.ends_with("_422");
    return std::uint64_t{rows} * columns * (subsampled ? 2u : samples) * bits_allocated;
  }
  j2k::layout layout() const {
    return {rows, columns, samples, bits_allocated, bits_stored, pixel_representation == 1};
  }
};

image_info read_info(DcmItem& ds) {
  image_info info;
  ds.findAndGetUint16(DCM_Rows, info.rows);
  ds.findAndGetUint16(DCM_Columns, info.columns);
  ds.findAndGetUint16(DCM_SamplesPerPixel, info.samples);
  ds.findAndGetUint16(DCM_BitsAllocated, info.bits_allocated);
  ds.findAndGetUint16(DCM_BitsStored, info.bits_stored);
  ds.findAndGetUint16(DCM_PixelRepresentation, info.pixel_representation);
  ds.findAndGetUint16(DCM_PlanarConfiguration, info.planar);
  Sint32 frames = 1;
  if (ds.findAndGetSint32(DCM_NumberOfFrames, frames).good() && frames > 1)
    info.frames = static_cast<std::uint32_t>(frames);
  OFString photometric;
  if (ds.findAndGetOFString(DCM_PhotometricInterpretation, photometric).good())
    info.photometric = photometric.c_str();
  if (info.bits_stored == 0) info.bits_stored = info.bits_allocated;
  return info;
}

E_TransferSyntax xfer_of(std::string_view uid) { return DcmXfer(std::string(uid).c_str()).getXfer(); }

bool is_j2k(std::string_view uid) { return uid == ts::j2k_lossless || uid == ts::j2k; }

/// Native syntaxes whose frames are the plain pixel bytes.
bool is_native_frame_syntax(std::string_view uid) {
  return uid == ts::explicit_little || uid == ts::implicit_little;
}

std::optional<pixel_error> parse(std::string_view part10, instance& out) {
  // Files without the preamble and meta header (older stored instances) are
  // read too: DCMTK then guesses the syntax, and it checks every length
  // against the bytes left, so garbage fails without huge allocations.
  if (part10.empty()) return fail(406, "empty instance");
  configure_dcmtk();
  DcmInputBufferStream in;
  in.setBuffer(part10.data(), static_cast<offile_off_t>(part10.size()));
  in.setEos();
  out.file.transferInit();
  const OFCondition status = out.file.read(in, EXS_Unknown, EGL_noChange, DCM_MaxReadLength);
  out.file.transferEnd();
  if (status.bad()) return fail(406, std::string("unreadable DICOM instance: ") + status.text());
  // DCMTK reads syntaxes it does not know (HTJ2K, JPEG XL) as explicit little
  // endian, so the stored syntax comes from the meta header itself.
  OFString uid;
  if (out.file.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, uid).good() && !uid.empty())
    out.syntax = uid.c_str();
  else
    out.syntax = DcmXfer(out.dataset().getOriginalXfer()).getXferID();
  return std::nullopt;
}

std::variant<std::string, pixel_error> serialize(instance& in) {
  const E_TransferSyntax xfer = xfer_of(in.syntax);
  DcmFileFormat& ff = in.file;
  if (ff.validateMetaInfo(xfer, EWM_updateMeta).bad())
    return fail(406, "cannot build the file meta information for " + in.syntax);
  ff.removeInvalidGroups();
  ff.calcElementLength(xfer, EET_ExplicitLength);
  std::string out;
  std::vector<char> buffer(1 << 20);
  DcmOutputBufferStream os(buffer.data(), static_cast<offile_off_t>(buffer.size()));
  auto drain = [&] {
    void* chunk = nullptr;
    offile_off_t length = 0;
    os.flushBuffer(chunk, length);
    out.append(static_cast<const char*>(chunk), static_cast<std::size_t>(length));
  };
  ff.transferInit();
  OFCondition status = EC_StreamNotifyClient;
  while (status == EC_StreamNotifyClient) {
    status = ff.write(os, xfer, EET_ExplicitLength, nullptr, EGL_recalcGL, EPD_withoutPadding, 0, 0, 0,
                      EWM_updateMeta);
    drain();
  }
  ff.transferEnd();
  if (status.bad()) return fail(406, "cannot write " + in.syntax + ": " + status.text());
  // Deflated output stays in the compressor until flush(); without it the
  // file is truncated.
  os.flush();
  drain();
  while (!os.isFlushed()) {
    os.flush();
    drain();
  }
  return out;
}

DcmPixelData* pixel_data(DcmDataset& ds) {
  DcmElement* element = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, element).bad() || !element || element->ident() != EVR_PixelData)
    return nullptr;
  return static_cast<DcmPixelData*>(element);
}

/// The fragments of the current representation, or null for native pixels.
DcmPixelSequence* fragments(DcmPixelData& pd) {
  E_TransferSyntax type = EXS_Unknown;
  const DcmRepresentationParameter* parameter = nullptr;
  pd.getCurrentRepresentationKey(type, parameter);
  DcmPixelSequence* sequence = nullptr;
  if (pd.getEncapsulatedRepresentation(type, parameter, sequence).bad()) return nullptr;
  return sequence;
}

std::string_view fragment_bytes(DcmPixelSequence& seq, unsigned long index) {
  DcmPixelItem* item = nullptr;
  Uint8* bytes = nullptr;
  if (seq.getItem(item, index).bad() || !item || item->getUint8Array(bytes).bad() || !bytes) return {};
  return {reinterpret_cast<const char*>(bytes), item->getLength()};
}

/// Whether a fragment opens a frame's bitstream: JPEG/JPEG-LS SOI, J2K SOC
/// + SIZ, a JP2 signature box, or an RLE header (segment count, then 64).
bool opens_frame(std::string_view b) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(b[i]); };
  if (b.size() >= 2 && byte(0) == 0xff && byte(1) == 0xd8) return true;
  if (b.size() >= 4 && byte(0) == 0xff && byte(1) == 0x4f && byte(2) == 0xff && byte(3) == 0x51) return true;
  if (b.size() >= 8 && b.substr(4, 4) == "jP  ") return true;
  if (b.size() >= 64) {
    const std::uint32_t segments = byte(0) | byte(1) << 8 | byte(2) << 16 | std::uint32_t{byte(3)} << 24;
    const std::uint32_t first = byte(4) | byte(5) << 8 | byte(6) << 16 | std::uint32_t{byte(7)} << 24;
    return segments >= 1 && segments <= 15 && first == 64;
  }
  return false;
}

/// The first fragment of each frame, and the item count last. DCMTK's
/// determineStartFragment reads the offset table (or assumes a fragment a
/// frame); without either, frames open with a recognisable marker.
std::optional<std::vector<Uint32>> frame_starts(DcmPixelSequence& seq, std::uint32_t frames) {
  const auto items = static_cast<Uint32>(seq.card());
  if (items < 2) return std::nullopt;
  std::vector<Uint32> starts;
  if (frames == 1) return std::vector<Uint32>{1, items};
  for (std::uint32_t f = 0; f < frames; ++f) {
    Uint32 start = 0;
    if (DcmCodec::determineStartFragment(f, static_cast<Sint32>(frames), &seq, start).bad() ||
        start >= items || (!starts.empty() && start <= starts.back())) {
      starts.clear();
      break;
    }
    starts.push_back(start);
  }
  if (starts.empty()) {
    for (Uint32 i = 1; i < items; ++i)
      if (opens_frame(fragment_bytes(seq, i))) starts.push_back(i);
    if (starts.size() != frames || starts.front() != 1) return std::nullopt;
  }
  starts.push_back(items);
  return starts;
}

std::optional<pixel_error> check_numbers(const std::vector<std::uint32_t>& numbers, std::uint32_t frames) {
  for (const std::uint32_t n : numbers) {
    if (n == 0) return fail(400, "frame numbers start at 1");
    if (n > frames)
      return fail(404, "frame " + std::to_string(n) + " of an instance with " + std::to_string(frames));
  }
  return std::nullopt;
}

/// Frames as they are in the current representation: fragments joined, or
/// native bytes sliced (little endian: DCMTK hands OW words over that way).
std::variant<std::vector<std::string>, pixel_error>
current_frames(instance& in, const std::vector<std::uint32_t>& numbers) {
  DcmPixelData* pd = pixel_data(in.dataset());
  if (!pd) return fail(404, "the instance has no pixel data");
  const image_info info = read_info(in.dataset());
  if (auto e = check_numbers(numbers, info.frames)) return *e;
  std::vector<std::string> out;
  if (DcmPixelSequence* seq = fragments(*pd)) {
    const auto starts = frame_starts(*seq, info.frames);
    if (!starts) return fail(406, "cannot tell which pixel data fragments make up each frame");
    for (const std::uint32_t n : numbers) {
      std::string frame;
      for (Uint32 i = (*starts)[n - 1]; i < (*starts)[n]; ++i) frame += fragment_bytes(*seq, i);
      out.push_back(std::move(frame));
    }
    return out;
  }
  Uint8* bytes = nullptr;
  if (pd->getUint8Array(bytes).bad() || !bytes) return fail(404, "the pixel data is empty");
  const std::uint64_t length = pd->getLength();
  const std::uint64_t bits = info.frame_bits();
  if (bits == 0) return fail(406, "Rows, Columns or BitsAllocated missing");
  for (const std::uint32_t n : numbers) {
    const std::uint64_t first_bit = bits * (n - 1);
    if ((first_bit + bits + 7) / 8 > length)
      return fail(404, "frame " + std::to_string(n) + " lies beyond the end of the pixel data");
    std::string frame((bits + 7) / 8, '\0');
    if (first_bit % 8 == 0) {
      std::memcpy(frame.data(), bytes + first_bit / 8, frame.size());
    } else {
      // 1-bit frames are packed back to back, least significant bit first.
      for (std::uint64_t b = 0; b < bits; ++b) {
        const std::uint64_t source = first_bit + b;
        if ((bytes[source / 8] >> (source % 8)) & 1u) frame[b / 8] = static_cast<char>(frame[b / 8] | (1 << (b % 8)));
      }
    }
    out.push_back(std::move(frame));
  }
  return out;
}

/// Replaces the pixel data with native little-endian bytes.
/// The VR is set as well: read from encapsulated data it is OB, and DCMTK
/// keeps it for the native value, which for 16-bit samples must be OW.
void put_native(DcmPixelData& pd, const std::string& bytes, Uint16 bits_allocated) {
  if (bits_allocated > 8)
    pd.putUint16Array(reinterpret_cast<const Uint16*>(bytes.data()), bytes.size() / 2);
  else
    pd.putUint8Array(reinterpret_cast<const Uint8*>(bytes.data()), bytes.size());
  pd.setVR(bits_allocated > 8 ? EVR_OW : EVR_OB);
}

/// J2K pixel data decoded with OpenJPEG, frame by frame, into native pixels.
std::optional<pixel_error> decode_j2k(instance& in, DcmPixelData& pd) {
  const image_info info = read_info(in.dataset());
  DcmPixelSequence* seq = fragments(pd);
  if (!seq) return std::nullopt; // already native
  std::vector<std::uint32_t> all(info.frames);
  for (std::uint32_t f = 0; f < info.frames; ++f) all[f] = f + 1;
  auto coded = current_frames(in, all);
  if (auto* e = std::get_if<pixel_error>(&coded)) return *e;
  std::string native;
  bool colour_transformed = false;
  for (const std::string& frame : std::get<std::vector<std::string>>(coded)) {
    auto decoded = j2k::decode(frame, info.layout());
    if (auto* e = std::get_if<pixel_error>(&decoded)) return *e;
    auto& d = std::get<j2k::decoded>(decoded);
    native += d.pixels;
    colour_transformed = colour_transformed || d.colour_transformed;
  }
  put_native(pd, native, info.bits_allocated);
  DcmDataset& ds = in.dataset();
  if (info.samples > 1) ds.putAndInsertUint16(DCM_PlanarConfiguration, 0);
  if (colour_transformed || info.photometric == "YBR_RCT" || info.photometric == "YBR_ICT")
    ds.putAndInsertString(DCM_PhotometricInterpretation, "RGB");
  ds.chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
  in.syntax = ts::explicit_little;
  return std::nullopt;
}

/// The pixel data as native pixels, decoded by OpenJPEG (J2K) or DCMTK.
std::optional<pixel_error> decode_to_native(instance& in) {
  DcmPixelData* pd = pixel_data(in.dataset());
  if (!pd) return std::nullopt;
  if (is_j2k(in.syntax)) return decode_j2k(in, *pd);
  if (xfer_of(in.syntax) == EXS_Unknown)
    return fail(406, "cannot decode pixel data in transfer syntax " + in.syntax);
  if (fragments(*pd) == nullptr) return std::nullopt;
  const OFCondition status = in.dataset().chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
  if (status.bad() || !in.dataset().canWriteXfer(EXS_LittleEndianExplicit))
    return fail(406, "cannot decode pixel data in " + in.syntax + ": " + status.text());
  in.syntax = ts::explicit_little;
  return std::nullopt;
}

/// Interleaves a planar (PlanarConfiguration 1) frame: J2K encodes components
/// as planes, but our encoder reads interleaved samples.
std::string interleaved(std::string_view frame, const image_info& info) {
  const std::size_t step = info.bits_allocated / 8;
  const std::size_t pixels = std::size_t{info.rows} * info.columns;
  std::string out(frame.size(), '\0');
  for (std::size_t c = 0; c < info.samples; ++c)
    for (std::size_t i = 0; i < pixels; ++i)
      std::memcpy(out.data() + (i * info.samples + c) * step, frame.data() + (c * pixels + i) * step, step);
  return out;
}

/// Encodes each native frame as a J2K codestream (reversible, so .4.91 is
/// lossless too) and makes them the pixel data: an empty-then-filled basic
/// offset table item and one fragment a frame.
std::optional<pixel_error> encode_j2k(instance& in, std::string_view target) {
  if (auto e = decode_to_native(in)) return e;
  DcmDataset& ds = in.dataset();
  const E_TransferSyntax xfer = xfer_of(target);
  DcmPixelData* pd = pixel_data(ds);
  if (pd) {
    const image_info info = read_info(ds);
    if (info.bits_allocated != 8 && info.bits_allocated != 16)
      return fail(406, "JPEG 2000 here takes 8- or 16-bit samples, not " + std::to_string(info.bits_allocated));
    if (info.photometric.rfind("YBR_PARTIAL", 0) == 0 || info.photometric == "YBR_FULL_422")
      return fail(406, "JPEG 2000 cannot take subsampled " + info.photometric + " pixels");
    std::vector<std::uint32_t> all(info.frames);
    for (std::uint32_t f = 0; f < info.frames; ++f) all[f] = f + 1;
    auto native = current_frames(in, all);
    if (auto* e = std::get_if<pixel_error>(&native)) return *e;
    const bool colour_transform = info.samples == 3 && info.photometric == "RGB";
    auto* seq = new DcmPixelSequence(DcmTag(DCM_PixelData, EVR_OB));
    auto* table = new DcmPixelItem(DcmTag(DCM_Item, EVR_OB));
    seq->insert(table);
    DcmOffsetList offsets;
    for (const std::string& frame : std::get<std::vector<std::string>>(native)) {
      auto coded = j2k::encode(info.samples > 1 && info.planar == 1 ? interleaved(frame, info) : frame,
                               info.layout(), colour_transform);
      if (auto* e = std::get_if<pixel_error>(&coded)) {
        delete seq;
        return *e;
      }
      std::string& bytes = std::get<std::string>(coded);
      if (bytes.size() % 2) bytes.push_back('\0'); // items have even lengths
      auto* item = new DcmPixelItem(DcmTag(DCM_Item, EVR_OB));
      item->putUint8Array(reinterpret_cast<const Uint8*>(bytes.data()), bytes.size());
      seq->insert(item);
      offsets.push_back(static_cast<Uint32>(bytes.size() + 8));
    }
    table->createOffsetTable(offsets);
    pd->putOriginalRepresentation(xfer, nullptr, seq);
    if (info.samples > 1) ds.putAndInsertUint16(DCM_PlanarConfiguration, 0);
    if (colour_transform) ds.putAndInsertString(DCM_PhotometricInterpretation, "YBR_RCT");
  }
  ds.chooseRepresentation(xfer, nullptr);
  in.syntax = target;
  return std::nullopt;
}

/// Limits DCMTK's encoders have that they do not check themselves.
std::optional<pixel_error> check_encodable(instance& in, std::string_view target) {
  if (!pixel_data(in.dataset())) return std::nullopt;
  const image_info info = read_info(in.dataset());
  if (target == ts::jpeg_baseline && info.bits_allocated != 8)
    return fail(406, "JPEG baseline (" + std::string(target) + ") holds 8-bit samples; this image has " +
                         std::to_string(info.bits_allocated));
  if (target == ts::jpeg_extended && info.bits_stored > 12)
    return fail(406, "JPEG extended (" + std::string(target) + ") holds up to 12 bits; this image has " +
                         std::to_string(info.bits_stored));
  return std::nullopt;
}

/// Converts the pixel data of `in` to `target`.
std::optional<pixel_error> convert(instance& in, std::string_view target) {
  if (in.syntax == target) return std::nullopt;
  if (!can_produce(target)) return fail(406, "cannot produce transfer syntax " + std::string(target));
  if (is_j2k(target)) return encode_j2k(in, target);
  if (is_j2k(in.syntax) || xfer_of(in.syntax) == EXS_Unknown)
    if (auto e = decode_to_native(in)) return e;
  if (auto e = check_encodable(in, target)) return e;
  const E_TransferSyntax xfer = xfer_of(target);
  DcmDataset& ds = in.dataset();
  const OFCondition status = ds.chooseRepresentation(xfer, nullptr);
  if (status.bad() || !ds.canWriteXfer(xfer))
    return fail(406, "cannot convert pixel data from " + in.syntax + " to " + std::string(target) +
                         (status.bad() ? std::string(": ") + status.text() : std::string()));
  in.syntax = target;
  return std::nullopt;
}

/// Runs `body`, turning an escaping exception (out of memory, mostly) into
/// an error: callers are promised these functions never throw.
template <typename Result, typename Body> Result guarded(Body&& body) {
  try {
    register_codecs();
    return body();
  } catch (const std::exception& e) {
    return fail(500, std::string("pixel processing failed: ") + e.what());
  } catch (...) {
    return fail(500, "pixel processing failed");
  }
}

/// Renders with DicomImage through a plugin into memory.
std::variant<std::string, pixel_error> write_image(DicomImage& image, const DiPluginFormat& plugin) {
  char* buffer = nullptr;
  std::size_t size = 0;
  FILE* stream = open_memstream(&buffer, &size);
  if (!stream) return fail(500, "cannot open a memory stream");
  const int written = image.writePluginFormat(&plugin, stream, 0);
  std::fclose(stream);
  std::string out(buffer ? buffer : "", buffer ? size : 0);
  std::free(buffer);
  if (!written || out.empty()) return fail(406, "DCMTK could not render the image");
  return out;
}

} // namespace

void register_codecs() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Transcoding for WADO-RS returns the same instance in another syntax,
    // so its SOP Instance UID stays, even when the encoding is lossy.
    DJDecoderRegistration::registerCodecs(EDC_photometricInterpretation, EUC_never);
    DJEncoderRegistration::registerCodecs(ECC_lossyYCbCr, EUC_never);
    DcmRLEDecoderRegistration::registerCodecs();
    DcmRLEEncoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs(EJLSUC_never);
    // Raw (not "cooked") JPEG-LS encoding: the cooked path trips an assert
    // in DCMTK's bundled CharLS, which aborts the process, on signed data
    // with 12 or 14 bits stored.
    DJLSEncoderRegistration::registerCodecs(0, 0, 0, 0, OFFalse, 0, OFTrue, EJLSUC_never);
  });
}

bool can_produce(std::string_view transfer_syntax) {
  static constexpr std::string_view producible[] = {
      ts::implicit_little, ts::explicit_little, ts::deflated,          ts::explicit_big,
      ts::jpeg_baseline,   ts::jpeg_extended,   ts::jpeg_lossless,     ts::jpeg_lossless_sv1,
      ts::jpeg_ls_lossless, ts::jpeg_ls_near,   ts::j2k_lossless,      ts::j2k,
      ts::rle};
  return std::find(std::begin(producible), std::end(producible), transfer_syntax) != std::end(producible);
}

bool can_decode(std::string_view transfer_syntax) { return can_produce(transfer_syntax); }

std::variant<std::string, pixel_error> transcode(std::string_view part10, std::string_view transfer_syntax) {
  return guarded<std::variant<std::string, pixel_error>>([&]() -> std::variant<std::string, pixel_error> {
    instance in;
    if (auto e = parse(part10, in)) return *e;
    if (in.syntax == transfer_syntax) return std::string(part10);
    if (auto e = convert(in, transfer_syntax)) return *e;
    return serialize(in);
  });
}

namespace {

/// Whether frames asked in `wanted` of an instance in `stored` are sent as
/// stored (compressed frames undecoded, native ones sliced).
bool frames_as_stored(std::string_view stored, std::string_view wanted) {
  return wanted == "*" || wanted == stored;
}

/// The syntax frames sent as stored come out in: big endian and deflated
/// native pixels as little-endian bytes.
std::string stored_frame_syntax(std::string_view stored) {
  return stored == ts::explicit_big || stored == ts::deflated ? std::string(ts::explicit_little)
                                                             : std::string(stored);
}

std::optional<pixel_error> check_frame_target(std::string_view wanted) {
  if (wanted == ts::explicit_big || wanted == ts::deflated)
    return fail(406, "frames are not sent in " + std::string(wanted));
  return std::nullopt;
}

} // namespace

std::variant<std::string, pixel_error> frames_outcome(const std::vector<std::uint32_t>& numbers,
                                                      std::uint32_t frames,
                                                      std::string_view stored_syntax,
                                                      std::string_view transfer_syntax) {
  for (const std::uint32_t n : numbers)
    if (n == 0) return fail(400, "frame numbers start at 1");
  if (!frames_as_stored(stored_syntax, transfer_syntax)) {
    if (auto e = check_frame_target(transfer_syntax)) return *e;
    const std::string_view target =
        is_native_frame_syntax(transfer_syntax) ? ts::explicit_little : transfer_syntax;
    if (!can_produce(target)) return fail(406, "cannot produce transfer syntax " + std::string(target));
    if (!can_decode(stored_syntax))
      return fail(406, "cannot decode pixel data in transfer syntax " + std::string(stored_syntax));
  }
  if (frames == 0) return fail(404, "the instance has no pixel data");
  if (auto e = check_numbers(numbers, frames)) return *e;
  return frames_as_stored(stored_syntax, transfer_syntax) ? stored_frame_syntax(stored_syntax)
                                                          : std::string(transfer_syntax);
}

std::variant<std::vector<std::string>, pixel_error>
frames(std::string_view part10, const std::vector<std::uint32_t>& numbers, std::string_view transfer_syntax,
       std::string* produced_syntax) {
  using result = std::variant<std::vector<std::string>, pixel_error>;
  return guarded<result>([&]() -> result {
    for (const std::uint32_t n : numbers)
      if (n == 0) return fail(400, "frame numbers start at 1");
    instance in;
    if (auto e = parse(part10, in)) return *e;
    // Decided as HEAD decides it from the stored record (frames_outcome).
    const std::uint32_t count = pixel_data(in.dataset()) ? read_info(in.dataset()).frames : 0;
    auto decided = frames_outcome(numbers, count, in.syntax, transfer_syntax);
    if (auto* e = std::get_if<pixel_error>(&decided)) return *e;
    std::string produced = std::move(std::get<std::string>(decided));
    if (!frames_as_stored(in.syntax, transfer_syntax)) {
      const std::string_view target = is_native_frame_syntax(transfer_syntax) ? ts::explicit_little : transfer_syntax;
      if (auto e = convert(in, target)) return *e;
    }
    auto out = current_frames(in, numbers);
    if (produced_syntax && std::holds_alternative<std::vector<std::string>>(out)) *produced_syntax = produced;
    return out;
  });
}

std::optional<pixel_error> render_outcome(std::uint32_t number, std::uint32_t frames,
                                          std::string_view stored_syntax) {
  if (number == 0) return fail(400, "frame numbers start at 1");
  if (frames == 0) return fail(404, "the instance has no pixel data");
  if (auto e = check_numbers({number}, frames)) return *e;
  if (!can_decode(stored_syntax))
    return fail(406, "cannot decode pixel data in transfer syntax " + std::string(stored_syntax));
  return std::nullopt;
}

std::variant<std::string, pixel_error> render(std::string_view part10, std::uint32_t number, image_format format,
                                              int quality) {
  return guarded<std::variant<std::string, pixel_error>>([&]() -> std::variant<std::string, pixel_error> {
    if (quality < 1 || quality > 100) return fail(400, "quality must be 1 to 100");
    if (number == 0) return fail(400, "frame numbers start at 1");
    instance in;
    if (auto e = parse(part10, in)) return *e;
    // Decided as HEAD decides it from the stored record (render_outcome).
    const std::uint32_t count = pixel_data(in.dataset()) ? read_info(in.dataset()).frames : 0;
    if (auto e = render_outcome(number, count, in.syntax)) return *e;
    // DicomImage decodes what DCMTK's codecs can; J2K and unknown syntaxes
    // are made native first (or refused).
    if (is_j2k(in.syntax) || xfer_of(in.syntax) == EXS_Unknown)
      if (auto e = decode_to_native(in)) return *e;
    DicomImage image(&in.dataset(), xfer_of(in.syntax), CIF_MayDetachPixelData, number - 1, 1);
    if (image.getStatus() != EIS_Normal)
      return fail(406, std::string("cannot render: ") + DicomImage::getString(image.getStatus()));
    if (image.isMonochrome()) {
      if (image.getWindowCount() > 0)
        image.setWindow(0);
      else if (image.getVoiLutCount() > 0)
        image.setVoiLut(0);
      else
        image.setMinMaxWindow();
    }
    if (format == image_format::png) return write_image(image, DiPNGPlugin());
    DiJPEGPlugin plugin;
    plugin.setQuality(static_cast<unsigned>(quality));
    return write_image(image, plugin);
  });
}

} // namespace atrium::dicom
