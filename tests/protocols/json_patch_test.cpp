// JSON Patch (RFC 6902): each operation, the examples of its appendix that
// FHIR resources can meet, and the errors (malformed: invalid; not
// applicable: unprocessable).
#include <catch2/catch.hpp>

#include "protocols/fhir/json_patch.hpp"

using namespace atrium;
using atrium::fhir::apply_json_patch;

namespace {

std::string patched(std::string_view doc, std::string_view patch) {
  auto r = apply_json_patch(doc, patch);
  INFO(patch << " -> " << (r ? *r : r.error().message()));
  REQUIRE(r);
  return *r;
}

errc failure(std::string_view doc, std::string_view patch) {
  auto r = apply_json_patch(doc, patch);
  REQUIRE_FALSE(r);
  return r.error().code();
}

} // namespace

TEST_CASE("json patch: add, remove and replace members and array items", "[json-patch]") {
  const std::string doc = R"({"a":1,"list":["x","y"]})";
  CHECK(patched(doc, R"([{"op":"add","path":"/b","value":{"c":[1]}}])") ==
        R"({"a":1,"list":["x","y"],"b":{"c":[1]}})");
  CHECK(patched(doc, R"([{"op":"add","path":"/a","value":2}])") == R"({"a":2,"list":["x","y"]})");
  CHECK(patched(doc, R"([{"op":"add","path":"/list/1","value":"q"}])") ==
        R"({"a":1,"list":["x","q","y"]})");
  CHECK(patched(doc, R"([{"op":"add","path":"/list/-","value":"z"}])") ==
        R"({"a":1,"list":["x","y","z"]})");
  CHECK(patched(doc, R"([{"op":"add","path":"/list/2","value":"z"}])") ==
        R"({"a":1,"list":["x","y","z"]})");
  CHECK(patched(doc, R"([{"op":"remove","path":"/list/0"}])") == R"({"a":1,"list":["y"]})");
  CHECK(patched(doc, R"([{"op":"remove","path":"/a"}])") == R"({"list":["x","y"]})");
  CHECK(patched(doc, R"([{"op":"replace","path":"/list/1","value":"w"}])") ==
        R"({"a":1,"list":["x","w"]})");
  CHECK(patched(doc, R"([{"op":"replace","path":"","value":[1]}])") == "[1]");
  CHECK(patched(doc, "[]") == doc);
}

TEST_CASE("json patch: arrays and objects left empty go, as R4 JSON has none", "[json-patch]") {
  const std::string doc = R"({"resourceType":"Patient","name":[{"given":["Ann"]}],"active":true})";
  CHECK(patched(doc, R"([{"op":"remove","path":"/name/0/given/0"}])") ==
        R"({"resourceType":"Patient","active":true})");
  CHECK(patched(doc, R"([{"op":"add","path":"/contact","value":[{}]}])") == doc);
  CHECK(patched(R"({"a":[]})", R"([{"op":"add","path":"/b","value":1}])") == R"({"b":1})");
}

TEST_CASE("json patch: move, copy and test", "[json-patch]") {
  const std::string doc = R"({"a":{"b":"c"},"d":["e"]})";
  CHECK(patched(doc, R"([{"op":"move","from":"/a/b","path":"/d/0"}])") ==
        R"({"d":["c","e"]})"); // "a" left empty goes
  CHECK(patched(doc, R"([{"op":"copy","from":"/a","path":"/f"}])") ==
        R"({"a":{"b":"c"},"d":["e"],"f":{"b":"c"}})");
  CHECK(patched(doc, R"([{"op":"test","path":"/a/b","value":"c"},{"op":"remove","path":"/d"}])") ==
        R"({"a":{"b":"c"}})");
  CHECK(failure(doc, R"([{"op":"move","from":"/a","path":"/a/x"}])") == errc::unprocessable);
}

TEST_CASE("json patch: values keep their text; pointers unescape ~0 and ~1", "[json-patch]") {
  CHECK(patched(R"({"v":1.50})", R"([{"op":"add","path":"/w","value":2.500}])") ==
        R"({"v":1.50,"w":2.500})");
  CHECK(patched(R"({"a/b":1,"m~n":2})",
                R"([{"op":"remove","path":"/a~1b"},{"op":"replace","path":"/m~0n","value":3}])") ==
        R"({"m~n":3})");
}

TEST_CASE("json patch: all or nothing, and the two kinds of error", "[json-patch]") {
  const std::string doc = R"({"a":1,"list":["x"]})";
  // Not applicable (422): nothing of the patch is applied.
  CHECK(failure(doc, R"([{"op":"remove","path":"/a"},{"op":"remove","path":"/nope"}])") ==
        errc::unprocessable);
  CHECK(failure(doc, R"([{"op":"test","path":"/a","value":2}])") == errc::unprocessable);
  CHECK(failure(doc, R"([{"op":"add","path":"/list/5","value":1}])") == errc::unprocessable);
  CHECK(failure(doc, R"([{"op":"add","path":"/missing/x","value":1}])") == errc::unprocessable);
  CHECK(failure(doc, R"([{"op":"replace","path":"/b","value":1}])") == errc::unprocessable);
  CHECK(failure(doc, R"([{"op":"remove","path":"/list/01"}])") == errc::unprocessable);
  // Malformed (400).
  CHECK(failure(doc, "{}") == errc::invalid);
  CHECK(failure(doc, "[1]") == errc::invalid);
  CHECK(failure(doc, "[{") == errc::invalid);
  CHECK(failure(doc, R"([{"op":"add","path":"/b"}])") == errc::invalid);
  CHECK(failure(doc, R"([{"op":"add","value":1}])") == errc::invalid);
  CHECK(failure(doc, R"([{"path":"/a"}])") == errc::invalid);
  CHECK(failure(doc, R"([{"op":"frobnicate","path":"/a"}])") == errc::invalid);
  CHECK(failure(doc, R"([{"op":"copy","path":"/b"}])") == errc::invalid);
  CHECK(failure(doc, R"([{"op":"remove","path":"a"}])") == errc::invalid);
  CHECK(failure(doc, R"([{"op":"remove","path":"/a~2"}])") == errc::invalid);
}
