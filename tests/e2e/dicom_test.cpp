// DICOMweb end to end: STOW-RS, WADO-RS, QIDO-RS, delete and the change
// feed, on instances DCMTK generates (tests/support), so no sample files
// are needed.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "protocols/dicom/fhir_mapping.hpp"
#include "protocols/dicom/instance.hpp"
#include "protocols/dicom/multipart.hpp"
#include "protocols/dicom/pixels.hpp"
#include "tests/e2e/dicom_bodies.hpp"
#include "tests/e2e/harness.hpp"
#include "tools/dicomgen/dicom_files.hpp"

using namespace e2e;
using atrium::dicomgen::dicom_spec;
using atrium::dicomgen::make_dicom;

namespace {

const std::string base = "/default/dicom/v2";

/// UIDs unique to each test case, so cases on the shared node never meet.
std::string uid(std::string_view what) {
  static std::atomic<int> n{0};
  static const auto run = std::to_string(::getpid());
  return "1.2.826.0.1.3680043.10.1." + run + "." + std::to_string(++n) + "." +
         std::to_string(what.size());
}

dicom_spec spec(const std::string& study, const std::string& series, const std::string& sop) {
  dicom_spec s;
  s.study_uid = study;
  s.series_uid = series;
  s.sop_uid = sop;
  return s;
}

http_response stow(http_client& c, const std::vector<std::string>& files,
                   const std::string& path = base + "/studies", std::string method = "POST") {
  auto [type, body] = stow_body(files);
  return c.request(method, path, body, {{"Content-Type", type}, {"Accept", "application/dicom+json"}});
}

std::vector<std::string> parts_of(const http_response& r) {
  auto type = atrium::dicom::parse_media_type(r.header("content-type").value_or(""));
  REQUIRE(type);
  auto boundary = type->param("boundary");
  REQUIRE(boundary);
  auto parts = atrium::dicom::parse_multipart(r.body, *boundary);
  REQUIRE(parts);
  std::vector<std::string> out;
  for (auto& p : *parts)
    out.emplace_back(p.body);
  return out;
}

} // namespace

TEST_CASE("STOW-RS stores instances and WADO-RS returns them byte for byte", "[e2e][dicom]") {
  auto c = shared_node().client();
  auto study = uid("study"), series = uid("series");
  auto a = make_dicom(spec(study, series, uid("a")));
  auto b_spec = spec(study, series, uid("b"));
  b_spec.instance_number = 2;
  auto b = make_dicom(b_spec);

  auto r = stow(*c, {a, b});
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type").value_or("").find("application/dicom+json") == 0);
  json answer{r.body};
  CHECK(answer.count("/00081199/Value") == 2);
  CHECK_FALSE(answer.has("/00081198"));
  CHECK(answer.str("/00081199/Value/0/00081190/Value/0").find("/studies/" + study) != std::string::npos);

  SECTION("an instance single-part and as stored") {
    auto got = c->get(base + "/studies/" + study + "/series/" + series + "/instances/" + b_spec.sop_uid,
                      {{"Accept", "application/dicom; transfer-syntax=*"}});
    REQUIRE(got.status == 200);
    CHECK(got.body == b);
    CHECK(got.header("content-type").value_or("").find("transfer-syntax=1.2.840.10008.1.2.1") !=
          std::string::npos);
  }
  SECTION("a study and a series as multipart") {
    for (auto path : {base + "/studies/" + study, base + "/studies/" + study + "/series/" + series}) {
      auto got = c->get(path, {{"Accept", "multipart/related; type=\"application/dicom\"; transfer-syntax=*"}});
      REQUIRE(got.status == 200);
      auto parts = parts_of(got);
      REQUIRE(parts.size() == 2);
      CHECK(((parts[0] == a && parts[1] == b) || (parts[0] == b && parts[1] == a)));
    }
    // Accept on two lines is one list (RFC 9110): the second line's type serves.
    auto two_lines = c->get(base + "/studies/" + study,
                            {{"Accept", "application/dicom+json"},
                             {"Accept", "multipart/related; type=\"application/dicom\"; transfer-syntax=*"}});
    CHECK(two_lines.status == 200);
    CHECK(parts_of(two_lines).size() == 2);
  }
  SECTION("a transfer syntax this build cannot produce is refused with 406") {
    auto got = c->get(base + "/studies/" + study,
                      {{"Accept", "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.201"}});
    CHECK(got.status == 406);
  }
  SECTION("unknown UIDs are 404") {
    CHECK(c->get(base + "/studies/" + uid("none")).status == 404);
  }
}

