#include <catch2/catch.hpp>

#include "protocols/fhir/json_text.hpp"

using atrium::fhir::append_json_string;

static std::string json(std::string_view s) {
  std::string out = "x=";
  append_json_string(out, s);
  return out;
}

TEST_CASE("append_json_string quotes and escapes") {
  CHECK(json("") == R"(x="")");
  CHECK(json("plain") == R"(x="plain")");
  CHECK(json("say \"hi\"") == R"(x="say \"hi\"")");
  CHECK(json("a\\b") == R"(x="a\\b")");
  CHECK(json("\n\r\t\b\f") == R"(x="\n\r\t\b\f")");
  CHECK(json(std::string_view("\0\x01\x1f", 3)) == R"(x="\u0000\u0001\u001f")");
  CHECK(json("/ and \x7f") == "x=\"/ and \x7f\"");
  CHECK(json("M\xc3\xbcller \xe2\x9c\x93") == "x=\"M\xc3\xbcller \xe2\x9c\x93\"");
  // Escapes between runs of plain bytes, first and last too.
  CHECK(json("\"ab\"cd\\ef\ngh\x01") == R"(x="\"ab\"cd\\ef\ngh\u0001")");
}

TEST_CASE("raw_members splits a minified object and keeps values as written") {
  auto m = atrium::fhir::raw_members(R"({"a":1.50,"b":{"c":[1,{"d":"}"}]},"e":"x\"y,","f":[]})");
  REQUIRE(m.size() == 4);
  CHECK(m[0].key == "a");
  CHECK(m[0].value == "1.50");
  CHECK(m[1].value == R"({"c":[1,{"d":"}"}]})");
  CHECK(m[2].value == R"("x\"y,")");
  CHECK(m[3].key == "f");
  CHECK(m[3].value == "[]");
  CHECK(atrium::fhir::raw_members("{}").empty());
}

TEST_CASE("raw_members and raw_elements: only a quote after an even run of backslashes ends a string") {
  // A key and values ending in an escaped backslash (the quote after it ends
  // the string), and a value with an escaped backslash then an escaped quote
  // (which does not), going on past ",}".
  auto m = atrium::fhir::raw_members(R"({"a\\":"x\\","b":"\\\",}","c":"\\"})");
  REQUIRE(m.size() == 3);
  CHECK(m[0].key == R"(a\\)");
  CHECK(m[0].value == R"("x\\")");
  CHECK(m[1].value == R"("\\\",}")");
  CHECK(m[2].key == "c");
  CHECK(m[2].value == R"("\\")");
  auto e = atrium::fhir::raw_elements(R"(["\"",{"k":"]\\"},"",[]])");
  REQUIRE(e.size() == 4);
  CHECK(e[0] == R"("\"")");
  CHECK(e[1] == R"({"k":"]\\"})");
  CHECK(e[2] == R"("")");
  CHECK(e[3] == "[]");
}
