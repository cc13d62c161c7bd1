#include <catch2/catch.hpp>

#include "protocols/dicom/qido.hpp"

using namespace atrium;
using namespace atrium::dicom;

namespace {

match_term term(std::string_view keyword, std::string value) {
  auto* a = find_attribute(keyword);
  REQUIRE(a);
  return {a, std::move(value)};
}

result<qido_query> parse(http::query_params p, level l = level::study) { return parse_qido(p, l); }

} // namespace

TEST_CASE("QIDO attributes are found by keyword and by tag", "[dicom][qido]") {
  REQUIRE(find_attribute("PatientName"));
  CHECK(find_attribute("00100010") == find_attribute("PatientName"));
  CHECK(find_attribute(tags::study_instance_uid)->level == level::study);
  CHECK(find_attribute("SOPInstanceUID")->level == level::instance);
  CHECK_FALSE(find_attribute("Nope"));
  CHECK(tag_key(0x0020000D) == "0020000D");
  CHECK(parse_tag("7FE00010") == 0x7FE00010u);
  CHECK_FALSE(parse_tag("7FE0001"));
  CHECK_FALSE(parse_tag("7FE0001G"));
}

TEST_CASE("QIDO parameters are checked", "[dicom][qido]") {
  auto q = parse({{"PatientID", "p1"}, {"limit", "5"}, {"offset", "10"}, {"includefield", "StudyTime,00100040"},
                  {"fuzzymatching", "true"}});
  REQUIRE(q);
  CHECK(q->terms.size() == 1);
  CHECK(q->limit == 5);
  CHECK(q->offset == 10);
  CHECK(q->fuzzy);
  CHECK(q->include.size() == 2);
  CHECK(parse({{"includefield", "all"}})->include_all);
  CHECK_FALSE(parse({{"limit", "0"}}));
  CHECK_FALSE(parse({{"limit", "201"}}));
  CHECK_FALSE(parse({{"limit", "x"}}));
  CHECK_FALSE(parse({{"Unknown", "1"}}));
  CHECK_FALSE(parse({{"StudyTime", "1"}}));       // known, not searchable
  CHECK_FALSE(parse({{"Modality", "CT"}}));       // series level, asked at study level
  CHECK(parse({{"Modality", "CT"}}, level::series));
  CHECK_FALSE(parse({{"StudyDate", "-"}}));
  CHECK_FALSE(parse({{"PatientID", ""}}));
  CHECK_FALSE(parse({{"includefield", "NotAKeyword"}}));
}

TEST_CASE("QIDO dates are YYYYMMDD or ranges of them, in order", "[dicom][qido]") {
  CHECK(parse({{"StudyDate", "20200101"}}));
  CHECK(parse({{"StudyDate", "20200101-20201231"}}));
  CHECK(parse({{"StudyDate", "-20201231"}}));
  CHECK(parse({{"PatientBirthDate", "19700101-"}}));
  CHECK(parse({{"StudyDate", "20240229"}})); // a leap day
  for (auto bad : {"2020", "2020-01-01", "20201301", "20200132", "20230229", "20230431", "abc",
                   "20211231-20200101",
                   "2020010-20200102"}) {
    INFO(bad);
    CHECK_FALSE(parse({{"StudyDate", bad}}));
  }
  CHECK_FALSE(parse({{"PatientBirthDate", "abc"}}));
  // Spaces around a range's ends are no part of it (Azure trims them).
  auto spaced = parse({{"StudyDate", "20050101 - "}});
  REQUIRE(spaced);
  CHECK(spaced->terms.at(0).value == "20050101-");
  CHECK(parse({{"StudyDate", " 20050101-20051231 "}}));
  CHECK_FALSE(parse({{"StudyDate", "2005 0101"}})); // inside a date, a space is no trim
}

TEST_CASE("QIDO refuses an attribute given twice, under any of its names", "[dicom][qido]") {
  CHECK_FALSE(parse({{"PatientID", "1"}, {"PatientID", "2"}}));
  CHECK_FALSE(parse({{"PatientID", "1"}, {"00100020", "1"}}));
  CHECK(parse({{"PatientID", "1"}, {"PatientName", "Doe"}}));
}

TEST_CASE("QIDO parameter names are matched without case; includefield takes any keyword",
          "[dicom][qido]") {
  auto q = parse({{"Limit", "7"}, {"OFFSET", "2"}, {"FuzzyMatching", "true"},
                  {"IncludeField", "StationName,Manufacturer"}});
  REQUIRE(q);
  CHECK(q->limit == 7);
  CHECK(q->offset == 2);
  CHECK(q->fuzzy);
  CHECK(q->include == std::vector<tag>{0x00081010, 0x00080070}); // from the data dictionary
  CHECK(parse({{"includefield", "ALL"}})->include_all);
  CHECK(parse({{"fuzzymatching", "TRUE"}})->fuzzy);
}