TEST_CASE("STOW-RS refusals carry Azure's failure reasons", "[e2e][dicom]") {
  auto c = shared_node().client();
  auto study = uid("study"), series = uid("series");
  auto file = make_dicom(spec(study, series, uid("x")));
  REQUIRE(stow(*c, {file}).status == 200);

  SECTION("a duplicate is 45070 and, alone, 409") {
    auto r = stow(*c, {file});
    REQUIRE(r.status == 409);
    json answer{r.body};
    CHECK(answer.num("/00081198/Value/0/00081197/Value/0") == 45070);
  }
  SECTION("one stored and one refused is 202") {
    auto fresh = make_dicom(spec(study, series, uid("y")));
    auto r = stow(*c, {fresh, file});
    REQUIRE(r.status == 202);
    json answer{r.body};
    CHECK(answer.count("/00081199/Value") == 1);
    CHECK(answer.count("/00081198/Value") == 1);
  }
  SECTION("a study UID that differs from the path is 43265") {
    auto other = make_dicom(spec(uid("other"), series, uid("z")));
    auto r = stow(*c, {other}, base + "/studies/" + study);
    REQUIRE(r.status == 409);
    json answer{r.body};
    CHECK(answer.num("/00081198/Value/0/00081197/Value/0") == 43265);
  }
  SECTION("an instance without a SOP Instance UID is 43264; garbage is 272") {
    auto no_sop = spec(study, series, "");
    auto r = stow(*c, {make_dicom(no_sop), std::string(300, 'x')});
    REQUIRE(r.status == 409);
    json answer{r.body};
    CHECK(answer.num("/00081198/Value/0/00081197/Value/0") == 43264);
    CHECK(answer.num("/00081198/Value/1/00081197/Value/0") == 272);
    // What failed is said, and the instance is named by what could be read.
    CHECK(answer.str("/00081198/Value/0/00741048/Value/0/00000902/Value/0").find("SOPInstanceUID") !=
          std::string::npos);
    CHECK(answer.str("/00081198/Value/0/00081150/Value/0") == no_sop.sop_class_uid);
    CHECK_FALSE(answer.has("/00081198/Value/0/00081155"));
  }
  SECTION("one UID for two levels is 43264") {
    auto same = spec(study, study, uid("w"));
    auto r = stow(*c, {make_dicom(same)});
    REQUIRE(r.status == 409);
    json answer{r.body};
    CHECK(answer.num("/00081198/Value/0/00081197/Value/0") == 43264);
    CHECK(answer.str("/00081198/Value/0/00081155/Value/0") == same.sop_uid);
  }
  SECTION("implicit VR is stored with warning 45063, and 202") {
    auto s = spec(study, series, uid("iv"));
    s.transfer_syntax = "1.2.840.10008.1.2";
    auto implicit_vr = make_dicom(s);
    auto r = stow(*c, {implicit_vr});
    REQUIRE(r.status == 202);
    json answer{r.body};
    CHECK(answer.num("/00081199/Value/0/00081196/Value/0") == 45063);
    CHECK_FALSE(answer.has("/00081198"));
    auto got = c->get(base + "/studies/" + study + "/series/" + series + "/instances/" + s.sop_uid,
                      {{"Accept", "application/dicom; transfer-syntax=*"}});
    REQUIRE(got.status == 200);
    CHECK(got.body == implicit_vr);
  }
  SECTION("v1 refuses what v2 stores with a warning, and answers 200 for warnings") {
    const std::string v1 = "/default/dicom/v1/studies";
    auto bad_date = spec(study, series, uid("d1"));
    bad_date.study_date = "NotAValidDate";
    auto r = stow(*c, {make_dicom(bad_date)}, v1);
    REQUIRE(r.status == 409);
    json refused{r.body};
    CHECK(refused.num("/00081198/Value/0/00081197/Value/0") == 43264);
    CHECK(refused.str("/00081198/Value/0/00741048/Value/0/00000902/Value/0").find("(0008,0020)") !=
          std::string::npos);
    bad_date.sop_uid = uid("d2");
    auto stored_bad = make_dicom(bad_date);
    CHECK(stow(*c, {stored_bad}).status == 202); // v2: stored, warning 1, the date hidden
    const auto path = base + "/studies/" + study + "/series/" + series + "/instances/" + bad_date.sop_uid;
    json meta{c->get(path + "/metadata").body};
    CHECK_FALSE(meta.has("/0/00080020"));
    CHECK(meta.has("/0/00100030"));
    CHECK(c->get(path, {{"Accept", "application/dicom; transfer-syntax=*"}}).body == stored_bad);

    auto no_patient = spec(study, series, uid("p1"));
    no_patient.patient_id.clear();
    no_patient.extra = {{0x00100020, ""}}; // present, empty
    r = stow(*c, {make_dicom(no_patient)}, v1);
    REQUIRE(r.status == 409);
    CHECK(json{r.body}.num("/00081198/Value/0/00081197/Value/0") == 43264);
    r = stow(*c, {make_dicom(no_patient)}); // v2 stores it empty, with a warning
    REQUIRE(r.status == 202);
    CHECK(json{r.body}.num("/00081199/Value/0/00081196/Value/0") == 1);
    CHECK(json{r.body}.str("/00081199/Value/0/00741048/Value/0/00000902/Value/0").find("(0010,0020)") ==
          0);

    // v1 checks only the searchable attributes; v2 every one, and hides
    // what fails from the metadata.
    auto bad_number = spec(study, series, uid("n1"));
    bad_number.extra = {{0x00200013, "abc"}}; // InstanceNumber, IS
    bad_number.instance_number = 0;
    CHECK(stow(*c, {make_dicom(bad_number)}, v1).status == 200);
    bad_number.sop_uid = uid("n2");
    r = stow(*c, {make_dicom(bad_number)});
    REQUIRE(r.status == 202);
    CHECK(json{r.body}.num("/00081199/Value/0/00081196/Value/0") == 1);
    const auto n2 = base + "/studies/" + study + "/series/" + series + "/instances/" + bad_number.sop_uid;
    CHECK_FALSE(json{c->get(n2 + "/metadata").body}.has("/0/00200013"));

    auto implicit_vr = spec(study, series, uid("i1"));
    implicit_vr.transfer_syntax = "1.2.840.10008.1.2";
    r = stow(*c, {make_dicom(implicit_vr)}, v1);
    REQUIRE(r.status == 200); // a warning alone is 202 on v2 only
    CHECK(json{r.body}.num("/00081199/Value/0/00081196/Value/0") == 45063);
  }
  SECTION("PUT replaces an instance (upsert)") {
    auto s = spec(study, series, uid("u"));
    REQUIRE(stow(*c, {make_dicom(s)}).status == 200);
    s.patient_name = "Changed^Name";
    auto replacement = make_dicom(s);
    REQUIRE(stow(*c, {replacement}, base + "/studies", "PUT").status == 200);
    auto got = c->get(base + "/studies/" + study + "/series/" + series + "/instances/" + s.sop_uid,
                      {{"Accept", "application/dicom; transfer-syntax=*"}});
    CHECK(got.body == replacement);
  }
  SECTION("wrong media types") {
    CHECK(c->post(base + "/studies", file, {{"Content-Type", "application/json"}}).status == 415);
    CHECK(c->post(base + "/studies", file, {{"Content-Type", "application/dicom"},
                                            {"Accept", "application/xml"}}).status == 406);
    CHECK(c->post(base + "/studies", "", {{"Content-Type", "application/dicom"}}).status == 204);
    // No boundary, or a part that is no instance: the whole request is
    // refused with 415 and nothing is stored (Azure).
    CHECK(c->post(base + "/studies", file,
                  {{"Content-Type", "multipart/related; type=\"application/dicom\""}})
            .status == 415);
    const auto other = spec(study, series, uid("mt"));
    const std::string mixed = "--B\r\nContent-Type: application/dicom\r\n\r\n" + make_dicom(other) +
                              "\r\n--B\r\nContent-Type: application/octet-stream\r\n\r\nxyz\r\n--B--\r\n";
    CHECK(c->post(base + "/studies", mixed,
                  {{"Content-Type", "multipart/related; type=\"application/dicom\"; boundary=B"}})
            .status == 415);
    CHECK(c->get(base + "/studies/" + study + "/series/" + series + "/instances/" + other.sop_uid +
                 "/metadata")
            .status == 404);
  }
}

TEST_CASE("WADO-RS metadata is DICOM JSON with an ETag", "[e2e][dicom]") {
  auto c = shared_node().client();
  auto study = uid("study"), series = uid("series");
  REQUIRE(stow(*c, {make_dicom(spec(study, series, uid("m")))}).status == 200);
  auto r = c->get(base + "/studies/" + study + "/metadata");
  REQUIRE(r.status == 200);
  json meta{r.body};
  REQUIRE(meta.count("") == 1);
  CHECK(meta.str("/0/00100010/Value/0/Alphabetic") == "Doe^John");
  CHECK(meta.str("/0/0020000D/Value/0") == study);
  CHECK_FALSE(meta.has("/0/7FE00010")); // bulk data left out
  auto etag = r.header("etag");
  REQUIRE(etag);
  CHECK(c->get(base + "/studies/" + study + "/metadata", {{"If-None-Match", *etag}}).status == 304);
  // Weakly, in a list, or by *.
  CHECK(c->get(base + "/studies/" + study + "/metadata", {{"If-None-Match", "W/" + *etag}})
          .status == 304);
  CHECK(c->get(base + "/studies/" + study + "/metadata",
               {{"If-None-Match", "\"other\", " + *etag}})
          .status == 304);
  // A new instance in the study changes the answer and its tag.
  REQUIRE(stow(*c, {make_dicom(spec(study, series, uid("m2")))}).status == 200);
  auto again = c->get(base + "/studies/" + study + "/metadata", {{"If-None-Match", *etag}});
  CHECK(again.status == 200);
  CHECK(json{again.body}.count("") == 2);
}

