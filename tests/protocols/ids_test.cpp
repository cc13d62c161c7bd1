#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>

#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "protocols/fhir/ids.hpp"

using namespace atrium::fhir;

TEST_CASE("FHIR ids are 1 to 64 of [A-Za-z0-9-.]") {
  CHECK(is_valid_id("a"));
  CHECK(is_valid_id("Patient-1.2"));
  CHECK(is_valid_id(std::string(64, 'x')));
  CHECK_FALSE(is_valid_id(""));
  CHECK_FALSE(is_valid_id(std::string(65, 'x')));
  CHECK_FALSE(is_valid_id("x y"));
  CHECK_FALSE(is_valid_id("a_b"));
  CHECK_FALSE(is_valid_id("a/b"));
  CHECK_FALSE(is_valid_id("\xc3\xa9"));
}

namespace {

/// The value of base32hex digits (0-9a-v).
std::uint64_t base32hex(std::string_view digits) {
  std::uint64_t v = 0;
  for (char c : digits)
    v = v << 5 | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  return v;
}

} // namespace

TEST_CASE("new ids are 24 base32hex characters and distinct") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_resource_id();
    REQUIRE(id.size() == 24);
    REQUIRE(is_valid_id(id));
    CHECK(id.find_first_not_of("0123456789abcdefghijklmnopqrstuv") == std::string::npos);
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("ids drawn later sort later, and carry the time they were drawn") {
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string first = new_resource_id();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const std::string second = new_resource_id();
  CHECK(first < second);
  // The first 11 characters are the top 55 bits: 44 of Unix milliseconds,
  // then 11 of the 12 of the millisecond's fraction.
  const auto millis = static_cast<long long>(base32hex(first.substr(0, 11)) >> 11);
  CHECK(millis >= before);
  CHECK(millis <= before + 1000);
  // The 64 random bits end the id: 1000 ids differ in their last 12
  // characters, which are random bits only, not in the time before them.
  std::set<std::string> tails;
  for (int i = 0; i < 1000; ++i) tails.insert(new_resource_id().substr(12));
  CHECK(tails.size() == 1000);
}

TEST_CASE("new ids sort after the version 7 UUIDs earlier builds assigned") {
  // A UUID this build would have drawn now: Unix milliseconds in hex first.
  const auto millis = static_cast<unsigned long long>(
    std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch()).count());
  char hex[13];
  std::snprintf(hex, sizeof hex, "%012llx", millis);
  const std::string uuid = std::string(hex, 8) + "-" + std::string(hex + 8, 4) + "-7fff-bfff-ffffffffffff";
  CHECK(uuid < new_resource_id());
}

TEST_CASE("threads draw different ids") {
  std::string a, b;
  std::thread t1([&] { a = new_resource_id(); });
  std::thread t2([&] { b = new_resource_id(); });
  t1.join();
  t2.join();
  CHECK(a != b);
}
