#include <algorithm>
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "protocols/dicom/instance.hpp"
#include "protocols/dicom/qido.hpp"
#include "tools/dicomgen/dicom_files.hpp"

using namespace atrium::dicom;
using atrium::dicomgen::dicom_spec;
using atrium::dicomgen::make_dicom;

namespace {

dicom_spec spec() {
  dicom_spec s;
  s.study_uid = "1.2.3";
  s.series_uid = "1.2.3.4";
  s.sop_uid = "1.2.3.4.5";
  return s;
}

const attribute* find(const instance& i, tag t) {
  for (auto& a : i.attributes)
    if (a.tag == t)
      return &a;
  return nullptr;
}

} // namespace

TEST_CASE("a generated instance parses into UIDs and DICOM JSON", "[dicom][instance]") {
  auto s = spec();
  s.frames = 3;
  auto parsed = parse_instance(make_dicom(s));
  REQUIRE(std::holds_alternative<instance>(parsed));
  auto& i = std::get<instance>(parsed);
  CHECK(i.study_uid == "1.2.3");
  CHECK(i.series_uid == "1.2.3.4");
  CHECK(i.sop_uid == "1.2.3.4.5");
  CHECK(i.sop_class_uid == "1.2.840.10008.5.1.4.1.1.2");
  CHECK(i.transfer_syntax == "1.2.840.10008.1.2.1");
  CHECK(i.frames == 3);
  CHECK(i.warnings.empty());
  auto* name = find(i, tags::patient_name);
  REQUIRE(name);
  CHECK(name->vr == "PN");
  CHECK(name->json == R"({"vr":"PN","Value":[{"Alphabetic":"Doe^John"}]})");
  CHECK(first_value_text(*name) == "Doe^John");
  CHECK(first_value_text(*find(i, tags::rows)) == "16");
  CHECK_FALSE(find(i, tags::pixel_data));
  CHECK(std::is_sorted(i.attributes.begin(), i.attributes.end(),
                       [](auto& a, auto& b) { return a.tag < b.tag; }));
  // The stored form parses back to the same attributes.
  auto back = parse_dataset(dataset_json(i.attributes));
  REQUIRE(back.size() == i.attributes.size());
  CHECK(back.front().json == i.attributes.front().json);
}

TEST_CASE("other transfer syntaxes parse too", "[dicom][instance]") {
  for (auto ts : {"1.2.840.10008.1.2", "1.2.840.10008.1.2.5"}) {
    auto s = spec();
    s.transfer_syntax = ts;
    auto parsed = parse_instance(make_dicom(s));
    REQUIRE(std::holds_alternative<instance>(parsed));
    CHECK(std::get<instance>(parsed).transfer_syntax == ts);
  }
}

TEST_CASE("STOW's warning: 45063 for implicit VR, 1 for attributes failing their VR",
          "[dicom][instance]") {
  auto warning_of = [](const dicom_spec& s) {
    auto parsed = parse_instance(make_dicom(s));
    REQUIRE(std::holds_alternative<instance>(parsed));
    return stow_warning_reason(std::get<instance>(parsed));
  };
  auto s = spec();
  CHECK(warning_of(s) == 0);
  s.study_date = "NotADate";
  CHECK(warning_of(s) == 1);
  s.transfer_syntax = "1.2.840.10008.1.2";
  CHECK(warning_of(s) == 45063); // one value per instance: the data set's wins
  s.study_date = "20240102";
  CHECK(warning_of(s) == 45063);
  for (auto explicit_vr : {"1.2.840.10008.1.2.2", "1.2.840.10008.1.2.5"}) {
    s.transfer_syntax = explicit_vr;
    CHECK(warning_of(s) == 0);
  }
}

TEST_CASE("instances without valid required UIDs are refused with 43264", "[dicom][instance]") {
  auto s = spec();
  s.sop_uid = "";
  auto parsed = parse_instance(make_dicom(s));
  REQUIRE(std::holds_alternative<failure>(parsed));
  CHECK(std::get<failure>(parsed).reason == 43264);
  CHECK(std::get<failure>(parsed).message.find("SOPInstanceUID") != std::string::npos);
  s = spec();
  s.study_uid = std::string(65, '1');
  parsed = parse_instance(make_dicom(s));
  REQUIRE(std::holds_alternative<failure>(parsed));
  CHECK(std::get<failure>(parsed).reason == 43264);
}

