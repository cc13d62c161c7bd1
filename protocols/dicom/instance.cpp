// The only translation unit of protocols/ that parses DICOM with DCMTK
// (pixels.cpp does the codecs): DCMTK's headers are heavy.
#include "protocols/dicom/instance.hpp"
#include "protocols/dicom/dcmtk_setup.hpp"
#include "protocols/dicom/levels.hpp"
#include "protocols/dicom/part10_limits.hpp"
#include "protocols/dicom/pixels.hpp"
#include "protocols/dicom/query_tags.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string_view>

#include <simdjson.h>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcjson.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/oflog/oflog.h>

namespace atrium::dicom {

namespace {

constexpr std::size_t preamble = 128;

bool is_bulk(DcmEVR vr) {
  switch (vr) {
    case EVR_OB: case EVR_OD: case EVR_OF: case EVR_OL: case EVR_OV: case EVR_OW:
    case EVR_UN: case EVR_ox: case EVR_px: case EVR_pixelSQ: case EVR_pixelItem:
    case EVR_OverlayData: // (60xx,3000): DCMTK's class for it, whatever its VR
      return true;
    default:
      return false;
  }
}

/// Whether `v` is a JSON number (RFC 8259 6): DCMTK writes DS and IS
/// values as numbers verbatim, and DICOM allows "0.", ".5", "+1" and "007".
bool is_json_number(std::string_view v) {
  std::size_t i = 0;
  auto digits = [&] {
    const auto from = i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9')
      ++i;
    return i - from;
  };
  if (i < v.size() && v[i] == '-')
    ++i;
  if (i < v.size() && v[i] == '0')
    ++i;
  else if (digits() == 0)
    return false;
  if (i < v.size() && v[i] == '.' && (++i, digits() == 0))
    return false;
  if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
    ++i;
    if (i < v.size() && (v[i] == '+' || v[i] == '-'))
      ++i;
    if (digits() == 0)
      return false;
  }
  return i == v.size();
}

/// Rewrites the DS or IS values that are numbers but not JSON numbers
/// ("0." -> "0") so the stored DICOM JSON parses; leaves the others.
void normalize_numbers(DcmElement& e) {
  OFString all;
  if (e.getOFStringArray(all).bad())
    return;
  std::string text{all.c_str()}, out;
  bool changed = false;
  for (std::size_t start = 0;;) {
    auto end = text.find('\\', start);
    auto value = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    auto trimmed = value;
    while (!trimmed.empty() && trimmed.back() == ' ')
      trimmed.pop_back();
    trimmed.erase(0, trimmed.find_first_not_of(' ') == std::string::npos ? trimmed.size()
                                                                          : trimmed.find_first_not_of(' '));
    if (!trimmed.empty() && !is_json_number(trimmed)) {
      char* stop = nullptr;
      const double d = std::strtod(trimmed.c_str(), &stop);
      if (stop == trimmed.c_str() + trimmed.size() && std::isfinite(d)) {
        char buf[32];
        for (int digits = 1; digits <= 17; ++digits) // the shortest that reads back
          if (std::snprintf(buf, sizeof buf, "%.*g", digits, d); std::strtod(buf, nullptr) == d)
            break;
        value = buf;
        changed = true;
      }
    }
    out += value;
    if (end == std::string::npos)
      break;
    out += '\\';
    start = end + 1;
  }
  if (changed)
    e.putOFStringArray(OFString{out.c_str()});
}

/// Removes bulk data at every depth: metadata leaves it out (Azure does),
/// and DCMTK would otherwise inline it as base64. Only this parse's copy of
/// the dataset changes; the stored bytes are the client's. Also makes DS
/// and IS values JSON numbers.
void prepare_for_json(DcmItem& item) {
  for (unsigned long i = item.card(); i-- > 0;) {
    DcmElement* e = item.getElement(i);
    if (!e)
      continue;
    const auto tag = e->getTag();
    // By the element's class and by the VR it was read with: a class such
    // as DcmOverlayData or a LUT's (US, SS or OW) may hold OW data.
    if (is_bulk(e->ident()) || is_bulk(tag.getEVR()) || tag.getElement() == 0 ||
        tag == DCM_PixelData) {
      delete item.remove(i);
      continue;
    }
    if (e->ident() == EVR_DS || e->ident() == EVR_IS)
      normalize_numbers(*e);
    if (e->ident() == EVR_SQ) {
      auto* sq = static_cast<DcmSequenceOfItems*>(e);
      for (unsigned long k = 0; k < sq->card(); ++k)
        if (auto* nested = sq->getItem(k))
          prepare_for_json(*nested);
    }
  }
}

std::string text_of(DcmItem& ds, const DcmTagKey& key) {
  OFString v;
  if (ds.findAndGetOFString(key, v).bad())
    return {};
  return std::string{v.c_str()};
}

DcmTagKey key_of(tag t) {
  return {static_cast<Uint16>(t >> 16), static_cast<Uint16>(t & 0xffff)};
}

std::string tag_text(const DcmTagKey& t) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "(%04X,%04X)", t.getGroup(), t.getElement());
  return buf;
}

