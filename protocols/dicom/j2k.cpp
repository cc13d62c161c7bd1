#include "protocols/dicom/j2k.hpp"

#include <openjpeg.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace atrium::dicom::j2k {
namespace {

/// OpenJPEG reads and writes through callbacks; this is the memory behind
/// them: the input codestream, or the output growing as it is written.
struct memory {
  std::string data;
  std::string_view input;
  std::size_t position = 0;
};

OPJ_SIZE_T read_memory(void* buffer, OPJ_SIZE_T size, void* user) {
  auto* m = static_cast<memory*>(user);
  if (m->position >= m->input.size()) return static_cast<OPJ_SIZE_T>(-1);
  const std::size_t n = std::min<std::size_t>(size, m->input.size() - m->position);
  std::memcpy(buffer, m->input.data() + m->position, n);
  m->position += n;
  return n;
}

OPJ_SIZE_T write_memory(void* buffer, OPJ_SIZE_T size, void* user) {
  auto* m = static_cast<memory*>(user);
  if (m->data.size() < m->position + size) m->data.resize(m->position + size);
  std::memcpy(m->data.data() + m->position, buffer, size);
  m->position += size;
  return size;
}

OPJ_OFF_T skip_memory(OPJ_OFF_T n, void* user) {
  auto* m = static_cast<memory*>(user);
  const auto target = static_cast<OPJ_OFF_T>(m->position) + n;
  if (target < 0) return -1;
  m->position = static_cast<std::size_t>(target);
  return n;
}

OPJ_BOOL seek_memory(OPJ_OFF_T n, void* user) {
  auto* m = static_cast<memory*>(user);
  if (n < 0) return OPJ_FALSE;
  m->position = static_cast<std::size_t>(n);
  return OPJ_TRUE;
}

/// OpenJPEG reports errors through a callback; the last one names the cause.
void keep_error(const char* message, void* user) {
  auto* last = static_cast<std::string*>(user);
  *last = message;
  while (!last->empty() && last->back() == '\n') last->pop_back();
}
void ignore(const char*, void*) {}

struct codec_deleter {
  void operator()(opj_codec_t* c) const { opj_destroy_codec(c); }
};
struct stream_deleter {
  void operator()(opj_stream_t* s) const { opj_stream_destroy(s); }
};
struct image_deleter {
  void operator()(opj_image_t* i) const { opj_image_destroy(i); }
};
using codec_ptr = std::unique_ptr<opj_codec_t, codec_deleter>;
using stream_ptr = std::unique_ptr<opj_stream_t, stream_deleter>;
using image_ptr = std::unique_ptr<opj_image_t, image_deleter>;

void route_messages(opj_codec_t* codec, std::string* last_error) {
  opj_set_error_handler(codec, keep_error, last_error);
  opj_set_warning_handler(codec, ignore, nullptr);
  opj_set_info_handler(codec, ignore, nullptr);
}

stream_ptr memory_stream(memory& m, bool input) {
  stream_ptr s{opj_stream_create(1 << 16, input ? OPJ_TRUE : OPJ_FALSE)};
  if (!s) return s;
  opj_stream_set_user_data(s.get(), &m, nullptr);
  if (input) {
    opj_stream_set_user_data_length(s.get(), m.input.size());
    opj_stream_set_read_function(s.get(), read_memory);
  } else {
    opj_stream_set_write_function(s.get(), write_memory);
  }
  opj_stream_set_skip_function(s.get(), skip_memory);
  opj_stream_set_seek_function(s.get(), seek_memory);
  return s;
}

pixel_error failure(std::string what, const std::string& cause) {
  return pixel_error{406, "JPEG 2000: " + what + (cause.empty() ? "" : ": " + cause)};
}

std::size_t bytes_per_sample(const layout& l) { return l.bits_allocated / 8; }

/// One sample from its container: the stored bits, sign-extended when signed.
std::int32_t sample_at(const unsigned char* p, const layout& l) {
  std::uint32_t raw = l.bits_allocated == 8 ? p[0] : static_cast<std::uint32_t>(p[0] | (p[1] << 8));
  const std::uint32_t mask = l.bits_stored >= 32 ? ~0u : (1u << l.bits_stored) - 1;
  raw &= mask;
  if (l.is_signed && (raw >> (l.bits_stored - 1)) & 1u) return static_cast<std::int32_t>(raw | ~mask);
  return static_cast<std::int32_t>(raw);
}

void put_sample(unsigned char* p, std::int32_t value, const layout& l) {
  const auto v = static_cast<std::uint32_t>(value);
  p[0] = static_cast<unsigned char>(v & 0xff);
  if (l.bits_allocated == 16) p[1] = static_cast<unsigned char>((v >> 8) & 0xff);
}

/// Resolution levels the image can carry: each halves it, and OpenJPEG
/// refuses more levels than the smaller side allows.
int resolutions_for(const layout& l) {
  int levels = 6;
  while (levels > 1 && (1u << (levels - 1)) > std::min(l.rows, l.columns)) --levels;
  return levels;
}

bool usable(const layout& l) {
  return (l.bits_allocated == 8 || l.bits_allocated == 16) && l.bits_stored >= 1 &&
         l.bits_stored <= l.bits_allocated && l.samples >= 1 && l.rows > 0 && l.columns > 0;
}

bool is_jp2(std::string_view bytes) {
  static constexpr unsigned char signature[] = {0, 0, 0, 0x0c, 'j', 'P', ' ', ' '};
  return bytes.size() >= sizeof signature && std::memcmp(bytes.data(), signature, sizeof signature) == 0;
}

} // namespace

