#include <catch2/catch.hpp>

#include "fhirpath_test_support.hpp"

using namespace fhirpath_test;
using V = std::vector<std::string>;

TEST_CASE("three-valued logic: and, or, xor, implies, not", "[fhirpath]") {
  const auto& d = empty_doc();
  const char* values[] = {"true", "false", "{}"};
  // Expected results indexed [left][right] in the order true, false, {}.
  const char* and_table[3][3] = {{"true", "false", "{}"}, {"false", "false", "false"}, {"{}", "false", "{}"}};
  const char* or_table[3][3] = {{"true", "true", "true"}, {"true", "false", "{}"}, {"true", "{}", "{}"}};
  const char* xor_table[3][3] = {{"false", "true", "{}"}, {"true", "false", "{}"}, {"{}", "{}", "{}"}};
  const char* implies_table[3][3] = {{"true", "false", "{}"}, {"true", "true", "true"}, {"true", "{}", "{}"}};
  for (int l = 0; l < 3; ++l) {
    for (int r = 0; r < 3; ++r) {
      const std::string a = values[l], b = values[r];
      INFO(a << " op " << b);
      CHECK(eval_bool(d, a + " and " + b) == and_table[l][r]);
      CHECK(eval_bool(d, a + " or " + b) == or_table[l][r]);
      CHECK(eval_bool(d, a + " xor " + b) == xor_table[l][r]);
      CHECK(eval_bool(d, a + " implies " + b) == implies_table[l][r]);
    }
  }
  CHECK(eval_bool(d, "true.not()") == "false");
  CHECK(eval_bool(d, "false.not()") == "true");
  CHECK(eval_bool(d, "{}.not()") == "{}");
  // A single non-Boolean item counts as true where a Boolean is expected.
  CHECK(eval_bool(d, "'x' and true") == "true");
  CHECK_FALSE(fhirpath_test::fp::evaluate("(true | false) and true", d.root));
}

TEST_CASE("equality and equivalence", "[fhirpath]") {
  const auto& d = empty_doc();
  CHECK(eval_bool(d, "1 = 1") == "true");
  CHECK(eval_bool(d, "1 = 1.0") == "true");
  CHECK(eval_bool(d, "0.1 + 0.2 = 0.3") == "true");
  CHECK(eval_bool(d, "'a' = 'a'") == "true");
  CHECK(eval_bool(d, "'a' = 'A'") == "false");
  CHECK(eval_bool(d, "'a' != 'b'") == "true");
  CHECK(eval_bool(d, "{} = 1") == "{}");
  CHECK(eval_bool(d, "{} != {}") == "{}");
  CHECK(eval_bool(d, "(1 | 2) = (1 | 2)") == "true");
  CHECK(eval_bool(d, "(1 | 2) = (2 | 1)") == "false");
  CHECK(eval_bool(d, "(1 | 2) = 1") == "false");
  CHECK(eval_bool(d, "@2012-04-15 = @2012-04-15") == "true");
  CHECK(eval_bool(d, "@2012-04 = @2012-04-15") == "{}");
  CHECK(eval_bool(d, "@2012-03 = @2012-04-15") == "false");
  CHECK(eval_bool(d, "@2012-04-15T10:00:00Z = @2012-04-15T12:00:00+02:00") == "true");
  CHECK(eval_bool(d, "@2012-04-15T10:00:00.000Z = @2012-04-15T10:00:00Z") == "true");
  CHECK(eval_bool(d, "@T10:30 = @T10:30") == "true");
  CHECK(eval_bool(d, "4 'mg' = 4 'mg'") == "true");
  CHECK(eval_bool(d, "4000 'mg' = 4 'g'") == "true");
  CHECK(eval_bool(d, "1 day = 1 'd'") == "true");
  CHECK(eval_bool(d, "1 year = 1 'a'") == "{}");
  CHECK(eval_bool(d, "4 'mg' = 4 'm'") == "{}");
  CHECK(eval_bool(d, "true = true") == "true");
  CHECK(eval_bool(d, "1 = '1'") == "false");

  CHECK(eval_bool(d, "'Abc  def' ~ 'abc def'") == "true");
  CHECK(eval_bool(d, "'a' !~ 'b'") == "true");
  CHECK(eval_bool(d, "{} ~ {}") == "true");
  CHECK(eval_bool(d, "{} ~ 1") == "false");
  CHECK(eval_bool(d, "(1 | 2) ~ (2 | 1)") == "true");
  CHECK(eval_bool(d, "@2012-04 ~ @2012-04-15") == "false");
  CHECK(eval_bool(d, "1 year ~ 1 'a'") == "true");
  CHECK(eval_bool(d, "1.0 ~ 1") == "true");
}