/// Whether one value is longer than PS3.5 §6.2 allows its VR, in
/// characters (a UTF-8 lead byte starts one): DCMTK 3.6.7 checks a value's
/// characters, not its length.
bool too_long(std::string_view vr, std::string_view value) {
  const std::size_t max = vr == "AE" || vr == "CS" || vr == "DS" || vr == "SH" ? 16
                          : vr == "IS"                                         ? 12
                          : vr == "LO" || vr == "PN" || vr == "UI"             ? 64
                                                                               : SIZE_MAX;
  if (value.size() <= max)
    return false;
  const auto chars = std::count_if(value.begin(), value.end(), [](char ch) {
    return (static_cast<unsigned char>(ch) & 0xc0) != 0x80;
  });
  return static_cast<std::size_t>(chars) > max;
}

/// Whether a value of `e` is longer than its VR allows (too_long).
bool has_too_long_value(DcmElement& e) {
  const char* vr = DcmVR(e.ident()).getVRName();
  for (unsigned long i = 0; i < e.getVM(); ++i) {
    OFString value;
    if (e.getOFString(value, i).good() && too_long(vr, {value.c_str(), value.length()}))
      return true;
  }
  return false;
}

/// The element extended query tag `t` names in `ds`: its tag, or for a
/// private tag the element of its low byte in the block its creator
/// reserved here (protocols/dicom/query_tags.hpp find_tag_value).
std::optional<DcmTagKey> element_of(DcmItem& ds, const query_tag& t) {
  const auto group = static_cast<Uint16>(t.tag >> 16);
  if (!is_private(t.tag))
    return key_of(t.tag);
  // One walk over the dataset's elements for the creators of that group,
  // rather than a search for each of the 240 blocks.
  for (unsigned long i = 0; i < ds.card(); ++i) {
    DcmElement* e = ds.getElement(i);
    if (!e || e->getGTag() != group || e->getETag() < 0x10 || e->getETag() > 0xff)
      continue;
    OFString creator;
    if (e->getOFString(creator, 0).good() && creator == t.private_creator.c_str())
      return DcmTagKey(group, static_cast<Uint16>(e->getETag() << 8 | (t.tag & 0xff)));
  }
  return std::nullopt;
}

