// STOW-RS bodies larger than the body limit are spooled to a temporary file
// and stored a few parts at a time: the node's memory stays bounded however
// large the request. The node here has a 64 KiB body limit, so that a few
// hundred megabytes show the difference.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <tuple>
#include <string>

#include "protocols/dicom/instance.hpp"
#include "protocols/dicom/multipart.hpp"
#include "tests/e2e/dicom_bodies.hpp"
#include "tests/e2e/harness.hpp"
#include "tools/dicomgen/dicom_files.hpp"

using namespace e2e;

namespace {

/// Peak resident memory of a process in KiB (VmHWM), or -1.
long peak_rss_kib(pid_t pid) {
  std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0)
      return std::stol(line.substr(6));
  return -1;
}

std::string uid_prefix() { return "1.2.826.0.1.3680043.10.2." + std::to_string(::getpid()); }

/// `count` 512×512 16-bit instances (512 KiB each) of one study.
std::vector<std::string> instances(const std::string& study, int count) {
  std::vector<std::string> out;
  for (int i = 0; i < count; ++i) {
    atrium::dicomgen::dicom_spec s;
    s.study_uid = study;
    s.series_uid = study + ".1";
    s.sop_uid = study + ".1." + std::to_string(i + 1);
    s.instance_number = i + 1;
    s.rows = s.columns = 512;
    out.push_back(atrium::dicomgen::make_dicom(s));
  }
  return out;
}

std::size_t count_of(const std::string& body, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = body.find(needle); at != std::string::npos; at = body.find(needle, at + 1))
    ++n;
  return n;
}

} // namespace

TEST_CASE("a STOW-RS body beyond the body limit is spooled and stored in bounded memory",
          "[e2e][dicom]") {
  node n{{"--body-limit", "65536", "--stow-limit", "1000000000"}};
  auto c = n.client();
  const auto study = uid_prefix() + ".1";
  // 640 instances: 320 MiB, more than the 256 MiB the node may use; and one
  // multi-frame instance of 150 MiB, parsed without its pixels in memory.
  auto files = instances(study, 640);
  atrium::dicomgen::dicom_spec big;
  big.study_uid = study;
  big.series_uid = study + ".2";
  big.sop_uid = study + ".2.1";
  big.rows = big.columns = 512;
  big.frames = 300;
  files.push_back(atrium::dicomgen::make_dicom(big));
  REQUIRE(files.back().size() > (150u << 20));
  auto [type, body] = stow_body(files);
  REQUIRE(body.size() > (450u << 20));
  auto r = c->request("POST", "/default/dicom/v2/studies", body,
                      {{"Content-Type", type}, {"Accept", "application/dicom+json"}});
  REQUIRE(r.status == 200);
  CHECK(count_of(r.body, "\"00081190\"") == 641); // each instance's URL
  std::string{}.swap(body);

  // Every instance is there, byte for byte (spot checks).
  for (auto [series, n, file] : {std::tuple{".1", 1, 0}, {".1", 640, 639}, {".2", 1, 640}}) {
    auto got = c->get("/default/dicom/v2/studies/" + study + "/series/" + study + series +
                        "/instances/" + study + series + "." + std::to_string(n),
                      {{"Accept", "application/dicom; transfer-syntax=*"}});
    REQUIRE(got.status == 200);
    CHECK(got.body == files[static_cast<std::size_t>(file)]);
  }
  // The whole series, 320 MiB, streamed from the files.
  {
    auto got = c->get("/default/dicom/v2/studies/" + study + "/series/" + study + ".1",
                      {{"Accept", "multipart/related; type=\"application/dicom\"; transfer-syntax=*"}});
    REQUIRE(got.status == 200);
    auto media = atrium::dicom::parse_media_type(got.header("content-type").value_or(""));
    REQUIRE(media);
    auto parts = atrium::dicom::parse_multipart(got.body, media->param("boundary").value_or(""));
    REQUIRE(parts);
    REQUIRE(parts->size() == 640);
    std::size_t same = 0;
    for (std::size_t i = 0; i < 640; ++i) // in key order: by SOP Instance UID text
      same += std::count(files.begin(), files.end() - 1, std::string{(*parts)[i].body}) == 1;
    CHECK(same == 640);
  }

  const auto peak = peak_rss_kib(n.pid());
  INFO("the node's peak RSS: " << peak / 1024 << " MiB");
  CHECK(peak > 0);
  CHECK(peak < 256 * 1024);

  auto series = c->get("/default/dicom/v2/studies/" + study + "/series?includefield=NumberOfSeriesRelatedInstances");
  REQUIRE(series.status == 200);
  INFO(series.body);
  CHECK(series.body.find("\"00201209\":{\"vr\":\"IS\",\"Value\":[640]}") != std::string::npos);
  auto frames = c->get("/default/dicom/v2/studies/" + study + "/series/" + study +
                       ".2/instances/" + study + ".2.1/metadata");
  REQUIRE(frames.status == 200);
  CHECK(frames.body.find("\"00280008\":{\"vr\":\"IS\",\"Value\":[300]}") != std::string::npos);
}

