#include <catch2/catch.hpp>

#include <chrono>

#include <set>
#include <string>
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

TEST_CASE("new ids are version 7 UUIDs and distinct") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_resource_id();
    REQUIRE(id.size() == 36);
    REQUIRE(is_valid_id(id));
    CHECK(id[8] == '-');
    CHECK(id[13] == '-');
    CHECK(id[14] == '7');
    CHECK(id[18] == '-');
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    CHECK(id[23] == '-');
    CHECK(id.find_first_not_of("0123456789abcdef-") == std::string::npos);
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
  // The first 48 bits (12 hex digits around the dash) are Unix milliseconds.
  const std::string millis_hex = first.substr(0, 8) + first.substr(9, 4);
  const auto millis = static_cast<long long>(std::stoull(millis_hex, nullptr, 16));
  CHECK(millis >= before);
  CHECK(millis <= before + 1000);
}

TEST_CASE("threads draw different ids") {
  std::string a, b;
  std::thread t1([&] { a = new_resource_id(); });
  std::thread t2([&] { b = new_resource_id(); });
  t1.join();
  t2.join();
  CHECK(a != b);
}