TEST_CASE("QIDO-RS searches studies, series and instances", "[e2e][dicom]") {
  auto c = shared_node().client();
  auto patient = "QIDO-" + uid("p");
  auto study1 = uid("s1"), study2 = uid("s2");
  auto ct = uid("ct"), mr = uid("mr"), ct2 = uid("ct2");
  auto s1 = spec(study1, ct, uid("i1"));
  s1.patient_id = patient;
  s1.patient_name = "Doe^John";
  s1.study_date = "20240110";
  auto s2 = spec(study1, mr, uid("i2"));
  s2.patient_id = patient;
  s2.patient_name = "Doe^John";
  s2.study_date = "20240110";
  s2.modality = "MR";
  auto s3 = spec(study2, ct2, uid("i3"));
  s3.patient_id = patient;
  s3.patient_name = "Roe^Jane";
  s3.study_date = "20240301";
  REQUIRE(stow(*c, {make_dicom(s1), make_dicom(s2), make_dicom(s3)}).status == 200);
  auto q = [&](const std::string& path) { return c->get(base + path); };

  auto r = q("/studies?PatientID=" + patient);
  REQUIRE(r.status == 200);
  json studies{r.body};
  CHECK(studies.count("") == 2);

  json one{q("/studies?PatientID=" + patient + "&StudyInstanceUID=" + study1 +
             "&includefield=all").body};
  REQUIRE(one.count("") == 1);
  CHECK(one.num("/0/00201206/Value/0") == 2); // NumberOfStudyRelatedSeries
  CHECK(one.num("/0/00201208/Value/0") == 2);
  CHECK(one.count("/0/00080061/Value") == 2); // ModalitiesInStudy CT, MR

  CHECK(json{q("/studies?PatientID=" + patient + "&ModalitiesInStudy=MR").body}.count("") == 1);
  CHECK(json{q("/studies?PatientID=" + patient + "&StudyDate=20240101-20240131").body}.count("") == 1);
  CHECK(json{q("/studies?PatientID=" + patient + "&StudyDate=20240201-").body}.count("") == 1);
  CHECK(json{q("/studies?PatientID=" + patient + "&PatientName=jo&fuzzymatching=true").body}.count("") == 1);
  CHECK(q("/studies?PatientID=" + patient + "&PatientName=ohn&fuzzymatching=true").status == 204);
  CHECK(json{q("/studies?PatientID=" + patient + "&PatientName=R*").body}.count("") == 1);
  CHECK(json{q("/studies?PatientID=" + patient + "&PatientName=doe%5Ejohn").body}.count("") == 1);
  CHECK(json{q("/studies?PatientID=" + patient + "&limit=1").body}.count("") == 1);
  CHECK(json{q("/studies?PatientID=" + patient + "&limit=1&offset=1").body}.count("") == 1);
  CHECK(q("/studies?PatientID=" + patient + "&offset=2").status == 204);

  json series{q("/studies/" + study1 + "/series").body};
  CHECK(series.count("") == 2);
  // Results name the UIDs of their path too, and carry what they matched on.
  CHECK(series.str("/0/0020000D/Value/0") == study1);
  json matched{q("/studies?PatientID=" + patient + "&ModalitiesInStudy=MR").body};
  CHECK(matched.count("/0/00080061/Value") == 2); // ModalitiesInStudy: CT and MR
  CHECK(json{q("/series?PatientID=" + patient + "&Modality=CT").body}.count("") == 2);
  json instances{q("/studies/" + study1 + "/series/" + mr + "/instances").body};
  REQUIRE(instances.count("") == 1);
  CHECK(instances.str("/0/00080018/Value/0") == s2.sop_uid);
  CHECK(instances.str("/0/0020000D/Value/0") == study1);
  CHECK(instances.str("/0/0020000E/Value/0") == mr);
  CHECK(json{q("/instances?PatientID=" + patient).body}.count("") == 3);

  SECTION("the study index follows updates and deletes") {
    CHECK(json{q("/studies?PatientID=" + patient + "&AccessionNumber=acc*").body}.count("") == 2);
    CHECK(json{q("/series?PatientID=" + patient + "&Modality=MR").body}.count("") == 1);
    REQUIRE(c->del(base + "/studies/" + study1 + "/series/" + mr).status == 204);
    CHECK(q("/studies?PatientID=" + patient + "&ModalitiesInStudy=MR").status == 204);
    CHECK(json{q("/studies?PatientID=" + patient + "&ModalitiesInStudy=CT").body}.count("") == 2);
    auto renamed = s3;
    renamed.patient_name = "Poe^Edgar";
    REQUIRE(stow(*c, {make_dicom(renamed)}, base + "/studies", "PUT").status == 200);
    CHECK(q("/studies?PatientID=" + patient + "&PatientName=Roe*").status == 204);
    CHECK(json{q("/studies?PatientName=poe%5Eedgar&PatientID=" + patient).body}.count("") == 1);
  }
  SECTION("person names match without accents, through the study index too") {
    auto accented = spec(uid("s4"), uid("se4"), uid("i4"));
    accented.patient_id = patient;
    accented.patient_name = "Müller^Jörg"; // UTF-8: the generator writes ISO_IR 192
    REQUIRE(stow(*c, {make_dicom(accented)}).status == 200);
    // PatientName first: the index serves the first indexed term.
    CHECK(json{q("/studies?PatientName=MULLER%5EJORG&PatientID=" + patient).body}.count("") == 1);
    CHECK(json{q("/studies?PatientName=m%C3%BCller*&PatientID=" + patient).body}.count("") == 1);
    CHECK(json{q("/series?PatientID=" + patient + "&PatientName=muller&fuzzymatching=true").body}
            .count("") == 1);
  }
  SECTION("v1 returns v1's default attributes, v2 its own") {
    const std::string v1 = "/default/dicom/v1";
    json v2_study{q("/studies?StudyInstanceUID=" + study2).body};
    json v1_study{c->get(v1 + "/studies?StudyInstanceUID=" + study2).body};
    CHECK(v2_study.str("/0/00081030/Value/0") == "CT CHEST"); // StudyDescription
    CHECK_FALSE(v2_study.has("/0/00080030"));                 // StudyTime
    CHECK(v1_study.str("/0/00080030/Value/0") == "101500");
    CHECK_FALSE(v1_study.has("/0/00081030"));
    CHECK(v1_study.str("/0/00100020/Value/0") == patient); // in both
    json v2_series{q("/studies/" + study2 + "/series").body};
    json v1_series{c->get(v1 + "/studies/" + study2 + "/series").body};
    CHECK_FALSE(v2_series.has("/0/0008103E"));                 // SeriesDescription
    CHECK(v1_series.str("/0/0008103E/Value/0") == "AXIAL");
    json v2_instance{q("/studies/" + study2 + "/instances").body};
    json v1_instance{c->get(v1 + "/studies/" + study2 + "/instances").body};
    CHECK_FALSE(v2_instance.has("/0/00280010")); // Rows
    CHECK(v1_instance.num("/0/00280010/Value/0") == 16);
    CHECK(v1_instance.str("/0/00080016/Value/0") == "1.2.840.10008.5.1.4.1.1.2"); // SOPClassUID
  }
  SECTION("bad queries are 400") {
    CHECK(q("/studies?limit=0").status == 400);
    CHECK(q("/studies?limit=201").status == 400);
    CHECK(q("/studies?NoSuchAttribute=1").status == 400);
    CHECK(q("/studies?SOPInstanceUID=1.2").status == 400); // an instance attribute at study level
    CHECK(q("/studies?StudyDate=-").status == 400);
  }
}

