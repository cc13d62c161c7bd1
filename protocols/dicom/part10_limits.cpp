// Walks element headers only: tags, VRs and lengths, never values.
#include "protocols/dicom/part10_limits.hpp"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <utility>

#include <zlib.h>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctag.h>

namespace atrium::dicom {

namespace {

constexpr std::uint32_t undefined_length = 0xFFFFFFFF;

/// What DCMTK's data dictionary says a (public) tag's VR is.
DcmEVR dictionary_vr(std::uint32_t tag) {
  return DcmTag{DcmTagKey(static_cast<Uint16>(tag >> 16), static_cast<Uint16>(tag))}.getEVR();
}
constexpr std::uint32_t item_tag = 0xFFFEE000;
constexpr std::uint32_t item_end_tag = 0xFFFEE00D;
constexpr std::uint32_t sequence_end_tag = 0xFFFEE0DD;
constexpr std::uint32_t pixel_data_tag = 0x7FE00010;

/// Digits and single dots, at most 64 characters (PS3.5 9.1).
bool is_uid_text(std::string_view uid) {
  if (uid.empty() || uid.size() > 64 || uid.front() == '.' || uid.back() == '.')
    return false;
  for (std::size_t i = 0; i < uid.size(); ++i)
    if (!(uid[i] >= '0' && uid[i] <= '9') && !(uid[i] == '.' && uid[i - 1] != '.'))
      return false;
  return true;
}

struct header {
  std::uint32_t tag = 0;
  std::uint32_t length = 0;
  std::size_t size = 0; // of the header itself
  bool sequence = false;
  bool implicit_items = false;
};

/// Whether an explicit header of this VR has a 2-byte length (PS3.5 7.1.2).
bool short_form(std::string_view vr) {
  for (auto v : {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO",
                 "LT", "PN", "SH", "SL", "SS", "ST", "TM", "UI", "UL", "US"})
    if (vr == v)
      return true;
  return false;
}

/// The VRs of PS3.5 6.2 with a 4-byte length. DCMTK reads others each its
/// own way (4-byte lengths for "UK", something else for "O\xAB"), which a
/// walk cannot follow: a header of any other VR is refused.
bool long_form(std::string_view vr) {
  for (auto v : {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"})
    if (vr == v)
      return true;
  return false;
}

struct walker {
  std::string_view b;
  bool little = true;
  bool explicit_vr = true;
  std::string problem;
  bool truncated = false; // DCMTK says so itself; no header left to trust
  std::size_t raw_tail = std::string_view::npos; // where bytes after a deflated stream begin

  bool done() const { return truncated || !problem.empty(); }

  /// A header that is not one (a VR of no letters, a stray tag where an
  /// item must be): DCMTK guesses on, and its guesses read lengths out of
  /// values, so the walk refuses instead.
  void lost(std::size_t pos) {
    if (pos >= raw_tail) { // a few bytes past a deflated stream, as real files end
      truncated = true;
      return;
    }
    problem = "no element header can be read at offset " + std::to_string(pos);
  }
  /// A header cut short by the end of the input is DCMTK's to report; one
  /// cut short by the end of its item or sequence is the client's
  /// disagreement with itself, which DCMTK would settle by reading on.
  bool cut_short(std::size_t pos, std::size_t end) {
    if (end == b.size())
      truncated = true;
    else
      problem = "the element header at offset " + std::to_string(pos) +
                " crosses the end of its item or sequence";
    return false;
  }

  std::uint32_t u8(std::size_t p) const { return static_cast<unsigned char>(b[p]); }
  std::uint32_t u16(std::size_t p) const {
    return little ? u8(p) | u8(p + 1) << 8 : u8(p) << 8 | u8(p + 1);
  }
  std::uint32_t u32(std::size_t p) const {
    return little ? u16(p) | u16(p + 2) << 16 : u16(p) << 16 | u16(p + 2);
  }

  bool read_header(std::size_t pos, std::size_t end, header& h) {
    if (end - pos < 8)
      return cut_short(pos, end);
    h.tag = u16(pos) << 16 | u16(pos + 2);
    h.implicit_items = false;
    if (h.tag >> 16 == 0xFFFE || !explicit_vr) {
      h.length = u32(pos + 4);
      h.size = 8;
      // Implicit VR: the dictionary says what is a sequence; DCMTK reads
      // any other undefined length but pixel data as one too.
      if (h.tag >> 16 != 0xFFFE)
        h.sequence = h.length == undefined_length ? h.tag != pixel_data_tag
                                                  : dictionary_vr(h.tag) == EVR_SQ;
      return true;
    }
    auto vr = b.substr(pos + 4, 2);
    if (!short_form(vr) && !long_form(vr)) {
      lost(pos);
      return false;
    }
    if (long_form(vr)) {
      if (end - pos < 12)
        return cut_short(pos, end);
      h.length = u32(pos + 8);
      h.size = 12;
    } else {
      h.length = u16(pos + 6);
      h.size = 8;
    }
    // DCMTK reads any undefined length but pixel data's as a sequence, and
    // pixel data's as fragments only as OB or OW: encapsulated pixel data of
    // another VR is refused (PS3.5 A.4 says OB) rather than guessed at.
    h.sequence = h.length == undefined_length ? h.tag != pixel_data_tag : vr == "SQ";
    if (h.length == undefined_length && h.tag == pixel_data_tag && vr != "OB" && vr != "OW") {
      problem = "encapsulated pixel data has the VR " + std::string{vr} + ", not OB or OW";
      return false;
    }
    // PS3.5 6.2.2: a UN sequence is implicit VR inside. DCMTK (told to, see
    // configure_dcmtk) also reads a public UN element of defined length as
    // the sequence the dictionary makes it, so the walk does too. A private
    // one stays bytes here, as private elements of implicit VR do: what they
    // are depends on their creator.
    h.implicit_items = vr == "UN";
    if (h.implicit_items && (h.tag >> 16) % 2 == 0 && dictionary_vr(h.tag) == EVR_SQ)
      h.sequence = true;
    return true;
  }

  bool fits(const header& h, std::size_t pos, std::size_t end) {
    if (h.length <= end - pos)
      return true;
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "(%04X,%04X) declares %u bytes where %zu are left", h.tag >> 16,
                  h.tag & 0xFFFF, h.length, end - pos);
    problem = buf;
    return false;
  }

  /// Elements up to `end`, or up to an item delimiter. A delimiter or item
  /// outside any sequence is refused: DCMTK reads on from it in ways the
  /// walk cannot follow (a fuzzed file had it allocate 1.1 GB there).
  void elements(std::size_t& pos, std::size_t end, int depth) {
    header h;
    while (!done() && pos < end && read_header(pos, end, h)) {
      pos += h.size;
      if (h.tag >> 16 == 0xFFFE && depth == 0) {
        lost(pos - h.size);
        return;
      }
      if (h.tag == item_end_tag || h.tag == sequence_end_tag)
        return;
      if (h.length == undefined_length) {
        if (h.sequence) {
          const bool was_explicit = std::exchange(explicit_vr, explicit_vr && !h.implicit_items);
          items(pos, end, depth + 1);
          explicit_vr = was_explicit;
        } else
          fragments(pos, end);
        continue;
      }
      if (!fits(h, pos, end))
        return;
      const auto value_end = pos + h.length;
      if (h.sequence) {
        const bool was_explicit = std::exchange(explicit_vr, explicit_vr && !h.implicit_items);
        items(pos, value_end, depth + 1);
        explicit_vr = was_explicit;
      }
      pos = value_end;
    }
  }

  /// A sequence's items, up to `end` or its delimiter.
  void items(std::size_t& pos, std::size_t end, int depth) {
    if (depth > max_sequence_depth) {
      problem = "sequences nest deeper than " + std::to_string(max_sequence_depth) + " levels";
      return;
    }
    header h;
    while (!done() && pos < end && read_header(pos, end, h)) {
      pos += h.size;
      if (h.tag == sequence_end_tag)
        return;
      if (h.tag != item_tag) {
        lost(pos - h.size);
        return;
      }
      if (h.length == undefined_length) {
        elements(pos, end, depth);
        continue;
      }
      if (!fits(h, pos, end))
        return;
      const auto item_end = pos + h.length;
      elements(pos, item_end, depth);
      pos = item_end;
    }
  }

  /// Encapsulated pixel data: items of raw bytes up to the delimiter.
  void fragments(std::size_t& pos, std::size_t end) {
    header h;
    while (!done() && pos < end && read_header(pos, end, h)) {
      pos += h.size;
      if (h.tag == sequence_end_tag)
        return;
      if (h.tag != item_tag || h.length == undefined_length) {
        lost(pos - h.size);
        return;
      }
      if (!fits(h, pos, end))
        return;
      pos += h.length;
    }
  }
};

/// The deflated dataset (1.2.840.10008.1.2.1.99: raw deflate, no zlib
/// header) inflated and followed by whatever bytes follow the stream (from
/// `tail_at` on), or nullopt past `cap` bytes or on corrupt data.
std::optional<std::string> inflate_raw(std::string_view in, std::size_t cap, std::size_t& tail_at) {
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
    return std::nullopt;
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK && out.size() <= cap) {
    char chunk[16384];
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - z.avail_out);
    if (rc == Z_BUF_ERROR && z.avail_in == 0)
      break; // the stream just ends: DCMTK decides whether that is fine
  }
  inflateEnd(&z);
  if (out.size() > cap || (rc != Z_STREAM_END && rc != Z_BUF_ERROR))
    return std::nullopt;
  // DCMTK reads on past the deflated stream's end, into the bytes that
  // follow it as they are (real files have a few), so the walk does too.
  // Fewer than 12 bytes hold no 4-byte length: those are left to DCMTK.
  tail_at = z.avail_in < 12 ? out.size() : std::string_view::npos;
  if (rc == Z_STREAM_END)
    out.append(in.substr(in.size() - z.avail_in));
  return out;
}

} // namespace

