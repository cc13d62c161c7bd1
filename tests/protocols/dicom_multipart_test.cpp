#include <catch2/catch.hpp>

#include "protocols/dicom/multipart.hpp"

using namespace atrium::dicom;

TEST_CASE("media types keep their parameters, unquoted", "[dicom][multipart]") {
  auto m = parse_media_type(R"(Multipart/Related; type="application/dicom"; boundary=abc; transfer-syntax=*)");
  REQUIRE(m);
  CHECK(m->type == "multipart/related");
  CHECK(m->param("type").value_or("") == "application/dicom");
  CHECK(m->param("boundary").value_or("") == "abc");
  CHECK(m->param("transfer-syntax").value_or("") == "*");
  CHECK_FALSE(m->param("charset"));
  // `type` is a media type, so case-insensitive; a boundary is kept as sent.
  auto upper = parse_media_type(R"(multipart/related; type="Application/DICOM"; boundary=AbC)");
  REQUIRE(upper);
  CHECK(upper->param("type").value_or("") == "application/dicom");
  CHECK(upper->param("boundary").value_or("") == "AbC");
  CHECK_FALSE(parse_media_type("nonsense"));
  CHECK_FALSE(parse_media_type("a/b; novalue"));
}

TEST_CASE("Accept lists are ordered by q, quoted commas stay inside", "[dicom][multipart]") {
  auto list = parse_accept(R"(application/json;q=0.5, multipart/related; type="a,b";q=0.9, */*;q=0.1)");
  REQUIRE(list.size() == 3);
  CHECK(list[0].type == "multipart/related");
  CHECK(list[0].param("type").value_or("") == "a,b");
  CHECK(list[1].type == "application/json");
  CHECK(list[2].type == "*/*");
}

TEST_CASE("multipart bodies split into parts and round-trip", "[dicom][multipart]") {
  multipart_writer w;
  std::string binary("\r\n--not-the-boundary\r\n\0\x01\x02", 27);
  w.add("application/dicom", "first");
  w.add("application/dicom; transfer-syntax=1.2.840.10008.1.2.1", binary);
  w.add("application/dicom", "");
  auto boundary = w.boundary();
  auto body = w.finish();
  auto parts = parse_multipart(body, boundary);
  REQUIRE(parts);
  REQUIRE(parts->size() == 3);
  CHECK((*parts)[0].body == "first");
  CHECK((*parts)[0].content_type == "application/dicom");
  CHECK((*parts)[1].body == binary);
  CHECK((*parts)[1].content_type == "application/dicom; transfer-syntax=1.2.840.10008.1.2.1");
  CHECK((*parts)[2].body.empty());
}

TEST_CASE("multipart parsing accepts a preamble and parts without headers", "[dicom][multipart]") {
  std::string body = "preamble text\r\n--b\r\n\r\nno headers\r\n--b\r\ncontent-type: x/y\r\n\r\nz\r\n--b--\r\nepilogue";
  auto parts = parse_multipart(body, "b");
  REQUIRE(parts);
  REQUIRE(parts->size() == 2);
  CHECK((*parts)[0].content_type.empty());
  CHECK((*parts)[0].body == "no headers");
  CHECK((*parts)[1].content_type == "x/y");
}

TEST_CASE("malformed multipart bodies are refused", "[dicom][multipart]") {
  CHECK_FALSE(parse_multipart("no boundary here", "b"));
  CHECK_FALSE(parse_multipart("--b\r\n\r\nunterminated", "b"));
  CHECK_FALSE(parse_multipart("--b junk\r\n", "b"));
  CHECK_FALSE(parse_multipart("--b\r\nheader-without-end", "b"));
  CHECK_FALSE(parse_multipart("--b\r\n\r\nx\r\n--b--", ""));
  auto empty = parse_multipart("--b--\r\n", "b");
  REQUIRE(empty);
  CHECK(empty->empty());
}

TEST_CASE("locate_parts finds the same parts through a reader of small windows",
          "[dicom][multipart]") {
  multipart_writer w;
  std::string binary("\r\n--not-the-boundary\r\n\0\x01\x02", 27);
  w.add("application/dicom", std::string(1000, 'a'));
  w.add("application/dicom; transfer-syntax=*", binary);
  w.add("application/dicom", "");
  auto boundary = w.boundary();
  auto body = "preamble\r\n" + w.finish();
  auto whole = parse_multipart(body, boundary);
  REQUIRE(whole);
  // A window of at most `min` bytes, or just a few more: delimiters and
  // headers straddle every window edge.
  for (std::size_t extra : {0u, 1u, 5u, 13u}) {
    std::size_t reads = 0;
    auto extents = locate_parts(boundary, [&](std::uint64_t offset, std::size_t min) {
      ++reads;
      return offset < body.size() ? std::string_view{body}.substr(offset, min + extra)
                                  : std::string_view{};
    });
    REQUIRE(extents);
    REQUIRE(extents->size() == whole->size());
    for (std::size_t i = 0; i < whole->size(); ++i) {
      CHECK((*extents)[i].content_type == (*whole)[i].content_type);
      CHECK(std::string_view{body}.substr((*extents)[i].offset, (*extents)[i].length) ==
            (*whole)[i].body);
    }
    CHECK(reads > 10);
  }
  // A cut body fails the same way through a window.
  auto cut = body.substr(0, body.size() - 10);
  auto refused = locate_parts(boundary, [&](std::uint64_t offset, std::size_t min) {
    return offset < cut.size() ? std::string_view{cut}.substr(offset, min) : std::string_view{};
  });
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message().find("closing boundary") != std::string::npos);
}