TEST_CASE("QIDO under a study or series takes no attribute the path fixes", "[dicom][qido]") {
  CHECK(parse_qido({{"Modality", "CT"}}, level::series, {}, level::study));
  CHECK_FALSE(parse_qido({{"PatientName", "Doe"}}, level::series, {}, level::study));
  CHECK(parse_qido({{"SOPInstanceUID", "1.2"}}, level::instance, {}, level::series));
  CHECK_FALSE(parse_qido({{"Modality", "CT"}}, level::instance, {}, level::series));
  CHECK(parse_qido({{"Modality", "CT"}}, level::instance, {}, level::study));
  CHECK(parse_qido({{"PatientName", "Doe"}}, level::instance)); // not nested: all levels above
}

TEST_CASE("QIDO matching: exact, UID lists, ranges, wildcards, fuzzy names", "[dicom][qido]") {
  // Person names without case or accents (Azure's v2 conformance).
  CHECK(matches(term("PatientName", "MULLER^JORG"), "Müller^Jörg", false));
  CHECK(matches(term("PatientName", "muller"), "Müller^Jörg", true));
  CHECK_FALSE(matches(term("PatientName", "MULLER^JOR"), "Müller^Jörg", false));
  CHECK(matches(term("PatientName", "MUL*"), "Müller^Jörg", false));
  CHECK(matches(term("PatientName", "Mül*"), "Muller^Jorg", false));
  // Only accents and case fold, as in the study index: the same answer by
  // either path.
  CHECK_FALSE(matches(term("PatientName", "Doe John"), "Doe^John", false));
  CHECK(matches(term("PatientID", "abc"), "ABC", false)); // case-insensitive
  CHECK_FALSE(matches(term("PatientID", "abc"), "abcd", false));
  CHECK(matches(term("StudyInstanceUID", "1.2,1.3"), "1.3", false));
  CHECK_FALSE(matches(term("StudyInstanceUID", "1.2"), "1.2.3", false));
  CHECK(matches(term("StudyDate", "20240101-20240131"), "20240115", false));
  CHECK_FALSE(matches(term("StudyDate", "20240101-20240131"), "20240201", false));
  CHECK(matches(term("StudyDate", "20240101-"), "20250101", false));
  CHECK(matches(term("StudyDate", "-20240101"), "20230101", false));
  CHECK_FALSE(matches(term("StudyDate", "-20240101"), "", false));
  CHECK(matches(term("StudyDate", "20240115"), "20240115", false));
  // A stored date that failed validation matches no date query.
  CHECK_FALSE(matches(term("StudyDate", "20200101-"), "NotADate", false));
  CHECK_FALSE(matches(term("PatientBirthDate", "19000101-"), "19xx0101", false));
  CHECK_FALSE(matches(term("PatientBirthDate", "-20000101"), "19xx0101", false));
  CHECK(matches(term("PatientName", "do*"), "Doe^John", false));
  CHECK(matches(term("PatientName", "D?e^J*n"), "Doe^John", false));
  CHECK_FALSE(matches(term("PatientName", "do?"), "Doe^John", false));
  CHECK(matches(term("PatientName", "jo do"), "Doe^John", true));
  CHECK(matches(term("PatientName", "joh"), "Doe^John", true));
  CHECK_FALSE(matches(term("PatientName", "ohn"), "Doe^John", true));
  CHECK_FALSE(matches(term("PatientName", "joh"), "Doe^John", false)); // exact without fuzzy
  CHECK(matches(term("ModalitiesInStudy", "mr"), "CT\\MR", false));
  CHECK_FALSE(matches(term("ModalitiesInStudy", "US"), "CT\\MR", false));
}

TEST_CASE("stored DICOM JSON objects parse back into attributes", "[dicom][qido]") {
  auto attrs = parse_dataset(R"({"00100010":{"vr":"PN","Value":[{"Alphabetic":"Doe^John"}]},"00080020":{"vr":"DA"}})");
  REQUIRE(attrs.size() == 2);
  CHECK(attrs[0].tag == tags::patient_name);
  CHECK(attrs[0].vr == "PN");
  CHECK(attrs[0].json == R"({"vr":"PN","Value":[{"Alphabetic":"Doe^John"}]})");
  CHECK(attrs[1].json == R"({"vr":"DA"})");
  CHECK(parse_dataset("not json").empty());
}