std::string part10_limit_problem(std::string_view bytes) {
  constexpr std::size_t start = 132; // preamble and "DICM"
  if (bytes.size() < start)
    return {};
  walker w{bytes, true, true, {}, false, std::string_view::npos};
  // The file meta: explicit VR little endian, group 0002.
  std::size_t pos = start;
  std::string_view syntax;
  std::size_t meta_end = 0; // as (0002,0000) FileMetaInformationGroupLength says
  header h;
  while (pos + 8 <= bytes.size() && w.u16(pos) == 0x0002 && w.read_header(pos, bytes.size(), h)) {
    pos += h.size;
    if (!w.fits(h, pos, bytes.size()))
      return w.problem;
    if (h.tag == 0x00020000 && h.length == 4)
      meta_end = pos + 4 + w.u32(pos);
    if (h.tag == 0x00020010)
      syntax = bytes.substr(pos, h.length);
    pos += h.length;
  }
  if (!w.problem.empty())
    return w.problem;
  // DCMTK reads the meta as far as its group length says and guesses the
  // dataset's encoding without a transfer syntax; a walk that guessed
  // otherwise would check other lengths than DCMTK reads. Such files are
  // refused after parsing anyway, so refuse them first.
  if (meta_end != 0 && meta_end != pos)
    return "the file meta group length does not end where group 0002 ends";
  while (!syntax.empty() && (syntax.back() == '\0' || syntax.back() == ' '))
    syntax.remove_suffix(1);
  if (syntax == "1.2.840.10008.1.2.1.99") {
    // Deflated: the lengths are those of the inflated dataset, so walk that.
    // DCMTK would inflate it all too; past the cap it is a deflate bomb.
    std::size_t tail_at = 0;
    auto inflated = inflate_raw(bytes.substr(pos), max_inflated_size, tail_at);
    if (!inflated)
      return "the deflated dataset is corrupt or inflates beyond " +
             std::to_string(max_inflated_size >> 20) + " MiB";
    walker d{*inflated, true, true, {}, false, tail_at};
    std::size_t at = 0;
    d.elements(at, inflated->size(), 0);
    return d.problem;
  }
  if (syntax == "1.2.840.10008.1.2")
    w.explicit_vr = false;
  else if (syntax == "1.2.840.10008.1.2.2")
    w.little = false;
  else if (syntax.empty())
    return "the file meta has no TransferSyntaxUID (0002,0010)";
  else if (!is_uid_text(syntax))
    // DCMTK would not know it and would guess the dataset's encoding (a
    // fuzzed file read as big endian implicit had it reserve 1.4 GB).
    return "the file meta's TransferSyntaxUID (0002,0010) is not a UID";
  w.elements(pos, bytes.size(), 0);
  return w.problem;
}

} // namespace atrium::dicom
