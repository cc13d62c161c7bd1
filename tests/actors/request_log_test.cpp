#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include "actors/request_log.hpp"

using atrium::actors::request_log;

namespace {

// Everything the log wrote to its file, once flushed.
std::string logged(const std::function<void(request_log&)>& write) {
  std::FILE* f = std::tmpfile();
  REQUIRE(f != nullptr);
  {
    request_log log{f};
    write(log);
    log.flush();
  }
  std::string out;
  std::rewind(f);
  for (int c; (c = std::fgetc(f)) != EOF;)
    out += static_cast<char>(c);
  std::fclose(f);
  return out;
}

} // namespace

TEST_CASE("a request's log line says method, path, status and milliseconds") {
  using std::chrono::nanoseconds;
  const auto out = logged([](request_log& log) {
    log.request("GET", "/default/fhir/Patient/1", 200, nanoseconds{715'400});
    log.request("POST", "/a \"b\"", 201, nanoseconds{1'234'567'890});
    log.request("GET", "/healthz", 200, nanoseconds{0});
    log.request("GET", "/x", 404, nanoseconds{9'999'600});
  });
  CHECK(out.find(R"(,"method":"GET","path":"/default/fhir/Patient/1","status":200,"ms":0.715})"
                 "\n") != std::string::npos);
  CHECK(out.find(R"("path":"/a \"b\"","status":201,"ms":1234.568})") != std::string::npos);
  CHECK(out.find(R"("path":"/healthz","status":200,"ms":0.000})") != std::string::npos);
  CHECK(out.find(R"("status":404,"ms":10.000})") != std::string::npos);
  CHECK(out.rfind(R"({"ts":")", 0) == 0);
  CHECK(std::count(out.begin(), out.end(), '\n') == 4);
}