TEST_CASE("DELETE removes instances, series and studies", "[e2e][dicom]") {
  auto c = shared_node().client();
  auto study = uid("study"), series = uid("series"), other = uid("series");
  auto a = spec(study, series, uid("a")), b = spec(study, series, uid("b")), d = spec(study, other, uid("d"));
  REQUIRE(stow(*c, {make_dicom(a), make_dicom(b), make_dicom(d)}).status == 200);
  auto path = base + "/studies/" + study;

  REQUIRE(c->del(path + "/series/" + series + "/instances/" + a.sop_uid).status == 204);
  CHECK(c->get(path + "/series/" + series + "/instances/" + a.sop_uid).status == 404);
  CHECK(c->del(path + "/series/" + series + "/instances/" + a.sop_uid).status == 404);
  json one{c->get(base + "/studies?StudyInstanceUID=" + study + "&includefield=all").body};
  CHECK(one.num("/0/00201208/Value/0") == 2);

  REQUIRE(c->del(path + "/series/" + series).status == 204);
  json left{c->get(base + "/studies?StudyInstanceUID=" + study + "&includefield=all").body};
  CHECK(left.num("/0/00201206/Value/0") == 1);
  CHECK(left.num("/0/00201208/Value/0") == 1);

  REQUIRE(c->del(path).status == 204);
  CHECK(c->get(path).status == 404);
  CHECK(c->get(base + "/studies?StudyInstanceUID=" + study).status == 204);
}

TEST_CASE("the change feed lists creates and deletes in order", "[e2e][dicom]") {
  node n; // its own node: the feed starts empty
  auto c = n.client();
  auto study = uid("study"), series = uid("series");
  auto a = spec(study, series, uid("a")), b = spec(study, series, uid("b"));
  REQUIRE(stow(*c, {make_dicom(a)}).status == 200);
  REQUIRE(stow(*c, {make_dicom(b)}).status == 200);
  REQUIRE(c->del(base + "/studies/" + study + "/series/" + series + "/instances/" + a.sop_uid).status == 204);

  json feed{c->get(base + "/changefeed?offset=0&limit=10").body};
  REQUIRE(feed.count("") == 3);
  CHECK(feed.num("/0/Sequence") == 1);
  CHECK(feed.str("/0/Action") == "create");
  CHECK(feed.str("/0/State") == "deleted");
  CHECK(feed.str("/1/State") == "current");
  CHECK(feed.str("/1/Metadata/00080018/Value/0") == b.sop_uid);
  CHECK(feed.str("/2/Action") == "delete");
  CHECK(feed.num("/2/Sequence") == 3);

  json page{c->get(base + "/changefeed?offset=1&limit=1").body};
  REQUIRE(page.count("") == 1);
  CHECK(page.num("/0/Sequence") == 2);
  json latest{c->get(base + "/changefeed/latest").body};
  CHECK(latest.num("/Sequence") == 3);
  // Parameter names bind without case, as Azure's do (its docs write includeMetadata).
  json bare{c->get(base + "/changefeed?offset=1&Limit=1&includeMetadata=FALSE").body};
  REQUIRE(bare.count("") == 1);
  CHECK_FALSE(bare.has("/0/Metadata"));
  // A nested search takes no attribute its path fixes; a bad date is refused.
  CHECK(c->get(base + "/studies/" + study + "/series?PatientName=Doe").status == 400);
  CHECK(c->get(base + "/studies?StudyDate=2020-01-01").status == 400);
  json v2{c->get(base + "/changefeed?offset=2&startTime=2000-01-01T00:00:00Z").body};
  REQUIRE(v2.count("") == 1);
  CHECK(v2.num("/0/Sequence") == 3);
  // A window's ends are instants, in order; an empty one is no end, and v1
  // passes over them (Azure).
  for (auto bad : {"startTime=2000-01-01T00:00:00", "startTime=2000-01-01",
                   "startTime=2001-01-01T00:00:00Z&endTime=2000-01-01T00:00:00Z",
                   "startTime=2000-01-01T00:00:00Z&endTime=2000-01-01T00:00:00Z"}) {
    INFO(bad);
    CHECK(c->get(base + "/changefeed?" + bad).status == 400);
  }
  CHECK(json{c->get(base + "/changefeed?startTime=&endTime=2999-01-01T00:00:00%2B01:00").body}
          .count("") == 3);
  CHECK(json{c->get("/default/dicom/v1/changefeed?startTime=2999-01-01T00:00:00Z").body}.count("") ==
        3);

  // The feed, the records and the bytes survive a restart.
  n.kill();
  n.start();
  c = n.client();
  CHECK(json{c->get(base + "/changefeed").body}.count("") == 3);
  auto got = c->get(base + "/studies/" + study + "/series/" + series + "/instances/" + b.sop_uid,
                    {{"Accept", "application/dicom; transfer-syntax=*"}});
  CHECK(got.body == make_dicom(b));
  auto c_spec = spec(study, series, uid("c"));
  REQUIRE(stow(*c, {make_dicom(c_spec)}).status == 200);
  CHECK(json{c->get(base + "/changefeed/latest").body}.num("/Sequence") == 4);
}

TEST_CASE("DICOMweb routes: unknown instances, bad paths, parts not built", "[e2e][dicom]") {
  auto c = shared_node().client();
  CHECK(c->get(base + "/workitems").status == 501);
  CHECK(c->get(base + "/studies/1.2/series/1.3/instances/1.4/frames/1").status == 404);
  CHECK(c->get(base + "/studies/1.2/series/1.3/instances/1.4/rendered").status == 404);
  CHECK(c->get(base + "/studies/1_2").status == 400); // not a UID
  auto unversioned = c->get("/default/dicom/studies");
  CHECK(unversioned.status == 404);
  CHECK(unversioned.header("api-supported-versions") == "1, 2"); // what to use instead
  CHECK(c->request("PATCH", base + "/studies").status == 405);
  CHECK(c->get(base + "/changefeed").header("api-supported-versions") == "1, 2");
}

TEST_CASE("every sample file is stored and retrieved byte for byte, or refused with a reason",
          "[e2e][dicom][samples]") {
  std::filesystem::path dir{ATRIUM_SAMPLES_DIR "/dicom"};
  if (!std::filesystem::exists(dir)) {
    WARN("no samples at " << dir << "; skipped");
    return;
  }
  auto c = shared_node().client();
  int stored = 0, refused = 0;
  for (auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.file_size() > (16u << 20))
      continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes{std::istreambuf_iterator<char>(in), {}};
    INFO(entry.path());
    auto r = c->post(base + "/studies", bytes, {{"Content-Type", "application/dicom"}});
    REQUIRE((r.status == 200 || r.status == 202 || r.status == 409));
    json answer{r.body};
    if (answer.has("/00081199")) {
      ++stored;
      auto url = answer.str("/00081199/Value/0/00081190/Value/0");
      auto got = c->get(target_of(url), {{"Accept", "application/dicom; transfer-syntax=*"}});
      REQUIRE(got.status == 200);
      CHECK(got.body == bytes);
    } else {
      ++refused; // a duplicate of an earlier sample (45070) or not storable
      CHECK(answer.num("/00081198/Value/0/00081197/Value/0") > 0);
    }
  }
  WARN(stored << " sample files stored and retrieved, " << refused << " refused");
  CHECK(stored > 50);
}