/// The searchable, non-required attributes Azure's v2 validates, warning
/// (WarningReason 1) rather than refusing when one is malformed. A
/// malformed one leaves this parse's copy of the dataset: v2 hides it from
/// metadata and searches (the stored bytes keep it).
/// `also`: more attributes checked alike (a service's extended query tags).
void check_searchable(DcmItem& ds, std::span<const query_tag> also,
                      std::vector<std::string>& warnings) {
  std::vector<DcmTagKey> checked = {DCM_StudyDate, DCM_StudyTime, DCM_PatientBirthDate,
                                    DCM_PerformedProcedureStepStartDate, DCM_PatientName,
                                    DCM_PatientID, DCM_AccessionNumber, DCM_Modality,
                                    DCM_ReferringPhysicianName, DCM_StudyDescription};
  for (auto& t : also)
    if (auto key = element_of(ds, t))
      checked.push_back(*key);
  for (auto& key : checked) {
    DcmElement* e = nullptr;
    if (ds.findAndGetElement(key, e).bad() || !e || e->getLength() == 0)
      continue;
    if (e->checkValue("1-n").good() && !has_too_long_value(*e))
      continue;
    OFString value;
    e->getOFStringArray(value);
    warnings.push_back(tag_text(key) + " - Content \"" + std::string{value.c_str()} +
                       "\" does not validate VR " + DcmVR(e->ident()).getVRName());
    ds.findAndDeleteElement(key);
  }
}

/// A file's parse leaves values longer than this in the file (DCMTK loads
/// them on demand). It is far beyond any value of a VR with rules (at most
/// 64 characters a value), so such a value is judged malformed unread.
constexpr Uint32 loaded_value_limit = 64 * 1024;

/// Whether `e` passes Azure v2's minimum check of its VR (its
/// ElementMinimumValidator); VRs it does not check pass.
bool passes_minimum_check(DcmElement& e) {
  const std::string_view vr = DcmVR(e.ident()).getVRName();
  const auto whole = [&](unsigned long size) { return e.getLength() % size == 0; };
  if (vr == "US" || vr == "SS") return whole(2);
  if (vr == "UL" || vr == "SL" || vr == "FL") return whole(4);
  if (vr == "FD") return whole(8);
  // Only these have rules; the others' values (bulk data, long texts) are
  // never read here, so an instance parsed from a file leaves them there.
  constexpr std::string_view ruled[] = {"AE", "AS", "CS", "SH", "LO", "PN", "UI",
                                        "DA", "DT", "TM", "IS"};
  if (std::find(std::begin(ruled), std::end(ruled), vr) == std::end(ruled)) return true;
  // None of their values is longer than 64 characters: a value of more
  // than this is malformed whatever it holds, and is not loaded to say so.
  if (e.getLength() > loaded_value_limit) return false;
  const bool checked_by_dcmtk = vr == "DA" || vr == "DT" || vr == "IS" || vr == "TM" || vr == "PN";
  if (checked_by_dcmtk && e.checkValue("1-n").bad()) return false;
  for (unsigned long i = 0; i < e.getVM(); ++i) {
    OFString value;
    if (e.getOFString(value, i).bad()) return false;
    const std::string_view text{value.c_str(), value.length()};
    if (vr == "AS" && !text.empty() && text.size() != 4) return false;
    if (vr == "UI" && !text.empty() && !is_valid_uid(text)) return false;
    if (vr != "IS" && too_long(vr, text)) return false;
  }
  return true;
}

/// v2: every attribute of `item` (sequences' items too) that fails its VR's
/// minimum check is a warning and leaves this parse's copy of the dataset,
/// as the searchable ones do (check_searchable).
void check_every_value(DcmItem& item, std::vector<std::string>& warnings) {
  std::vector<DcmTagKey> failed;
  for (unsigned long i = 0; i < item.card(); ++i) {
    DcmElement* e = item.getElement(i);
    if (!e || e->getTag() == DCM_PixelData)
      continue;
    if (e->ident() == EVR_SQ) {
      auto* seq = static_cast<DcmSequenceOfItems*>(e);
      for (unsigned long k = 0; k < seq->card(); ++k) check_every_value(*seq->getItem(k), warnings);
      continue;
    }
    if (e->getLength() == 0 || passes_minimum_check(*e))
      continue;
    std::string content = "a value of " + std::to_string(e->getLength()) + " bytes";
    if (e->getLength() <= loaded_value_limit) {
      OFString value;
      e->getOFStringArray(value);
      content = "Content \"" + std::string{value.c_str()}.substr(0, 200) + "\"";
    }
    warnings.push_back(tag_text(e->getTag()) + " - " + content + " does not validate VR " +
                       DcmVR(e->ident()).getVRName());
    failed.push_back(e->getTag());
  }
  for (const auto& key : failed) item.findAndDeleteElement(key);
}