TEST_CASE("what is not DICOM is refused with 272, without a crash", "[dicom][instance]") {
  CHECK(std::get<failure>(parse_instance("")).reason == 272);
  CHECK(std::get<failure>(parse_instance(std::string(200, 'x'))).reason == 272);
  auto file = make_dicom(spec());
  for (std::size_t cut : {std::size_t{140}, std::size_t{300}, file.size() / 2}) {
    auto parsed = parse_instance(std::string_view{file}.substr(0, cut));
    CHECK(std::holds_alternative<failure>(parsed));
  }
}

TEST_CASE("a malformed searchable date is a warning, not a refusal", "[dicom][instance]") {
  auto s = spec();
  s.study_date = "NotADate";
  auto parsed = parse_instance(make_dicom(s));
  REQUIRE(std::holds_alternative<instance>(parsed));
  auto& w = std::get<instance>(parsed).warnings;
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("(0008,0020)") == 0);
  CHECK(w[0].find("NotADate") != std::string::npos);
  // v2 hides it from metadata and searches; the other dates stay.
  CHECK_FALSE(find(std::get<instance>(parsed), 0x00080020));
  CHECK(find(std::get<instance>(parsed), 0x00100030)); // PatientBirthDate
}

TEST_CASE("a searchable value longer than its VR allows is a warning", "[dicom][instance]") {
  auto s = spec();
  s.accession_number = "A-VERY-LONG-ACCESSION-0001"; // SH: at most 16
  auto parsed = parse_instance(make_dicom(s));
  REQUIRE(std::holds_alternative<instance>(parsed));
  auto& w = std::get<instance>(parsed).warnings;
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("(0008,0050)") == 0);
  s.accession_number = "ACC-16-CHARS-OK1";
  CHECK(std::get<instance>(parse_instance(make_dicom(s))).warnings.empty());
}

TEST_CASE("v2 checks every attribute against its VR, in sequences too; v1 the searchable",
          "[dicom][instance]") {
  auto s = spec();
  s.extra = {{0x0008002A, "NotAValidDate"},           // AcquisitionDateTime, DT
             {0x00200013, "abc"},                     // InstanceNumber, IS
             {0x00180015, "CHEST-AND-ABDOMEN-AND-PELVIS"}, // BodyPartExamined, CS: 16 at most
             {0x00081030, "CT"}};                     // a valid one stays
  s.instance_number = 0;
  auto every = parse_instance(make_dicom(s), nullptr, {}, vr_checks::every);
  REQUIRE(std::holds_alternative<instance>(every));
  const auto& inst = std::get<instance>(every);
  std::vector<std::string> tags;
  for (const auto& w : inst.warnings) tags.push_back(w.substr(0, 11));
  std::sort(tags.begin(), tags.end());
  CHECK(tags == std::vector<std::string>{"(0008,002A)", "(0018,0015)", "(0020,0013)"});
  CHECK(stow_warning_reason(inst) == 1);
  CHECK_FALSE(find(inst, 0x0008002A)); // left out of the metadata
  CHECK_FALSE(find(inst, 0x00200013));
  CHECK(find(inst, 0x00081030));
  // v1 checks only the searchable ones, which these are not.
  auto searchable = parse_instance(make_dicom(s));
  REQUIRE(std::holds_alternative<instance>(searchable));
  CHECK(std::get<instance>(searchable).warnings.empty());
  CHECK(find(std::get<instance>(searchable), 0x00200013));
  // A value far longer than its VR allows is judged by its length, unread;
  // VRs without rules (bulk data, long texts) are never read.
  auto long_value = spec();
  long_value.extra = {{0x00080070, std::string(70000, 'A')}, // Manufacturer, LO
                      {0x00324000, std::string(70000, 'B')}}; // StudyComments, LT
  auto long_parsed = parse_instance(make_dicom(long_value), nullptr, {}, vr_checks::every);
  REQUIRE(std::holds_alternative<instance>(long_parsed));
  REQUIRE(std::get<instance>(long_parsed).warnings.size() == 1);
  CHECK(std::get<instance>(long_parsed).warnings[0] ==
        "(0008,0070) - a value of 70000 bytes does not validate VR LO");
  // A generated instance has nothing to warn of.
  CHECK(std::get<instance>(parse_instance(make_dicom(spec()), nullptr, {}, vr_checks::every))
          .warnings.empty());
}