std::variant<std::string, pixel_error> encode(std::string_view frame, const layout& l,
                                              bool colour_transform) {
  if (!usable(l)) return failure("cannot encode this pixel layout", {});
  const std::size_t pixels = std::size_t{l.rows} * l.columns;
  const std::size_t step = bytes_per_sample(l);
  if (frame.size() < pixels * l.samples * step) return failure("frame shorter than its layout", {});

  std::vector<opj_image_cmptparm_t> components(l.samples);
  for (auto& c : components) {
    std::memset(&c, 0, sizeof c);
    c.dx = c.dy = 1;
    c.w = l.columns;
    c.h = l.rows;
    c.prec = l.bits_stored;
    c.sgnd = l.is_signed ? 1 : 0;
  }
  image_ptr image{opj_image_create(l.samples, components.data(),
                                   l.samples == 3 ? OPJ_CLRSPC_SRGB : OPJ_CLRSPC_GRAY)};
  if (!image) return failure("out of memory", {});
  image->x0 = image->y0 = 0;
  image->x1 = l.columns;
  image->y1 = l.rows;
  const auto* in = reinterpret_cast<const unsigned char*>(frame.data());
  for (std::size_t i = 0; i < pixels; ++i)
    for (std::uint16_t c = 0; c < l.samples; ++c)
      image->comps[c].data[i] = sample_at(in + (i * l.samples + c) * step, l);

  opj_cparameters_t parameters;
  opj_set_default_encoder_parameters(&parameters);
  parameters.tcp_numlayers = 1;
  parameters.tcp_rates[0] = 0; // one lossless layer
  parameters.cp_disto_alloc = 1;
  parameters.irreversible = 0;
  parameters.tcp_mct = colour_transform && l.samples == 3 ? 1 : 0;
  parameters.numresolution = resolutions_for(l);

  std::string last_error;
  codec_ptr codec{opj_create_compress(OPJ_CODEC_J2K)};
  if (!codec) return failure("no encoder", {});
  route_messages(codec.get(), &last_error);
  if (!opj_setup_encoder(codec.get(), &parameters, image.get()))
    return failure("encoder setup failed", last_error);
  memory out;
  stream_ptr stream = memory_stream(out, false);
  if (!stream) return failure("out of memory", {});
  if (!opj_start_compress(codec.get(), image.get(), stream.get()) ||
      !opj_encode(codec.get(), stream.get()) || !opj_end_compress(codec.get(), stream.get()))
    return failure("encoding failed", last_error);
  return std::move(out.data);
}

std::variant<decoded, pixel_error> decode(std::string_view codestream, const layout& l) {
  if (!usable(l)) return failure("cannot decode into this pixel layout", {});
  std::string last_error;
  codec_ptr codec{opj_create_decompress(is_jp2(codestream) ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K)};
  if (!codec) return failure("no decoder", {});
  route_messages(codec.get(), &last_error);
  opj_dparameters_t parameters;
  opj_set_default_decoder_parameters(&parameters);
  if (!opj_setup_decoder(codec.get(), &parameters)) return failure("decoder setup failed", last_error);
  memory in;
  in.input = codestream;
  stream_ptr stream = memory_stream(in, true);
  if (!stream) return failure("out of memory", {});
  opj_image_t* raw = nullptr;
  if (!opj_read_header(stream.get(), codec.get(), &raw)) return failure("bad header", last_error);
  image_ptr image{raw};
  if (!opj_decode(codec.get(), stream.get(), image.get()) || !opj_end_decompress(codec.get(), stream.get()))
    return failure("decoding failed", last_error);

  if (image->numcomps != l.samples)
    return failure("codestream has " + std::to_string(image->numcomps) + " components, the dataset " +
                       std::to_string(l.samples),
                   {});
  for (std::uint32_t c = 0; c < image->numcomps; ++c) {
    const opj_image_comp_t& comp = image->comps[c];
    if (comp.w != l.columns || comp.h != l.rows || comp.dx != 1 || comp.dy != 1 || !comp.data)
      return failure("codestream size does not match Rows/Columns", {});
    if (comp.prec > l.bits_allocated) return failure("codestream precision exceeds BitsAllocated", {});
  }

  decoded out;
  if (opj_codestream_info_v2_t* info = opj_get_cstr_info(codec.get())) {
    out.colour_transformed = info->m_default_tile_info.mct != 0;
    opj_destroy_cstr_info(&info);
  }
  const std::size_t pixels = std::size_t{l.rows} * l.columns;
  const std::size_t step = bytes_per_sample(l);
  out.pixels.assign(pixels * l.samples * step, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.pixels.data());
  for (std::size_t i = 0; i < pixels; ++i)
    for (std::uint16_t c = 0; c < l.samples; ++c)
      put_sample(dst + (i * l.samples + c) * step, image->comps[c].data[i], l);
  return out;
}

} // namespace atrium::dicom::j2k