/// The element's JSON value object: DCMTK writes `"ggggeeee":{…}`; the key
/// is ours to write.
std::string value_json(DcmElement& e) {
  std::ostringstream out;
  DcmJsonFormatCompact format{OFFalse};
  if (e.writeJson(out, format).bad())
    return {};
  auto text = out.str();
  auto colon = text.find(':');
  return colon == std::string::npos ? std::string{} : text.substr(colon + 1);
}

/// Length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no
/// overlongs, surrogates or code points past U+10FFFF), 0 if none does.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80)
    return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF; // the second byte's range
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    lo = c == 0xE0 ? 0xA0 : 0x80;
    hi = c == 0xED ? 0x9F : 0xBF;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    lo = c == 0xF0 ? 0x90 : 0x80;
    hi = c == 0xF4 ? 0x8F : 0xBF;
  } else {
    return 0;
  }
  if (i + n > s.size() || byte(i + 1) < lo || byte(i + 1) > hi)
    return 0;
  for (std::size_t k = 2; k < n; ++k)
    if ((byte(i + k) & 0xC0) != 0x80)
      return 0;
  return n;
}

/// Replaces each byte that is not part of well-formed UTF-8 with U+FFFD;
/// returns whether it replaced any. convertToUTF8 leaves text alone that
/// claims no SpecificCharacterSet (ASCII) or ISO_IR 192 (UTF-8) but holds
/// other bytes, and JSON parsers (simdjson) refuse such strings: one bad
/// byte would otherwise make the instance's whole stored metadata unreadable.
bool repair_utf8(std::string& text) {
  std::string out;
  bool replaced = false;
  for (std::size_t i = 0; i < text.size();) {
    if (auto n = utf8_sequence(text, i)) {
      out.append(text, i, n);
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      replaced = true;
      ++i;
    }
  }
  if (replaced)
    text = std::move(out);
  return replaced;
}

failure refuse(std::uint16_t reason, std::string message) { return {reason, std::move(message), {}, {}}; }

} // namespace

void configure_dcmtk() {
  static std::once_flag once;
  std::call_once(once, [] {
    // DCMTK logs every oddity of a malformed file to stderr; the refusal
    // already tells the client, and the node's log is one line per request.
    OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
    // An element the dictionary knows but the file sends as UN (anonymizers
    // and old converters do) is read as its real VR (PS3.5 6.2.2), a UN
    // sequence as implicit VR items: its UIDs can then be checked and its
    // attributes searched, instead of the instance being refused.
    dcmEnableUnknownVRConversion.set(OFTrue);
  });
}

std::optional<tag> dictionary_tag(std::string_view keyword) {
  configure_dcmtk();
  if (keyword.empty() || !dcmDataDict.isDictionaryLoaded())
    return std::nullopt;
  DcmTag found;
  if (DcmTag::findTagFromName(std::string{keyword}.c_str(), found).bad())
    return std::nullopt;
  return (tag{found.getGTag()} << 16) | found.getETag();
}

std::optional<tag> tag_named(std::string_view name) {
  if (auto t = parse_tag(name))
    return t;
  if (auto* known = find_attribute(name))
    return known->tag;
  return dictionary_tag(name);
}

std::optional<std::string> dictionary_vr(tag t) {
  configure_dcmtk();
  if (!dcmDataDict.isDictionaryLoaded())
    return std::nullopt;
  const DcmTag found{key_of(t)};
  const DcmVR vr = found.getVR();
  if (!vr.isStandard() || vr.getEVR() == EVR_UN)
    return std::nullopt;
  return std::string{vr.getVRName()};
}