TEST_CASE("comparison operators", "[fhirpath]") {
  const auto& d = empty_doc();
  CHECK(eval_bool(d, "1 < 2") == "true");
  CHECK(eval_bool(d, "2 <= 2.0") == "true");
  CHECK(eval_bool(d, "2.5 > 2") == "true");
  CHECK(eval_bool(d, "1 >= 2") == "false");
  CHECK(eval_bool(d, "'abc' < 'abd'") == "true");
  CHECK(eval_bool(d, "@2020-01-01 < @2020-01-02") == "true");
  CHECK(eval_bool(d, "@2020-01 < @2020-02-15") == "true");
  CHECK(eval_bool(d, "@2020-01 < @2020-01-15") == "{}");
  CHECK(eval_bool(d, "@2020-01-01T10:00:00Z > @2020-01-01T11:00:00+02:00") == "true");
  CHECK(eval_bool(d, "@T10:00 < @T11:00") == "true");
  CHECK(eval_bool(d, "5 'mg' < 1 'g'") == "true");
  CHECK(eval_bool(d, "{} < 1") == "{}");
  auto err = eval_error(d, "1 < 'a'");
  CHECK(err.where() == "offset 2");
}

TEST_CASE("arithmetic and concatenation", "[fhirpath]") {
  const auto& d = empty_doc();
  CHECK(eval_texts(d, "1 + 2 * 3") == V{"7"});
  CHECK(eval_texts(d, "(1 + 2) * 3") == V{"9"});
  CHECK(eval_texts(d, "7 / 2") == V{"3.5"});
  CHECK(eval_texts(d, "7 div 2") == V{"3"});
  CHECK(eval_texts(d, "-7 div 2") == V{"-3"});
  CHECK(eval_texts(d, "7 mod 3") == V{"1"});
  CHECK(eval_texts(d, "5.5 mod 2") == V{"1.5"});
  CHECK(eval_texts(d, "1.5 - 0.5") == V{"1"});
  CHECK(eval_texts(d, "7 / 0") == V{});
  CHECK(eval_texts(d, "7 div 0") == V{});
  CHECK(eval_texts(d, "-(3)") == V{"-3"});
  CHECK(eval_texts(d, "+3") == V{"3"});
  CHECK(eval_texts(d, "'a' + 'b'") == V{"ab"});
  CHECK(eval_texts(d, "'a' & {} & 'c'") == V{"ac"});
  CHECK(eval_texts(d, "'a' + {}") == V{});
  CHECK(eval_texts(d, "2 'mg' + 3 'mg'") == V{"5 'mg'"});
  CHECK(eval_texts(d, "1 'g' - 500 'mg'") == V{"0.5 'g'"});
  CHECK(eval_texts(d, "2 'mg' * 3") == V{"6 'mg'"});
  CHECK(eval_texts(d, "@2020-01-31 + 1 month") == V{"2020-02-29"});
  CHECK(eval_texts(d, "@2020-03-01 - 1 day") == V{"2020-02-29"});
  CHECK(eval_texts(d, "@2020-01-01 + 1 year") == V{"2021-01-01"});
  CHECK(eval_texts(d, "@2020-01-01T23:30:00Z + 45 minutes") == V{"2020-01-02T00:15:00Z"});
  CHECK(eval_texts(d, "@T23:00 + 2 hours") == V{"01:00"});
  CHECK(eval_texts(d, "@2020-01-01 + 36 hours") == V{"2020-01-02"});
  CHECK(eval_texts(d, "@2019-06 + 13 'mo'") == V{"2020-07"});
  CHECK_FALSE(fhirpath_test::fp::evaluate("(1 | 2) + 1", d.root));
  CHECK_FALSE(fhirpath_test::fp::evaluate("@2020 + 1 'mg'", d.root));
}

TEST_CASE("union, membership and type operators", "[fhirpath]") {
  const auto& d = empty_doc();
  CHECK(eval_texts(d, "(1 | 2 | 2 | 3)") == V{"1", "2", "3"});
  CHECK(eval_texts(d, "{} | 'a'") == V{"a"});
  CHECK(eval_bool(d, "2 in (1 | 2)") == "true");
  CHECK(eval_bool(d, "5 in (1 | 2)") == "false");
  CHECK(eval_bool(d, "{} in (1 | 2)") == "{}");
  CHECK(eval_bool(d, "1 in {}") == "false");
  CHECK(eval_bool(d, "(1 | 2) contains 2") == "true");
  CHECK(eval_bool(d, "(1 | 2) contains {}") == "{}");
  CHECK(eval_bool(d, "1 is Integer") == "true");
  CHECK(eval_bool(d, "1 is System.Integer") == "true");
  CHECK(eval_bool(d, "1 is FHIR.integer") == "false");
  CHECK(eval_bool(d, "1.5 is Decimal") == "true");
  CHECK(eval_bool(d, "'a' is String") == "true");
  CHECK(eval_bool(d, "true is Boolean") == "true");
  CHECK(eval_bool(d, "@2020 is Date") == "true");
  CHECK(eval_bool(d, "@2020-01-01T10:00 is DateTime") == "true");
  CHECK(eval_bool(d, "@T10:00 is Time") == "true");
  CHECK(eval_bool(d, "4 'mg' is Quantity") == "true");
  CHECK(eval_bool(d, "{} is Integer") == "{}");
  CHECK(eval_texts(d, "(1 as Integer)") == V{"1"});
  CHECK(eval_texts(d, "(1 as String)") == V{});
}
