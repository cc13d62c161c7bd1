// Key encodings: byte order must equal value order, or range scans lie.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "storage/keyspace.hpp"

using namespace atrium::storage;

namespace {
std::string u64(std::uint64_t v) { std::string s; keys::append_u64(s, v); return s; }
std::string i64(std::int64_t v) { std::string s; keys::append_i64(s, v); return s; }
}

TEST_CASE("u64 byte order is numeric order") {
  std::vector<std::uint64_t> vs{0, 1, 255, 256, 65535, 65536, 1ull << 32, (1ull << 63) - 1,
                                1ull << 63, std::numeric_limits<std::uint64_t>::max()};
  for (std::size_t i = 0; i + 1 < vs.size(); ++i) CHECK(u64(vs[i]) < u64(vs[i + 1]));
  for (auto v : vs) {
    auto s = u64(v);
    REQUIRE(s.size() == 8);
    CHECK(keys::read_u64(s.data()) == v);
  }
  CHECK(u64(0x0102030405060708ull) == std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
}

TEST_CASE("u16 and u32 are big-endian and round trip") {
  std::string s;
  keys::append_u16(s, 0x0102);
  keys::append_u32(s, 0xA1B2C3D4u);
  CHECK(s == std::string("\x01\x02\xA1\xB2\xC3\xD4", 6));
  CHECK(keys::read_u16(s.data()) == 0x0102);
  CHECK(keys::read_u32(s.data() + 2) == 0xA1B2C3D4u);
}

TEST_CASE("i64 byte order is numeric order across zero") {
  std::vector<std::int64_t> vs{std::numeric_limits<std::int64_t>::min(), -1'000'000'000'000, -256,
                               -255, -1, 0, 1, 255, 256, 1'700'000'000'000'000,
                               std::numeric_limits<std::int64_t>::max()};
  for (std::size_t i = 0; i + 1 < vs.size(); ++i) CHECK(i64(vs[i]) < i64(vs[i + 1]));
  for (auto v : vs) CHECK(keys::read_i64(i64(v).data()) == v);
}

TEST_CASE("prefix_end") {
  CHECK(keys::prefix_end("ab") == "ac");
  CHECK(keys::prefix_end("a\xff") == "b");
  CHECK(keys::prefix_end("\xff\xff") == "");
  CHECK(keys::prefix_end("") == "");
  CHECK(keys::prefix_end(std::string("a\x00", 2)) == "a\x01");
  // Every key under the prefix sorts below the end.
  auto p = keys::versions_prefix(7, 3, "x");
  CHECK(keys::version(7, 3, "x", ~0ull) < keys::prefix_end(p));
}

TEST_CASE("versions of one id sort by version and stay apart from longer ids") {
  std::vector<std::string> ks;
  for (std::uint64_t v : {1ull, 2ull, 10ull, 256ull, 70000ull}) ks.push_back(keys::version(1, 2, "a", v));
  CHECK(std::is_sorted(ks.begin(), ks.end()));

  // "a-1" and "a.b" share the prefix "a" but must not fall inside a's range.
  const auto lo = keys::versions_prefix(1, 2, "a");
  const auto hi = keys::prefix_end(lo);
  for (const char* other : {"a-1", "a.b", "a0", "aZ"}) {
    for (std::uint64_t v : {0ull, 1ull, ~0ull}) {
      auto k = keys::version(1, 2, other, v);
      INFO(other << " v" << v);
      CHECK_FALSE((k >= lo && k < hi));
    }
  }
  for (auto& k : ks) CHECK((k >= lo && k < hi));
  // All of a's versions sort together, before those of "a-1" (0x00 < '-').
  CHECK(ks.back() < keys::version(1, 2, "a-1", 0));
}

TEST_CASE("parse_version_suffix") {
  CHECK(keys::parse_version_suffix(keys::version(9, 4, "abc", 42)) == 42u);
  CHECK_FALSE(keys::parse_version_suffix(keys::resource(9, 4, "abcdefghijklmnop")));
  CHECK_FALSE(keys::parse_version_suffix("short"));
}

TEST_CASE("parse_change round trips both shapes") {
  auto s = keys::system_change(0xDEADBEEF, -123456789, 17, "pat-1.x", 5);
  auto c = keys::parse_change(s);
  REQUIRE(c);
  CHECK(c->svc == 0xDEADBEEF);
  CHECK(c->micros == -123456789);
  CHECK(c->type == 17);
  CHECK(c->id == "pat-1.x");
  CHECK(c->version == 5);
  CHECK(s.rfind(keys::system_changes_prefix(0xDEADBEEF), 0) == 0);

  auto t = keys::type_change(3, 145, 1'700'000'000'000'000, "Z", ~0ull);
  auto d = keys::parse_change(t);
  REQUIRE(d);
  CHECK(d->svc == 3);
  CHECK(d->type == 145);
  CHECK(d->micros == 1'700'000'000'000'000);
  CHECK(d->id == "Z");
  CHECK(d->version == ~0ull);
  CHECK(t.rfind(keys::type_changes_prefix(3, 145), 0) == 0);
}

TEST_CASE("change keys order by time") {
  CHECK(keys::system_change(1, -5, 9, "b", 1) < keys::system_change(1, 3, 1, "a", 1));
  CHECK(keys::type_change(1, 2, 100, "z", 1) < keys::type_change(1, 2, 200, "a", 1));
}

TEST_CASE("parse_change rejects malformed keys") {
  auto good = keys::system_change(1, 2, 3, "id", 4);
  CHECK_FALSE(keys::parse_change(""));
  CHECK_FALSE(keys::parse_change(good.substr(0, good.size() - 1)));    // truncated
  auto bad_shape = good;
  bad_shape[4] = 'X';
  CHECK_FALSE(keys::parse_change(bad_shape));
  auto no_sep = good;
  no_sep[no_sep.size() - 9] = 'q';
  CHECK_FALSE(keys::parse_change(no_sep));
  CHECK_FALSE(keys::parse_change(keys::system_change(1, 2, 3, "", 4))); // empty id
  CHECK_FALSE(keys::parse_change(keys::version(1, 2, "id", 4)));        // a history key
}

TEST_CASE("meta keys") {
  CHECK(keys::workspace("acme") == "Wacme");
  CHECK(keys::service("acme", "fhir") == std::string("Sacme\0fhir", 10));
  CHECK(keys::service_prefix("acme") == std::string("Sacme\0", 6));
  // ws "a" does not see ws "ab"'s services.
  auto p = keys::service_prefix("a");
  CHECK(keys::service("ab", "x").rfind(p, 0) != 0);
  CHECK(keys::next_service_id() == "N");
  CHECK(std::string(column_name(column::resources)) == "resources");
  CHECK(keys::resource(1, 2, "x").rfind(keys::service_scope(1), 0) == 0);
}

TEST_CASE("per-service meta keys name their service") {
  CHECK(keys::meta_key_service(keys::active_search_params(7)) == 7u);
  CHECK(keys::meta_key_service(keys::reindex_job(0x01020304, "job-1")) == 0x01020304u);
  CHECK(keys::meta_key_service(keys::index_upgrade(9)) == 9u);
  CHECK(keys::reindex_job(3, "j").starts_with(keys::reindex_jobs_prefix(3)));
  CHECK_FALSE(keys::meta_key_service("J"));
}