std::variant<instance, failure> parse_instance(std::string_view bytes, const char* file_path,
                                               std::span<const query_tag> also_checked,
                                               vr_checks checks) {
  configure_dcmtk();
  if (!dcmDataDict.isDictionaryLoaded())
    return refuse(272, "the DICOM data dictionary is not loaded (set DCMDICTPATH)");
  if (bytes.size() < preamble + 4 || bytes.substr(preamble, 4) != "DICM")
    return refuse(272, "not a DICOM Part 10 file: no \"DICM\" after the 128-byte preamble");
  // DCMTK trusts declared lengths and nesting; the walk refuses what would
  // have it reserve gigabytes or recurse without bound (see part10_limits).
  if (auto problem = part10_limit_problem(bytes); !problem.empty())
    return refuse(272, "the file does not parse: " + problem);
  DcmFileFormat file;
  OFCondition cond;
  bool has_pixel_data = false;
  if (file_path) {
    // Values beyond loaded_value_limit stay in the file (bulk data is never
    // asked for here).
    cond = file.loadFile(file_path, EXS_Unknown, EGL_noChange, loaded_value_limit);
  } else {
    DcmInputBufferStream in;
    in.setBuffer(bytes.data(), static_cast<offile_off_t>(bytes.size()));
    in.setEos();
    file.transferInit();
    // Parsing stops at the dataset's Pixel Data: nothing here reads it, and
    // copying it into DCMTK's own buffer was ~4% of STOW's CPU. The walk
    // above has checked its length fits. (Elements after it, trailing
    // padding or a digital signature, are then left out of the metadata.)
    cond = file.readUntilTag(in, EXS_Unknown, EGL_noChange, DCM_MaxReadLength, DCM_PixelData);
    has_pixel_data = cond.good() && !in.eos();
    file.transferEnd();
  }
  if (cond.bad())
    return refuse(272, std::string{"the file does not parse: "} + cond.text());
  auto* meta = file.getMetaInfo();
  auto* ds = file.getDataset();
  if (!meta || !ds)
    return refuse(272, "the file has no dataset");

  instance out;
  out.transfer_syntax = text_of(*meta, DCM_TransferSyntaxUID);
  struct required {
    const DcmTagKey& key;
    const char* name;
    std::string* into;
  } uids[] = {{DCM_StudyInstanceUID, "StudyInstanceUID", &out.study_uid},
              {DCM_SeriesInstanceUID, "SeriesInstanceUID", &out.series_uid},
              {DCM_SOPInstanceUID, "SOPInstanceUID", &out.sop_uid},
              {DCM_SOPClassUID, "SOPClassUID", &out.sop_class_uid}};
  for (auto& r : uids)
    *r.into = text_of(*ds, r.key);
  auto invalid = [&](std::string message) {
    auto f = refuse(43264, std::move(message));
    if (is_valid_uid(out.sop_class_uid)) f.sop_class_uid = out.sop_class_uid;
    if (is_valid_uid(out.sop_uid)) f.sop_uid = out.sop_uid;
    return f;
  };
  for (auto& r : uids)
    if (!is_valid_uid(*r.into))
      return invalid(std::string{r.name} + " " + tag_text(r.key) +
                     (r.into->empty() ? " is missing or empty"
                                      : " is not 1-64 characters of [0-9A-Za-z.-]: \"" +
                                          *r.into + "\""));
  // One UID for two levels would make the study its own series (Azure:
  // DuplicatedUidsNotAllowed).
  if (out.study_uid == out.series_uid || out.series_uid == out.sop_uid ||
      out.study_uid == out.sop_uid)
    return invalid("StudyInstanceUID, SeriesInstanceUID and SOPInstanceUID must differ");
  // Azure v2 requires PatientID with the UIDs; its value may be empty.
  if (!ds->tagExists(DCM_PatientID))
    return invalid("PatientID (0010,0020) is missing (it may be empty, not absent)");
  if (out.transfer_syntax.empty())
    return refuse(272, "the file meta has no TransferSyntaxUID (0002,0010)");
  // Counted as the pixel code counts them (pixels.cpp, read_info), so that
  // a HEAD answered from this record agrees with GET: none without pixel
  // data, else NumberOfFrames when it says more than one.
  if (has_pixel_data || ds->tagExists(DCM_PixelData)) {
    out.frames = 1;
    if (auto n = std::strtol(text_of(*ds, DCM_NumberOfFrames).c_str(), nullptr, 10); n > 1)
      out.frames = static_cast<std::uint32_t>(n);
  }

  check_searchable(*ds, also_checked, out.warnings);
  if (checks == vr_checks::every)
    check_every_value(*ds, out.warnings);
  if (ds->convertToUTF8().bad())
    out.warnings.push_back("(0008,0005) - the text could not be converted to UTF-8 from its "
                           "SpecificCharacterSet; it is kept as it was");
  prepare_for_json(*ds);
  out.attributes.reserve(ds->card());
  simdjson::dom::parser json_check;
  for (unsigned long i = 0; i < ds->card(); ++i) {
    DcmElement* e = ds->getElement(i);
    if (!e)
      continue;
    auto json = value_json(*e);
    if (json.empty())
      continue;
    const auto t = e->getTag();
    if (repair_utf8(json))
      out.warnings.push_back(tag_text(t) + " - the value is not valid UTF-8; invalid bytes are "
                                           "stored as U+FFFD");
    // Whatever else DCMTK may render that JSON parsers refuse (a DS of
    // "1.2.3"), the stored metadata must parse: such an attribute stays out.
    if (json_check.parse(json).error()) {
      out.warnings.push_back(tag_text(t) + " - the value cannot be written as DICOM JSON; it "
                                           "is left out of the metadata");
      continue;
    }
    out.attributes.push_back({(tag{t.getGroup()} << 16) | t.getElement(),
                              DcmVR(e->ident()).getVRName(), std::move(json)});
  }
  return out;
}

