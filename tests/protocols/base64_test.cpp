#include <catch2/catch.hpp>

#include "protocols/common/base64.hpp"

using atrium::decode_base64;

TEST_CASE("decode_base64: padded, unpadded, wrapped, and refused", "[base64]") {
  CHECK(decode_base64("") == std::string{});
  CHECK(decode_base64("Zg==") == std::string{"f"});
  CHECK(decode_base64("Zm8=") == std::string{"fo"});
  CHECK(decode_base64("Zm9v") == std::string{"foo"});
  CHECK(decode_base64("Zm9vYg") == std::string{"foob"});
  CHECK(decode_base64("Zm9v\r\nYmFy") == std::string{"foobar"});
  CHECK(decode_base64("/+8=") == std::string{"\xff\xef"});
  CHECK_FALSE(decode_base64("Zm9v!"));
  CHECK_FALSE(decode_base64("Z"));      // a length no encoder makes
  CHECK_FALSE(decode_base64("Zg==Zg")); // data after padding
  CHECK_FALSE(decode_base64("Zg==="));
}