TEST_CASE("extended query tags: added by a re-index, then searchable; listed, deleted",
          "[e2e][dicom]") {
  node n; // its own node: the tags are per service
  auto c = n.client();
  auto patient = "EQT-" + uid("p");
  auto before = spec(uid("study"), uid("series"), uid("sop"));
  before.patient_id = patient;
  before.series_description = "BEFORE TAGS";
  REQUIRE(stow(*c, {make_dicom(before)}).status == 200);
  CHECK(c->get(base + "/studies?PatientSex=O").status == 400);

  auto body = R"([{"Path":"PatientSex","VR":"CS","Level":"Study"},)"
              R"({"Path":"0008103E","VR":"LO","Level":"Series"}])";
  auto added = c->post(base + "/extendedquerytags", body, {{"Content-Type", "application/json"}});
  REQUIRE(added.status == 202);
  json op{added.body};
  auto href = op.str("/href");
  REQUIRE_FALSE(href.empty());
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    auto r = c->get(target_of(href));
    status = r.status;
    if (status == 200)
      CHECK(json{r.body}.str("/status") == "succeeded");
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(status == 200);
  // v1 calls it completed, and names the tags under v1.
  auto href_v1 = target_of(href);
  href_v1.replace(href_v1.find("/v2/"), 4, "/v1/");
  json v1_op{c->get(href_v1).body};
  CHECK(v1_op.str("/status") == "completed");
  CHECK(v1_op.str("/resources/0").find("/dicom/v1/extendedquerytags/") != std::string::npos);

  json list{c->get(base + "/extendedquerytags").body};
  REQUIRE(list.count("") == 2);
  CHECK(list.str("/0/Status") == "Ready");
  CHECK(json{c->get(base + "/extendedquerytags/00100040").body}.str("/Level") == "Study");

  // The study stored before the tag was added is found by it (re-indexed),
  // and so is one stored after.
  CHECK(json{c->get(base + "/studies?PatientSex=O&PatientID=" + patient).body}.count("") == 1);
  CHECK(json{c->get(base + "/series?SeriesDescription=BEFORE%20TAGS").body}.count("") == 1);
  auto after = spec(uid("study"), uid("series"), uid("sop"));
  after.patient_id = patient;
  after.series_description = "AFTER TAGS";
  REQUIRE(stow(*c, {make_dicom(after)}).status == 200);
  CHECK(json{c->get(base + "/studies?PatientSex=O&PatientID=" + patient).body}.count("") == 2);
  CHECK(json{c->get(base + "/series?0008103E=AFTER*").body}.count("") == 1);

  // A value an extended query tag cannot hold is stored with a warning
  // (Azure validates every query tag): AcquisitionDate, a DA, as 1997.04.30.
  auto acquired = c->post(base + "/extendedquerytags",
                          R"([{"Path":"AcquisitionDate","Level":"Instance"}])",
                          {{"Content-Type", "application/json"}});
  REQUIRE(acquired.status == 202);
  auto bad_date = spec(uid("study"), uid("series"), uid("sop"));
  bad_date.extra = {{0x00080022, "1997.04.30"}};
  auto warned = stow(*c, {make_dicom(bad_date)});
  REQUIRE(warned.status == 202);
  json w{warned.body};
  CHECK(w.num("/00081199/Value/0/00081196/Value/0") == 1);
  CHECK(w.str("/00081199/Value/0/00741048/Value/0/00000902/Value/0").find("(0008,0022)") !=
        std::string::npos);
  auto good_date = spec(uid("study"), uid("series"), uid("sop"));
  good_date.extra = {{0x00080022, "19970430"}};
  CHECK(stow(*c, {make_dicom(good_date)}).status == 200);
  // The tag goes by its keyword afterwards too (once its re-index is done).
  for (int i = 0; i < 100 && c->get(base + "/extendedquerytags/AcquisitionDate").status == 200 &&
                  json{c->get(base + "/extendedquerytags/AcquisitionDate").body}.str("/Status") !=
                    "Ready";
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(json{c->get(base + "/extendedquerytags/AcquisitionDate").body}.str("/Path") == "00080022");
  CHECK(json{c->get(base + "/instances?AcquisitionDate=19970430").body}.count("") == 1);

  // Errors.
  CHECK(c->post(base + "/extendedquerytags", R"([{"Path":"PatientSex","VR":"CS","Level":"Study"}])",
                {{"Content-Type", "application/json"}}).status == 409);
  CHECK(c->post(base + "/extendedquerytags", R"([{"Path":"00191001","VR":"LO","Level":"Study"}])",
                {{"Content-Type", "application/json"}}).status == 400); // private, no creator
  CHECK(c->post(base + "/extendedquerytags", R"([{"Path":"00101010","VR":"OB","Level":"Study"}])",
                {{"Content-Type", "application/json"}}).status == 400); // VR
  CHECK(c->post(base + "/extendedquerytags", R"([{"Path":"SliceThickness","VR":"CS","Level":"Instance"}])",
                {{"Content-Type", "application/json"}}).status == 400); // not its VR (DS)
  CHECK(c->post(base + "/extendedquerytags", R"([{"Path":"PatientID","VR":"LO","Level":"Study"}])",
                {{"Content-Type", "application/json"}}).status == 400); // built in
  CHECK(c->get(base + "/extendedquerytags/00101010").status == 404);
  CHECK(c->get(base + "/operations/nonexistent").status == 404);

  // Tags survive a restart; a deleted one is no longer searchable.
  n.stop();
  n.start();
  c = n.client();
  CHECK(json{c->get(base + "/extendedquerytags").body}.count("") == 3);
  // Paged as Azure pages them: limit 1-200, offset.
  json first{c->get(base + "/extendedquerytags?limit=2").body};
  CHECK(first.count("") == 2);
  json rest{c->get(base + "/extendedquerytags?offset=2&limit=2").body};
  REQUIRE(rest.count("") == 1);
  CHECK(rest.str("/0/Path") != first.str("/0/Path"));
  CHECK(rest.str("/0/Path") != first.str("/1/Path"));
  CHECK(json{c->get(base + "/extendedquerytags?offset=9").body}.count("") == 0);
  CHECK(c->get(base + "/extendedquerytags?limit=0").status == 400);
  CHECK(c->get(base + "/extendedquerytags?limit=201").status == 400);
  CHECK(c->get(base + "/extendedquerytags?page=1").status == 400);
  REQUIRE(c->del(base + "/extendedquerytags/PatientSex").status == 204);
  CHECK(c->get(base + "/studies?PatientSex=O").status == 400);
  CHECK(c->get(base + "/extendedquerytags/PatientSex").status == 404);
}

namespace {

/// Adds extended query tags and waits for their re-index to succeed.
void add_query_tags(http_client& c, const std::string& body) {
  auto added = c.post(base + "/extendedquerytags", body, {{"Content-Type", "application/json"}});
  REQUIRE(added.status == 202);
  auto href = json{added.body}.str("/href");
  http_response op;
  for (int i = 0; i < 100 && (op = c.get(target_of(href))).status != 200; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(op.status == 200);
  CHECK(json{op.body}.str("/status") == "succeeded");
}

} // namespace

TEST_CASE("extended query tag errors: values failing the VR are listed and disable queries",
          "[e2e][dicom]") {
  node n; // its own node: the tags are per service
  auto c = n.client();
  const header_list json_body{{"Content-Type", "application/json"}};
  // Stored through v1 before the tag exists, so nothing checks PatientAge
  // (an AS) yet: v2 would check every attribute and leave a malformed one
  // out of the metadata, as Azure's does.
  auto bad = spec(uid("study"), uid("series"), uid("sop"));
  bad.patient_id = "EQTERR";
  bad.extra = {{0x00101010, "ABOUT 40"}};
  auto good = spec(uid("study"), uid("series"), uid("sop"));
  good.patient_id = "EQTERR";
  good.extra = {{0x00101010, "045Y"}};
  auto fixed_later = spec(uid("study"), uid("series"), uid("sop"));
  fixed_later.patient_id = "EQTERR";
  fixed_later.extra = {{0x00101010, "40"}};
  REQUIRE(stow(*c, {make_dicom(bad), make_dicom(good), make_dicom(fixed_later)},
               "/default/dicom/v1/studies")
            .status == 200);

  add_query_tags(*c, R"([{"Path":"PatientAge","VR":"AS","Level":"Study"}])");

  json tag{c->get(base + "/extendedquerytags/PatientAge").body};
  CHECK(tag.str("/Status") == "Ready");
  CHECK(tag.str("/QueryStatus") == "Disabled");
  CHECK(tag.num("/Errors/Count") == 2);
  CHECK(tag.str("/Errors/Href").ends_with("/extendedquerytags/00101010/errors"));
  json listed{c->get(base + "/extendedquerytags").body};
  CHECK(listed.num("/0/Errors/Count") == 2);

  // An upsert with a valid value clears its instance's error.
  fixed_later.extra = {{0x00101010, "040Y"}};
  REQUIRE(stow(*c, {make_dicom(fixed_later)}, base + "/studies", "PUT").status == 200);
  auto errors = c->get(base + "/extendedquerytags/00101010/errors");
  REQUIRE(errors.status == 200);
  json e{errors.body};
  REQUIRE(e.count("") == 1);
  CHECK(e.str("/0/StudyInstanceUid") == bad.study_uid);
  CHECK(e.str("/0/SeriesInstanceUid") == bad.series_uid);
  CHECK(e.str("/0/SopInstanceUid") == bad.sop_uid);
  CHECK(e.str("/0/ErrorMessage").find("(0010,1010)") != std::string::npos);
  CHECK(e.str("/0/ErrorMessage").find("ABOUT 40") != std::string::npos);
  CHECK_FALSE(e.str("/0/CreatedTime").empty());
  CHECK(json{c->get(base + "/extendedquerytags/00101010/errors?offset=1").body}.count("") == 0);
  CHECK(c->get(base + "/extendedquerytags/00101010/errors?limit=0").status == 400);
  CHECK(c->get(base + "/extendedquerytags/00101010/errors?page=2").status == 400);

  // Disabled: a query on it is refused, saying why.
  auto refused = c->get(base + "/studies?PatientAge=045Y");
  CHECK(refused.status == 400);
  CHECK(refused.body.find("disabled") != std::string::npos);

  // Enabled again by hand: answers, flagged as possibly incomplete.
  CHECK(c->request("PATCH", base + "/extendedquerytags/PatientAge", R"({"QueryStatus":"On"})",
                   json_body).status == 400);
  auto patched = c->request("PATCH", base + "/extendedquerytags/PatientAge",
                            R"({"QueryStatus":"Enabled"})", json_body);
  REQUIRE(patched.status == 200);
  CHECK(json{patched.body}.str("/QueryStatus") == "Enabled");
  auto found = c->get(base + "/studies?PatientAge=045Y");
  REQUIRE(found.status == 200);
  CHECK(json{found.body}.count("") == 1);
  CHECK(found.header("erroneous-dicom-attributes") == "00101010");
  CHECK(json{c->get(base + "/studies?PatientAge=040Y").body}.count("") == 1); // the upserted
  CHECK_FALSE(c->get(base + "/studies?PatientID=EQTERR").has_header("erroneous-dicom-attributes"));

  // Deleting the instance deletes its error; the tag is then clean.
  REQUIRE(c->del(base + "/studies/" + bad.study_uid).status == 204);
  CHECK(json{c->get(base + "/extendedquerytags/00101010/errors").body}.count("") == 0);
  CHECK(json{c->get(base + "/extendedquerytags/PatientAge").body}.count("/Errors") == 0);
  CHECK_FALSE(c->get(base + "/studies?PatientAge=045Y").has_header("erroneous-dicom-attributes"));
  CHECK(c->request("POST", base + "/extendedquerytags/PatientAge", "{}", json_body).status == 405);
}

TEST_CASE("a private extended query tag is found in the block its creator reserved",
          "[e2e][dicom]") {
  node n; // its own node: the tags are per service
  auto c = n.client();
  // ACME's block is 0x11 in the first file, 0x10 in the second; in the
  // third, block 0x10 is another creator's, with the same value.
  auto in_block_11 = spec(uid("study"), uid("series"), uid("sop"));
  in_block_11.extra = {{0x00090010, "OTHER"}, {0x00090011, "ACME 1.0"}, {0x00091101, "ALPHA"}};
  auto in_block_10 = spec(uid("study"), uid("series"), uid("sop"));
  in_block_10.extra = {{0x00090010, "ACME 1.0"}, {0x00091001, "BETA"}};
  auto other_creator = spec(uid("study"), uid("series"), uid("sop"));
  other_creator.extra = {{0x00090010, "OTHER"}, {0x00091001, "ALPHA"}};
  REQUIRE(stow(*c, {make_dicom(in_block_11), make_dicom(in_block_10), make_dicom(other_creator)})
            .status == 200);

  auto added = c->post(base + "/extendedquerytags",
                       R"([{"Path":"00091001","VR":"LO","PrivateCreator":"ACME 1.0","Level":"Instance"},)"
                       R"({"Path":"00091001","VR":"LO","Level":"Study"}])",
                       {{"Content-Type", "application/json"}});
  CHECK(added.status == 400); // the second has no creator; nothing is added
  add_query_tags(*c, R"([{"Path":"00091001","VR":"LO","PrivateCreator":"ACME 1.0","Level":"Instance"}])");
  CHECK(json{c->get(base + "/extendedquerytags/00091001").body}.str("/PrivateCreator") == "ACME 1.0");

  json alpha{c->get(base + "/instances?00091001=ALPHA").body};
  REQUIRE(alpha.count("") == 1);
  CHECK(alpha.str("/0/00080018/Value/0") == in_block_11.sop_uid);
  CHECK(alpha.str("/0/00091001/Value/0") == "ALPHA"); // the value under its registered tag
  json beta{c->get(base + "/instances?00091001=BETA").body};
  REQUIRE(beta.count("") == 1);
  CHECK(beta.str("/0/00080018/Value/0") == in_block_10.sop_uid);
  // Stored after the tag: its STOW finds the value in ACME's block too.
  auto later = spec(uid("study"), uid("series"), uid("sop"));
  later.extra = {{0x00090012, "ACME 1.0"}, {0x00091201, "GAMMA"}};
  REQUIRE(stow(*c, {make_dicom(later)}).status == 200);
  CHECK(json{c->get(base + "/instances?00091001=GAMMA").body}.count("") == 1);
  // Its STOW checks the value in the creator's block against the tag's VR.
  auto too_long = spec(uid("study"), uid("series"), uid("sop"));
  too_long.extra = {{0x00090013, "ACME 1.0"}, {0x00091301, std::string(70, 'X')}};
  auto warned = stow(*c, {make_dicom(too_long)});
  CHECK(warned.status == 202);
  CHECK(warned.body.find("(0009,1301)") != std::string::npos);
}

TEST_CASE("an extended query tag re-index cut short by kill -9 runs again at the next start",
          "[e2e][dicom]") {
  node n;
  auto c = n.client();
  // 300 studies: the re-index takes far longer than the kill that follows.
  std::vector<std::string> files;
  for (int i = 0; i < 300; ++i) {
    auto s = spec(uid("study"), uid("series"), uid("sop"));
    s.patient_id = "RESUME-" + std::to_string(i % 3);
    files.push_back(make_dicom(s));
  }
  REQUIRE(stow(*c, files).status == 200);
  auto added = c->post(base + "/extendedquerytags", R"([{"Path":"PatientSex","VR":"CS","Level":"Study"}])",
                       {{"Content-Type", "application/json"}});
  REQUIRE(added.status == 202);
  n.kill();
  n.start();
  c = n.client();
  auto href = json{added.body}.str("/href");
  http_response r;
  for (int i = 0; i < 200; ++i) {
    r = c->get(target_of(href));
    if (r.status != 202)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(r.status == 200);
  CHECK(json{r.body}.str("/status") == "succeeded");
  CHECK(json{c->get(base + "/extendedquerytags/PatientSex").body}.str("/Status") == "Ready");
  CHECK(json{c->get(base + "/studies?PatientSex=O&PatientID=RESUME-1&limit=200").body}.count("") == 100);
}

namespace {

/// GET `path` until it answers `status`, for up to 10 s (the mirror writes
/// in the background); the last answer.
http_response wait_for_status(http_client& c, const std::string& path, int status) {
  http_response r;
  for (int i = 0; i < 200; ++i) {
    r = c.get(path);
    if (r.status == status)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return r;
}

} // namespace

TEST_CASE("a DICOM service linked to a FHIR service mirrors its studies there", "[e2e][dicom]") {
  node n;
  auto c = n.client();
  REQUIRE(c->put("/workspaces/default/dicomservices/dicom", R"({"properties":{"fhirService":"fhir"}})",
                 {{"Content-Type", "application/json"}}).status == 200);
  auto study = uid("study"), ct = uid("series"), mr = uid("series");
  auto a = spec(study, ct, uid("a")), b = spec(study, mr, uid("b"));
  a.patient_id = b.patient_id = "MIRROR-1";
  b.modality = "MR";
  b.series_number = 2;
  REQUIRE(stow(*c, {make_dicom(a), make_dicom(b)}).status == 200);

  const auto study_path = "/default/fhir/ImagingStudy/" + atrium::dicom::fhir_id_for("ImagingStudy", study);
  auto wait_for = [&](const std::string& path, int status) { return wait_for_status(*c, path, status); };
  auto mirrored = wait_for(study_path, 200);
  REQUIRE(mirrored.status == 200);
  json s{mirrored.body};
  CHECK(s.str("/identifier/0/value") == "urn:oid:" + study);
  CHECK(s.str("/status") == "available");
  CHECK(s.num("/numberOfSeries") == 2);
  CHECK(s.num("/numberOfInstances") == 2);
  CHECK(s.count("/modality") == 2);
  CHECK(s.str("/started") == "2024-01-15T10:15:00Z"); // no TimezoneOffsetFromUTC: UTC
  auto patient = c->get("/default/fhir/" + s.str("/subject/reference"));
  REQUIRE(patient.status == 200);
  json p{patient.body};
  CHECK(p.str("/identifier/0/value") == "MIRROR-1");
  CHECK(p.str("/name/0/family") == "Doe");
  CHECK(p.str("/birthDate") == "1970-01-01");
  auto endpoint = c->get("/default/fhir/" + s.str("/endpoint/0/reference"));
  REQUIRE(endpoint.status == 200);
  CHECK(json{endpoint.body}.str("/address").find("/default/dicom/v2") != std::string::npos);

  // A delete reaches the FHIR service too; after a kill -9 the mirror
  // continues from its cursor.
  REQUIRE(c->del(base + "/studies/" + study).status == 204);
  CHECK(wait_for(study_path, 410).status == 410);
  n.kill();
  n.start();
  c = n.client();
  auto later = spec(uid("study"), uid("series"), uid("c"));
  REQUIRE(stow(*c, {make_dicom(later)}).status == 200);
  CHECK(wait_for("/default/fhir/ImagingStudy/" + atrium::dicom::fhir_id_for("ImagingStudy", later.study_uid),
                 200).status == 200);
  CHECK(c->get(study_path).status == 410); // not brought back by a replay
}

TEST_CASE("a study the FHIR service refuses does not hold up the mirror of later ones",
          "[e2e][dicom]") {
  node n;
  auto c = n.client();
  REQUIRE(c->put("/workspaces/default/dicomservices/dicom", R"({"properties":{"fhirService":"fhir"}})",
                 {{"Content-Type", "application/json"}}).status == 200);
  auto wait_for = [&](const std::string& path, int status) { return wait_for_status(*c, path, status); };
  auto study_path = [](const std::string& uid) {
    return "/default/fhir/ImagingStudy/" + atrium::dicom::fhir_id_for("ImagingStudy", uid);
  };
  auto first = spec(uid("study"), uid("series"), uid("a"));
  REQUIRE(stow(*c, {make_dicom(first)}).status == 200);
  REQUIRE(wait_for(study_path(first.study_uid), 200).status == 200);
  // A second ImagingStudy with the study's identifier, written by hand: the
  // mirror's conditional DELETE of it now matches two, which the FHIR
  // service refuses (412) however often it is sent.
  auto twin = R"({"resourceType":"ImagingStudy","status":"available",)"
              R"("identifier":[{"system":"urn:dicom:uid","value":"urn:oid:)" + first.study_uid +
              R"("}],"subject":{"reference":"Patient/x"}})";
  REQUIRE(c->post("/default/fhir/ImagingStudy", twin,
                  {{"Content-Type", "application/fhir+json"}}).status == 201);
  REQUIRE(c->del(base + "/studies/" + first.study_uid).status == 204);
  auto later = spec(uid("study"), uid("series"), uid("b"));
  REQUIRE(stow(*c, {make_dicom(later)}).status == 200);
  CHECK(wait_for(study_path(later.study_uid), 200).status == 200);
  CHECK(c->get(study_path(first.study_uid)).status == 200); // its delete was passed over
}