TEST_CASE("extended query tags take dictionary keywords and VRs", "[dicom][qido]") {
  auto tags = parse_query_tags(R"([{"Path":"StationName","Level":"Series"},)"
                               R"({"Path":"00180050","VR":"DS","Level":"Instance"}])");
  REQUIRE(tags);
  CHECK((*tags)[0].tag == 0x00081010u);
  CHECK((*tags)[0].vr == "SH"); // from the dictionary
  CHECK((*tags)[1].vr == "DS");
  auto mismatch = parse_query_tags(R"([{"Path":"SliceThickness","VR":"CS","Level":"Instance"}])");
  REQUIRE_FALSE(mismatch);
  CHECK(mismatch.error().message().find("which is DS") != std::string::npos);
  CHECK_FALSE(parse_query_tags(R"([{"Path":"NoSuchKeyword","VR":"CS","Level":"Study"}])"));
}

TEST_CASE("an extended query tag keeps its query status and re-index bound when stored",
          "[dicom][qido]") {
  query_tag t{0x00101010, "AS", level::study, true, "op1", false, 42, ""};
  auto back = decode_query_tag(encode(t));
  REQUIRE(back);
  CHECK(back->tag == t.tag);
  CHECK(back->ready);
  CHECK(back->operation == "op1");
  CHECK_FALSE(back->query_enabled);
  CHECK(back->validate_below == 42);
  // Stored by an earlier build: enabled, every instance checked.
  auto old = decode_query_tag(
    R"({"Path":"00101010","VR":"AS","Level":"Study","Status":"Ready","Operation":"op0"})");
  REQUIRE(old);
  CHECK(old->query_enabled);
  CHECK(old->validate_below == UINT64_MAX);
  // Errors are linked only when there are some.
  CHECK(query_tag_json(t).find("Errors") == std::string::npos);
  CHECK(query_tag_json(t).find(R"("QueryStatus":"Disabled")") != std::string::npos);
  CHECK(query_tag_json(t, 3, "http://h/x/errors").find(R"("Errors":{"Count":3,"Href":"http://h/x/errors"})") !=
        std::string::npos);
}

TEST_CASE("a disabled extended query tag is refused by QIDO with the reason", "[dicom][qido]") {
  std::vector<query_tag> tags{{0x00101010, "AS", level::study, true, "op1", false, 1, ""},
                              {0x00081010, "SH", level::series, true, "op1", true, 1, ""}};
  auto refused = parse_qido({{"PatientAge", "040Y"}}, level::study, tags);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message().find("disabled") != std::string::npos);
  CHECK(parse_qido({{"StationName", "CT1"}}, level::series, tags));
  tags[0].query_enabled = true;
  CHECK(parse_qido({{"PatientAge", "040Y"}}, level::study, tags));
}

TEST_CASE("a private extended query tag needs its creator and VR, and is found in its creator's block",
          "[dicom][qido]") {
  auto tags = parse_query_tags(
    R"([{"Path":"00091001","VR":"LO","PrivateCreator":"ACME 1.0","Level":"Instance"}])");
  REQUIRE(tags);
  CHECK((*tags)[0].private_creator == "ACME 1.0");
  CHECK(decode_query_tag(encode((*tags)[0]))->private_creator == "ACME 1.0");
  CHECK(query_tag_json((*tags)[0]).find(R"("PrivateCreator":"ACME 1.0")") != std::string::npos);
  CHECK_FALSE(parse_query_tags(R"([{"Path":"00091001","VR":"LO","Level":"Instance"}])"));
  CHECK_FALSE(parse_query_tags(R"([{"Path":"00091001","PrivateCreator":"ACME 1.0","Level":"Instance"}])"));
  CHECK_FALSE(parse_query_tags(R"([{"Path":"00090010","VR":"LO","PrivateCreator":"ACME 1.0","Level":"Study"}])"));
  CHECK_FALSE(parse_query_tags(R"([{"Path":"00101010","VR":"AS","PrivateCreator":"ACME 1.0","Level":"Study"}])"));

  auto lo = [](tag t, const char* value) {
    return attribute{t, "LO", std::string{R"({"vr":"LO","Value":[")"} + value + "\"]}"};
  };
  // ACME reserved block 0x11 here; block 0x10 is another creator's.
  std::vector<attribute> attrs{lo(0x00090010, "OTHER"), lo(0x00090011, "ACME 1.0"),
                               lo(0x00091001, "NOT ACME'S"), lo(0x00091101, "ACME'S")};
  auto* found = find_tag_value(attrs, (*tags)[0]);
  REQUIRE(found);
  CHECK(found->tag == 0x00091101u);
  CHECK(first_value_text(*found) == "ACME'S");
  attrs.erase(attrs.begin() + 1); // no ACME block: nothing, not block 0x10's value
  CHECK_FALSE(find_tag_value(attrs, (*tags)[0]));
}