TEST_CASE("UIDs: 1-64 characters of [0-9A-Za-z.-]", "[dicom][instance]") {
  CHECK(is_valid_uid("1.2.840.10008.1.2.1"));
  CHECK(is_valid_uid(std::string(64, '1')));
  CHECK_FALSE(is_valid_uid(std::string(65, '1')));
  CHECK_FALSE(is_valid_uid(""));
  CHECK_FALSE(is_valid_uid("1_2"));
  CHECK_FALSE(is_valid_uid("1 2"));
}

TEST_CASE("first values as text", "[dicom][instance]") {
  CHECK(first_value_text({0, "CS", R"({"vr":"CS","Value":["CT","MR"]})"}) == "CT");
  CHECK(first_value_text({0, "IS", R"({"vr":"IS","Value":[42]})"}) == "42");
  CHECK(first_value_text({0, "DS", R"({"vr":"DS","Value":[1.5]})"}) == "1.5");
  CHECK(first_value_text({0, "DA", R"({"vr":"DA"})"}).empty());
}

TEST_CASE("every sample file parses or is refused, never a crash", "[dicom][instance][samples]") {
  std::filesystem::path dir{ATRIUM_SAMPLES_DIR "/dicom"};
  if (!std::filesystem::exists(dir)) {
    WARN("no samples at " << dir << "; skipped");
    return;
  }
  int parsed = 0, refused = 0, warned = 0;
  for (auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.file_size() > (64u << 20))
      continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes{std::istreambuf_iterator<char>(in), {}};
    auto result = parse_instance(bytes, nullptr, {}, vr_checks::every);
    if (std::holds_alternative<instance>(result)) {
      ++parsed;
      CHECK_FALSE(std::get<instance>(result).sop_uid.empty());
      if (!std::get<instance>(result).warnings.empty()) {
        ++warned;
        UNSCOPED_INFO(entry.path().filename().string() << ": " << std::get<instance>(result).warnings.front());
      }
    } else {
      ++refused;
      CHECK(std::get<failure>(result).reason != 0);
    }
  }
  WARN(parsed << " sample files parsed (" << warned << " with warnings), " << refused << " refused");
  CHECK(parsed > 50);
}

namespace {

std::string le16(unsigned v) { return {static_cast<char>(v & 0xff), static_cast<char>(v >> 8)}; }
std::string le32(std::uint32_t v) { return le16(v & 0xffff) + le16(v >> 16); }

/// The file with the short-form explicit VR element `t` re-encoded as UN
/// (the 4-byte length form), as anonymizers and old converters write it.
std::string as_un(std::string file, tag t) {
  const auto head = le16(t >> 16) + le16(t & 0xffff);
  auto at = file.find(head, 132 + 12); // past the preamble and meta group length
  while (at != std::string::npos && file.substr(at + 4, 1) < "A")
    at = file.find(head, at + 1);
  REQUIRE(at != std::string::npos);
  const auto length = static_cast<unsigned char>(file[at + 6]) | static_cast<unsigned char>(file[at + 7]) << 8;
  return file.replace(at + 4, 4, "UN" + le16(0) + le32(static_cast<std::uint32_t>(length)));
}

/// The file with `element` (its raw bytes) inserted before the pixel data.
std::string with_element_before_pixels(std::string file, const std::string& element) {
  auto at = file.rfind(le16(0x7FE0) + le16(0x0010));
  REQUIRE(at != std::string::npos);
  return file.insert(at, element);
}

} // namespace

TEST_CASE("elements sent as UN are read as their dictionary VR", "[dicom][instance]") {
  auto file = make_dicom(spec());
  for (tag t : {tags::sop_instance_uid, tags::study_instance_uid, tags::modality})
    file = as_un(file, t);
  // RequestAttributesSequence (0040,0275) as UN: one item of implicit VR
  // holding ScheduledProcedureStepDescription (0040,0007) "ABCD".
  const auto item_content = le16(0x0040) + le16(0x0007) + le32(4) + "ABCD";
  const auto item = le16(0xFFFE) + le16(0xE000) + le32(static_cast<std::uint32_t>(item_content.size())) + item_content;
  const auto sequence = le16(0x0040) + le16(0x0275) + "UN" + le16(0) +
                        le32(static_cast<std::uint32_t>(item.size())) + item;
  auto parsed = parse_instance(with_element_before_pixels(file, sequence));
  REQUIRE(std::holds_alternative<instance>(parsed));
  auto& i = std::get<instance>(parsed);
  CHECK(i.sop_uid == "1.2.3.4.5");
  CHECK(i.study_uid == "1.2.3");
  auto* modality = find(i, tags::modality);
  REQUIRE(modality);
  CHECK(modality->vr == "CS");
  auto* requested = find(i, 0x00400275);
  REQUIRE(requested);
  CHECK(requested->vr == "SQ");
  CHECK(requested->json.find("ABCD") != std::string::npos);

  // The walk before DCMTK checks lengths inside such a sequence too: an
  // inner element declaring 2 GB is refused, not allocated.
  auto huge_content = le16(0x0040) + le16(0x0007) + le32(0x7FFFFFF0) + "ABCD";
  auto huge_item = le16(0xFFFE) + le16(0xE000) + le32(static_cast<std::uint32_t>(huge_content.size())) + huge_content;
  auto huge = le16(0x0040) + le16(0x0275) + "UN" + le16(0) +
              le32(static_cast<std::uint32_t>(huge_item.size())) + huge_item;
  auto refused = parse_instance(with_element_before_pixels(file, huge));
  REQUIRE(std::holds_alternative<failure>(refused));
  CHECK(std::get<failure>(refused).reason == 272);
}