TEST_CASE("WADO-RS transcodes, returns frames and renders images", "[e2e][dicom]") {
  auto c = shared_node().client();
  auto s = spec(uid("study"), uid("series"), uid("sop"));
  s.frames = 3;
  s.rows = 8;
  s.columns = 4;
  auto file = make_dicom(s);
  REQUIRE(stow(*c, {file}).status == 200);
  const auto instance = base + "/studies/" + s.study_uid + "/series/" + s.series_uid + "/instances/" + s.sop_uid;

  SECTION("the first acceptable transfer syntax that can be produced is answered") {
    // JPEG baseline cannot hold these 16-bit pixels: alone, 406; listed
    // first among equals, the next choice answers.
    const std::string jpeg = "application/dicom; transfer-syntax=1.2.840.10008.1.2.4.50";
    CHECK(c->get(instance, {{"Accept", jpeg}}).status == 406);
    auto rle = c->get(instance, {{"Accept", jpeg + ", application/dicom; transfer-syntax=1.2.840.10008.1.2.5"}});
    REQUIRE(rle.status == 200);
    CHECK(rle.header("content-type") == "application/dicom; transfer-syntax=1.2.840.10008.1.2.5");
    auto stored = c->get(instance, {{"Accept", jpeg + ", */*"}});
    REQUIRE(stored.status == 200); // */*: multipart, as stored
    REQUIRE(parts_of(stored).size() == 1);
    CHECK(parts_of(stored)[0] == file);
    auto study = c->get(base + "/studies/" + s.study_uid,
                        {{"Accept", "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50, "
                                    "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.5"}});
    REQUIRE(study.status == 200);
    auto parts = parts_of(study);
    REQUIRE(parts.size() == 1);
    CHECK(std::get<atrium::dicom::instance>(atrium::dicom::parse_instance(parts[0])).transfer_syntax ==
          "1.2.840.10008.1.2.5");
  }
  SECTION("HEAD of a transcoded answer converts nothing: GET's head, without a length") {
    const header_list rle{{"Accept", "application/dicom; transfer-syntax=1.2.840.10008.1.2.5"}};
    auto head = c->request("HEAD", instance, "", rle);
    REQUIRE(head.status == 200);
    CHECK(head.body.empty());
    CHECK(head.header("content-type") == "application/dicom; transfer-syntax=1.2.840.10008.1.2.5");
    CHECK_FALSE(head.has_header("content-length")); // known only by converting
    auto get = c->get(instance, rle);
    REQUIRE(get.status == 200);
    CHECK(get.header("content-length") == std::to_string(get.body.size()));
    // As stored, the length is known without converting, and HEAD says it.
    auto stored = c->request("HEAD", instance, "", {{"Accept", "application/dicom; transfer-syntax=*"}});
    CHECK(stored.header("content-length") == std::to_string(file.size()));
    auto study = c->request("HEAD", base + "/studies/" + s.study_uid, "",
                            {{"Accept", "multipart/related; type=\"application/dicom\"; "
                                        "transfer-syntax=1.2.840.10008.1.2.5"}});
    CHECK(study.status == 200);
    CHECK(study.header("content-type").value_or("").find("multipart/related") == 0);
    // What cannot be produced is refused on HEAD as on GET.
    CHECK(c->request("HEAD", instance, "",
                     {{"Accept", "application/dicom; transfer-syntax=1.2.840.10008.1.2.4.201"}})
            .status == 406);
  }
  SECTION("to RLE and back: the pixels are the same") {
    auto rle = c->get(instance, {{"Accept", "application/dicom; transfer-syntax=1.2.840.10008.1.2.5"}});
    REQUIRE(rle.status == 200);
    CHECK(rle.header("content-type").value_or("").find("1.2.840.10008.1.2.5") != std::string::npos);
    auto parsed = atrium::dicom::parse_instance(rle.body);
    REQUIRE(std::holds_alternative<atrium::dicom::instance>(parsed));
    CHECK(std::get<atrium::dicom::instance>(parsed).transfer_syntax == "1.2.840.10008.1.2.5");
    auto frames_of = [](std::string_view part10) {
      std::string produced;
      auto f = atrium::dicom::frames(part10, {1, 2, 3}, "1.2.840.10008.1.2.1", &produced);
      REQUIRE(std::holds_alternative<std::vector<std::string>>(f));
      return std::get<std::vector<std::string>>(f);
    };
    CHECK(frames_of(rle.body) == frames_of(file));
    // The default Accept of a study is explicit VR little endian: as stored here.
    auto multi = c->get(base + "/studies/" + s.study_uid,
                        {{"Accept", "multipart/related; type=\"application/dicom\""}});
    REQUIRE(multi.status == 200);
    CHECK(parts_of(multi).at(0) == file);
  }
  SECTION("frames: native slices, as a list, single-part") {
    auto r = c->get(instance + "/frames/1,3");
    REQUIRE(r.status == 200);
    auto parts = parts_of(r);
    REQUIRE(parts.size() == 2);
    CHECK(parts[0].size() == 8 * 4 * 2);
    CHECK(parts[0] != parts[1]);
    auto one = c->get(instance + "/frames/2", {{"Accept", "application/octet-stream; transfer-syntax=*"}});
    REQUIRE(one.status == 200);
    CHECK(one.body.size() == 8 * 4 * 2);
    CHECK(c->get(instance + "/frames/4").status == 404);
    CHECK(c->get(instance + "/frames/0").status == 400);
    CHECK(c->get(instance + "/frames/1,2,1").status == 400); // a frame asked twice
    CHECK(c->get(instance + "/frames/x").status == 400);
  }
  SECTION("HEAD of frames and rendered images decodes nothing: GET's head, without a length") {
    const header_list rle{{"Accept", "multipart/related; type=\"application/octet-stream\"; "
                                     "transfer-syntax=1.2.840.10008.1.2.5"}};
    auto get = c->get(instance + "/frames/1,3", rle);
    REQUIRE(get.status == 200);
    auto head = c->request("HEAD", instance + "/frames/1,3", "", rle);
    REQUIRE(head.status == 200);
    CHECK(head.body.empty());
    CHECK_FALSE(head.has_header("content-length"));
    const auto type_of = [](const http_response& r) {
      auto t = r.header("content-type").value_or("");
      return t.substr(0, t.find("; boundary="));
    };
    CHECK(type_of(head) == type_of(get));
    auto single = c->request("HEAD", instance + "/frames/2", "",
                             {{"Accept", "application/octet-stream; transfer-syntax=*"}});
    CHECK(single.header("content-type") ==
          c->get(instance + "/frames/2", {{"Accept", "application/octet-stream; transfer-syntax=*"}})
            .header("content-type"));
    CHECK(c->request("HEAD", instance + "/frames/4", "", rle).status == 404);
    CHECK(c->request("HEAD", instance + "/frames/0", "", rle).status == 400);
    CHECK(c->request("HEAD", instance + "/frames/1", "",
                     {{"Accept", "multipart/related; type=\"application/octet-stream\"; "
                                 "transfer-syntax=1.2.840.10008.1.2.2"}}).status == 406);
    auto rendered = c->request("HEAD", instance + "/frames/2/rendered", "", {{"Accept", "image/png"}});
    CHECK(rendered.status == 200);
    CHECK(rendered.header("content-type") == "image/png");
    CHECK_FALSE(rendered.has_header("content-length"));
    CHECK(c->request("HEAD", instance + "/frames/4/rendered", "").status == 404);
  }
  SECTION("rendered JPEG and PNG") {
    auto jpeg = c->get(instance + "/rendered?quality=80");
    REQUIRE(jpeg.status == 200);
    CHECK(jpeg.header("content-type").value_or("") == "image/jpeg");
    CHECK(jpeg.body.substr(0, 2) == "\xFF\xD8");
    auto png = c->get(instance + "/frames/2/rendered", {{"Accept", "image/png"}});
    REQUIRE(png.status == 200);
    CHECK(png.body.substr(1, 3) == "PNG");
    CHECK(c->get(instance + "/rendered?quality=0").status == 400);
    CHECK(c->get(instance + "/rendered", {{"Accept", "image/gif"}}).status == 406);
  }
  SECTION("a transfer syntax this build cannot produce is 406") {
    CHECK(c->get(instance, {{"Accept", "application/dicom; transfer-syntax=1.2.840.10008.1.2.4.201"}}).status ==
          406);
    // JPEG baseline is 8-bit only; these pixels are 16-bit.
    CHECK(c->get(instance, {{"Accept", "application/dicom; transfer-syntax=1.2.840.10008.1.2.4.50"}}).status ==
          406);
  }
}
