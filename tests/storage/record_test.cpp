#include <catch2/catch.hpp>

#include "storage/resource_record.hpp"

using namespace atrium::storage;

TEST_CASE("record round trip") {
  resource_record r;
  r.kind = record_kind::update;
  r.version = 0x0102030405060708ull;
  r.last_updated_micros = -42;
  r.json = R"({"resourceType":"Patient","id":"p1"})";
  auto bytes = encode_record(r);
  REQUIRE(bytes.size() == 18 + r.json.size());
  CHECK(bytes[0] == 1);
  CHECK(bytes[1] == 2);

  auto d = decode_record(bytes);
  REQUIRE(d);
  CHECK(d->kind == r.kind);
  CHECK(d->version == r.version);
  CHECK(d->last_updated_micros == r.last_updated_micros);
  CHECK(d->json == r.json);
  CHECK_FALSE(d->deleted());

  auto h = decode_record_header(bytes);
  REQUIRE(h);
  CHECK(h->version == r.version);
  CHECK(record_json(bytes) == r.json);
}

TEST_CASE("erase record has no json") {
  resource_record r;
  r.kind = record_kind::erase;
  r.version = 3;
  auto d = decode_record(encode_record(r));
  REQUIRE(d);
  CHECK(d->deleted());
  CHECK(d->json.empty());
}

TEST_CASE("record decoding rejects bad bytes") {
  resource_record r;
  r.json = "{}";
  auto bytes = encode_record(r);
  for (std::size_t n = 0; n < 18; ++n) {
    INFO(n);
    CHECK_FALSE(decode_record(bytes.substr(0, n)));
    CHECK_FALSE(decode_record_header(bytes.substr(0, n)));
    CHECK(record_json(bytes.substr(0, n)).empty());
  }
  auto bad_format = bytes;
  bad_format[0] = 2;
  CHECK_FALSE(decode_record(bad_format));
  for (char k : {'\0', '\4', '\xff'}) {
    auto bad_kind = bytes;
    bad_kind[1] = k;
    CHECK_FALSE(decode_record(bad_kind));
  }
}