TEST_CASE("overlay data is bulk data: left out of the attributes and metadata", "[dicom][instance]") {
  // OverlayData (6000,3000) OW, which DCMTK holds in a class of its own.
  const auto overlay = le16(0x6000) + le16(0x3000) + "OW" + le16(0) + le32(8) + std::string(8, '\x55');
  const auto rows = le16(0x6000) + le16(0x0010) + "US" + le16(2) + le16(4);
  auto parsed = parse_instance(with_element_before_pixels(make_dicom(spec()), rows + overlay));
  REQUIRE(std::holds_alternative<instance>(parsed));
  auto& i = std::get<instance>(parsed);
  CHECK(find(i, 0x60000010)); // OverlayRows, a US, stays
  CHECK_FALSE(find(i, 0x60003000));
}

TEST_CASE("pixel data is checked but not parsed: one frame, refused when cut short",
          "[dicom][instance]") {
  auto s = spec();
  s.frames = 1;
  auto whole = make_dicom(s);
  auto parsed = parse_instance(whole);
  REQUIRE(std::holds_alternative<instance>(parsed));
  CHECK(std::get<instance>(parsed).frames == 1);
  // Parsing stops where Pixel Data starts, so only the walk of lengths can
  // tell that its value is cut short.
  auto cut = parse_instance(std::string_view{whole}.substr(0, whole.size() - 7));
  REQUIRE(std::holds_alternative<failure>(cut));
  CHECK(std::get<failure>(cut).reason == 272);
}

TEST_CASE("an instance without PatientID is refused with 43264", "[dicom][instance]") {
  auto s = spec();
  s.patient_id = ""; // the generator leaves an empty value out
  auto parsed = parse_instance(make_dicom(s));
  REQUIRE(std::holds_alternative<failure>(parsed));
  CHECK(std::get<failure>(parsed).reason == 43264);
  CHECK(std::get<failure>(parsed).message.find("PatientID") != std::string::npos);
  CHECK(std::get<failure>(parsed).sop_uid == "1.2.3.4.5"); // the item still names it
}

TEST_CASE("an attribute's first value is checked against an extended query tag's VR",
          "[dicom][instance]") {
  auto problem = [](std::uint32_t tag, std::string vr, std::string value_json) {
    return value_problem({tag, vr, R"({"vr":")" + vr + R"(","Value":[)" + value_json + "]}"}, vr);
  };
  CHECK_FALSE(problem(0x00101010, "AS", R"("045Y")"));
  auto bad_age = problem(0x00101010, "AS", R"("ABOUT 40")");
  REQUIRE(bad_age);
  CHECK(*bad_age == R"((0010,1010) - Content "ABOUT 40" does not validate VR AS)");
  CHECK(problem(0x00080022, "DA", R"("1997.04.30")"));
  CHECK_FALSE(problem(0x00080022, "DA", R"("19970430")"));
  CHECK(problem(0x00080060, "CS", R"("lower case")"));
  CHECK(problem(0x00081010, "SH", R"("a station name far longer than sixteen")"));
  CHECK_FALSE(problem(0x00100010, "PN", R"({"Alphabetic":"Doe^Jane"})"));
  CHECK_FALSE(problem(0x00180050, "DS", "2.5")); // a number is one as stored
  CHECK_FALSE(value_problem({0x00101010, "AS", R"({"vr":"AS"})"}, "AS")); // no value
}