TEST_CASE("spooled STOW-RS: chunked bodies, a malformed body, and the STOW limit",
          "[e2e][dicom]") {
  node n{{"--body-limit", "65536", "--stow-limit", "4000000"}};
  auto c = n.client();
  const auto study = uid_prefix() + ".2";
  const auto files = instances(study, 3);
  const auto [type, body] = stow_body(files);

  SECTION("a chunked body is spooled too") {
    std::string raw = "POST /default/dicom/v2/studies/" + study +
                      " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                      "Content-Type: " + type + "\r\n\r\n" + chunked_body(body, 100000);
    auto r = c->raw(raw);
    REQUIRE(r.status == 200);
    CHECK(count_of(r.body, "\"00081190\"") == 4);
  }
  SECTION("a spooled body without its closing boundary is refused whole") {
    auto cut = body.substr(0, body.size() - 100);
    auto r = c->request("POST", "/default/dicom/v2/studies", cut, {{"Content-Type", type}});
    CHECK(r.status == 400);
    CHECK(r.body.find("closing boundary") != std::string::npos);
  }
  SECTION("beyond the STOW limit: 413") {
    // Refused from the headers, before the body is sent.
    auto r = c->raw("POST /default/dicom/v2/studies HTTP/1.1\r\nHost: x\r\n"
                    "Content-Type: application/dicom\r\nContent-Length: 4000001\r\n\r\n");
    CHECK(r.status == 413);
  }
  SECTION("other requests keep the body limit") {
    std::string big(70000, ' ');
    auto r = c->request("POST", "/default/fhir/Patient", big);
    CHECK(r.status == 413);
  }
}

TEST_CASE("a transcoded answer of many megabytes is streamed, an instance at a time",
          "[e2e][dicom]") {
  auto c = shared_node().client();
  const auto study = uid_prefix() + ".3";
  const auto files = instances(study, 40); // 20 MiB as stored
  const auto [type, body] = stow_body(files);
  REQUIRE(c->request("POST", "/default/dicom/v2/studies", body, {{"Content-Type", type}}).status == 200);
  const std::string rle = "1.2.840.10008.1.2.5";
  auto got = c->get("/default/dicom/v2/studies/" + study,
                    {{"Accept", "multipart/related; type=\"application/dicom\"; transfer-syntax=" + rle}});
  REQUIRE(got.status == 200);
  CHECK(got.header("transfer-encoding").value_or("") == "chunked");
  auto media = atrium::dicom::parse_media_type(got.header("content-type").value_or(""));
  REQUIRE(media);
  auto parts = atrium::dicom::parse_multipart(got.body, media->param("boundary").value_or(""));
  REQUIRE(parts);
  REQUIRE(parts->size() == 40);
  for (auto& p : *parts) {
    CHECK(p.content_type == "application/dicom; transfer-syntax=" + rle);
    auto parsed = atrium::dicom::parse_instance(p.body);
    REQUIRE(std::holds_alternative<atrium::dicom::instance>(parsed));
    CHECK(std::get<atrium::dicom::instance>(parsed).transfer_syntax == rle);
  }
  // A conversion that cannot be made still gets its status before any part.
  auto refused = c->get("/default/dicom/v2/studies/" + study,
                        {{"Accept", "multipart/related; type=\"application/dicom\"; "
                                    "transfer-syntax=1.2.840.10008.1.2.4.50"}});
  CHECK(refused.status == 406);
}