std::optional<std::string> value_problem(const attribute& a, std::string_view vr) {
  simdjson::dom::parser parser;
  simdjson::dom::element first;
  if (parser.parse(a.json.data(), a.json.size()).at_pointer("/Value/0").get(first))
    return std::nullopt;
  std::string_view text;
  if (first.get(text) && first["Alphabetic"].get(text))
    return std::nullopt;
  const OFString value{text.data(), text.size()};
  const OFString one = "1";
  const OFString utf8 = "ISO_IR 192"; // stored values were converted to UTF-8
  OFCondition c = EC_Normal;
  if (vr == "AE") c = DcmApplicationEntity::checkStringValue(value, one);
  else if (vr == "AS") c = DcmAgeString::checkStringValue(value, one);
  else if (vr == "CS") c = DcmCodeString::checkStringValue(value, one);
  else if (vr == "DA") c = DcmDate::checkStringValue(value, one);
  else if (vr == "DS") c = DcmDecimalString::checkStringValue(value, one);
  else if (vr == "DT") c = DcmDateTime::checkStringValue(value, one);
  else if (vr == "IS") c = DcmIntegerString::checkStringValue(value, one);
  else if (vr == "LO") c = DcmLongString::checkStringValue(value, one, utf8);
  else if (vr == "PN") c = DcmPersonName::checkStringValue(value, one, utf8);
  else if (vr == "SH") c = DcmShortString::checkStringValue(value, one, utf8);
  else if (vr == "TM") c = DcmTime::checkStringValue(value, one);
  else if (vr == "UI") c = DcmUniqueIdentifier::checkStringValue(value, one);
  if (c.good() && !too_long(vr, text))
    return std::nullopt;
  return tag_text(key_of(a.tag)) + " - Content \"" + std::string{text} +
         "\" does not validate VR " + std::string{vr};
}

std::uint16_t stow_warning_reason(const instance& inst) noexcept {
  if (inst.transfer_syntax == transfer_syntaxes::implicit_little)
    return 45063;
  return inst.warnings.empty() ? 0 : 1;
}

} // namespace atrium::dicom
