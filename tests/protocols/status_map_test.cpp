// The one mapping from error codes to HTTP statuses, checked for every code:
// a new errc added without a case here would silently become 500.
#include <catch2/catch.hpp>

#include <string>

#include "protocols/http/status_map.hpp"

using namespace atrium;
using atrium::http::reason_phrase;
using atrium::http::status_for;

TEST_CASE("every error code maps to its HTTP status") {
  const std::pair<errc, unsigned> expected[] = {
    {errc::ok, 200},
    {errc::invalid, 400},
    {errc::not_found, 404},
    {errc::method_not_allowed, 405},
    {errc::not_acceptable, 406},
    {errc::conflict, 409},
    {errc::gone, 410},
    {errc::precondition_failed, 412},
    {errc::too_large, 413},
    {errc::unsupported_media, 415},
    {errc::unprocessable, 422},
    {errc::too_many_requests, 429},
    {errc::not_implemented, 501},
    {errc::unavailable, 503},
    {errc::timeout, 504},
    {errc::io_error, 500},
    {errc::internal, 500},
  };
  // The table covers the enum: internal is its last code.
  CHECK(std::size(expected) == static_cast<std::size_t>(errc::internal) + 1);
  for (auto [code, http_status] : expected) {
    INFO(errc_name(code));
    CHECK(status_for(code) == http_status);
  }
}

TEST_CASE("an out-of-range code is a server error") {
  CHECK(status_for(static_cast<errc>(200)) == 500);
}

TEST_CASE("every mapped status has its reason phrase") {
  const std::pair<unsigned, const char*> expected[] = {
    {200, "OK"},
    {201, "Created"},
    {204, "No Content"},
    {304, "Not Modified"},
    {400, "Bad Request"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {409, "Conflict"},
    {410, "Gone"},
    {412, "Precondition Failed"},
    {413, "Payload Too Large"},
    {415, "Unsupported Media Type"},
    {422, "Unprocessable Entity"},
    {429, "Too Many Requests"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
  };
  for (auto [status, phrase] : expected) {
    INFO(status);
    CHECK(std::string{reason_phrase(status)} == phrase);
  }
  // Every status an errc can produce has a real phrase, not the fallback.
  for (int c = 0; c <= static_cast<int>(errc::internal); ++c) {
    INFO(errc_name(static_cast<errc>(c)));
    CHECK(std::string{reason_phrase(status_for(static_cast<errc>(c)))} != "Error");
  }
  CHECK(std::string{reason_phrase(418)} == "Error");
}
