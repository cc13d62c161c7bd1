#include <catch2/catch.hpp>

#include "protocols/common/status.hpp"

using namespace atrium;

TEST_CASE("status carries code, message and place") {
  status s{errc::invalid, "bad id", "Patient.id"};
  CHECK_FALSE(s.is_ok());
  CHECK(s.code() == errc::invalid);
  CHECK(s.where() == "Patient.id");
  CHECK(std::string(errc_name(s.code())) == "invalid");
  CHECK(status::ok().is_ok());
}

TEST_CASE("result holds a value or an error") {
  result<int> good = 7;
  REQUIRE(good);
  CHECK(*good == 7);
  result<int> bad = status{errc::not_found, "nope"};
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == errc::not_found);
}
