#include <catch2/catch.hpp>

#include "fhirpath_test_support.hpp"

using namespace fhirpath_test;
using V = std::vector<std::string>;

TEST_CASE("existence functions", "[fhirpath]") {
  const auto& d = empty_doc();
  CHECK(eval_bool(d, "{}.empty()") == "true");
  CHECK(eval_bool(d, "(1 | 2).empty()") == "false");
  CHECK(eval_bool(d, "(1 | 2).exists()") == "true");
  CHECK(eval_bool(d, "{}.exists()") == "false");
  CHECK(eval_bool(d, "(1 | 2 | 3).exists($this > 2)") == "true");
  CHECK(eval_bool(d, "(1 | 2 | 3).exists($this > 3)") == "false");
  CHECK(eval_bool(d, "(1 | 2 | 3).all($this > 0)") == "true");
  CHECK(eval_bool(d, "(1 | 2 | 3).all($this > 1)") == "false");
  CHECK(eval_bool(d, "{}.all($this > 1)") == "true");
  CHECK(eval_bool(d, "(true | true).allTrue()") == "true");
  CHECK(eval_bool(d, "(true.combine(false)).allTrue()") == "false");
  CHECK(eval_bool(d, "(true.combine(false)).anyTrue()") == "true");
  CHECK(eval_bool(d, "(false.combine(false)).anyTrue()") == "false");
  CHECK(eval_bool(d, "(false.combine(false)).allFalse()") == "true");
  CHECK(eval_bool(d, "(true.combine(false)).allFalse()") == "false");
  CHECK(eval_bool(d, "(true.combine(false)).anyFalse()") == "true");
  CHECK(eval_bool(d, "{}.allTrue()") == "true");
  CHECK(eval_bool(d, "{}.anyTrue()") == "false");
  CHECK(eval_bool(d, "(1 | 2).subsetOf(1 | 2 | 3)") == "true");
  CHECK(eval_bool(d, "(1 | 4).subsetOf(1 | 2 | 3)") == "false");
  CHECK(eval_bool(d, "(1 | 2 | 3).supersetOf(1 | 3)") == "true");
  CHECK(eval_bool(d, "(1 | 2).supersetOf(3)") == "false");
  CHECK(eval_texts(d, "(1 | 2 | 3).count()") == V{"3"});
  CHECK(eval_texts(d, "{}.count()") == V{"0"});
  CHECK(eval_texts(d, "(1.combine(1).combine(2)).distinct()") == V{"1", "2"});
  CHECK(eval_bool(d, "(1.combine(1)).isDistinct()") == "false");
  CHECK(eval_bool(d, "(1 | 2).isDistinct()") == "true");
}

TEST_CASE("filtering and projection", "[fhirpath]") {
  const json_doc q(R"({"resourceType":"Questionnaire","item":[
    {"linkId":"1","item":[{"linkId":"1.1"},{"linkId":"1.2","item":[{"linkId":"1.2.1"}]}]},
    {"linkId":"2"}]})");
  CHECK(eval_texts(q, "(1 | 2 | 3 | 4).where($this mod 2 = 0)") == V{"2", "4"});
  CHECK(eval_texts(q, "(10 | 20 | 30).where($index > 0)") == V{"20", "30"});
  CHECK(eval_texts(q, "(1 | 2).select($this * 10)") == V{"10", "20"});
  CHECK(eval_texts(q, "Questionnaire.item.select(linkId)") == V{"1", "2"});
  CHECK(eval_texts(q, "Questionnaire.repeat(item).linkId") == V{"1", "2", "1.1", "1.2", "1.2.1"});
  CHECK(eval_texts(q, "Questionnaire.item.where(item.exists()).linkId") == V{"1"});
  CHECK(eval_texts(q, "Questionnaire.descendants().linkId") == V{"1", "2", "1.1", "1.2", "1.2.1"});
  CHECK(eval_texts(q, "Questionnaire.item.first().children().linkId") == V{"1.1", "1.2"});
  CHECK(eval_texts(q, "Questionnaire.item.first().children().count()") == V{"3"});
  CHECK(eval_texts(q, "(1 | 2 | 3).aggregate($this + $total, 0)") == V{"6"});
  CHECK(eval_texts(q, "(1 | 5 | 3).aggregate(iif($total.empty() or $this > $total, $this, $total))") == V{"5"});
  CHECK(eval_texts(q, "('a' | 'b').trace('x')") == V{"a", "b"});
}

TEST_CASE("subsetting and combining", "[fhirpath]") {
  const auto& d = empty_doc();
  CHECK(eval_texts(d, "(1 | 2 | 3).first()") == V{"1"});
  CHECK(eval_texts(d, "(1 | 2 | 3).last()") == V{"3"});
  CHECK(eval_texts(d, "(1 | 2 | 3).tail()") == V{"2", "3"});
  CHECK(eval_texts(d, "(1 | 2 | 3).skip(1)") == V{"2", "3"});
  CHECK(eval_texts(d, "(1 | 2 | 3).skip(5)") == V{});
  CHECK(eval_texts(d, "(1 | 2 | 3).take(2)") == V{"1", "2"});
  CHECK(eval_texts(d, "(1 | 2 | 3).take(0)") == V{});
  CHECK(eval_texts(d, "(1 | 2 | 3)[1]") == V{"2"});
  CHECK(eval_texts(d, "(1 | 2 | 3)[7]") == V{});
  CHECK(eval_texts(d, "5.single()") == V{"5"});
  CHECK(eval_texts(d, "{}.single()") == V{});
  CHECK(eval_error(d, "(1 | 2).single()").code() == atrium::errc::invalid);
  CHECK(eval_texts(d, "(1 | 2 | 3).intersect(2 | 3 | 4)") == V{"2", "3"});
  CHECK(eval_texts(d, "(1 | 2 | 3).exclude(2)") == V{"1", "3"});
  CHECK(eval_texts(d, "(1 | 2).union(2 | 3)") == V{"1", "2", "3"});
  CHECK(eval_texts(d, "(1 | 2).combine(2 | 3)") == V{"1", "2", "2", "3"});
  CHECK(eval_texts(d, "iif(true, 'y', 'n')") == V{"y"});
  CHECK(eval_texts(d, "iif(false, 'y', 'n')") == V{"n"});
  CHECK(eval_texts(d, "iif({}, 'y')") == V{});
  CHECK(eval_texts(d, "iif(true, 'y', (1 | 2).single())") == V{"y"}); // only the chosen branch runs
  CHECK(eval_texts(d, "5.iif($this > 3, 'big', 'small')") == V{"big"});
}

TEST_CASE("conversion functions", "[fhirpath]") {
  const auto& d = empty_doc();
  CHECK(eval_bool(d, "'yes'.toBoolean()") == "true");
  CHECK(eval_bool(d, "'F'.toBoolean()") == "false");
  CHECK(eval_bool(d, "0.toBoolean()") == "false");
  CHECK(eval_bool(d, "'maybe'.toBoolean()") == "{}");
  CHECK(eval_bool(d, "'maybe'.convertsToBoolean()") == "false");
  CHECK(eval_texts(d, "'42'.toInteger()") == V{"42"});
  CHECK(eval_texts(d, "'4.2'.toInteger()") == V{});
  CHECK(eval_texts(d, "true.toInteger()") == V{"1"});
  CHECK(eval_bool(d, "'-7'.convertsToInteger()") == "true");
  CHECK(eval_texts(d, "'4.25'.toDecimal()") == V{"4.25"});
  CHECK(eval_texts(d, "3.toDecimal()") == V{"3"});
  CHECK(eval_bool(d, "'x1'.convertsToDecimal()") == "false");
  CHECK(eval_texts(d, "12.toString()") == V{"12"});
  CHECK(eval_texts(d, "true.toString()") == V{"true"});
  CHECK(eval_texts(d, "@2020-01-02.toString()") == V{"2020-01-02"});
  CHECK(eval_texts(d, "(4 'mg').toString()") == V{"4 'mg'"});
  CHECK(eval_bool(d, "1.convertsToString()") == "true");
  CHECK(eval_texts(d, "'2020-03-04'.toDate()") == V{"2020-03-04"});
  CHECK(eval_texts(d, "'2020-03-04T10:00:00Z'.toDate()") == V{"2020-03-04"});
  CHECK(eval_bool(d, "'2020-13-04'.convertsToDate()") == "false");
  CHECK(eval_texts(d, "'2020-03-04T10:00:00Z'.toDateTime()") == V{"2020-03-04T10:00:00Z"});
  CHECK(eval_texts(d, "@2020-03-04.toDateTime()") == V{"2020-03-04"});
  CHECK(eval_bool(d, "'2020-03-04T10:00:00Z'.toDateTime() is DateTime") == "true");
  CHECK(eval_texts(d, "'10:15'.toTime()") == V{"10:15"});
  CHECK(eval_bool(d, "'25:00'.convertsToTime()") == "false");
  CHECK(eval_texts(d, "'4 \\'mg\\''.toQuantity()") == V{"4 'mg'"});
  CHECK(eval_texts(d, "'2 days'.toQuantity()") == V{"2 days"});
  CHECK(eval_texts(d, "5.toQuantity()") == V{"5 '1'"});
  CHECK(eval_texts(d, "(1 'g').toQuantity('mg')") == V{"1000 'mg'"});
  CHECK(eval_bool(d, "'abc'.convertsToQuantity()") == "false");
  CHECK(eval_texts(d, "{}.toInteger()") == V{});
}

TEST_CASE("string functions", "[fhirpath]") {
  const auto& d = empty_doc();
  CHECK(eval_texts(d, "'abcdef'.indexOf('cd')") == V{"2"});
  CHECK(eval_texts(d, "'abcdef'.indexOf('x')") == V{"-1"});
  CHECK(eval_texts(d, "'abcdef'.indexOf('')") == V{"0"});
  CHECK(eval_texts(d, "'abcdef'.substring(3)") == V{"def"});
  CHECK(eval_texts(d, "'abcdef'.substring(1, 2)") == V{"bc"});
  CHECK(eval_texts(d, "'abcdef'.substring(9)") == V{});
  CHECK(eval_bool(d, "'abcdef'.startsWith('abc')") == "true");
  CHECK(eval_bool(d, "'abcdef'.startsWith('')") == "true");
  CHECK(eval_bool(d, "'abcdef'.endsWith('ef')") == "true");
  CHECK(eval_bool(d, "'abcdef'.contains('cde')") == "true");
  CHECK(eval_bool(d, "'abcdef'.contains('x')") == "false");
  CHECK(eval_texts(d, "'AbC'.upper()") == V{"ABC"});
  CHECK(eval_texts(d, "'AbC'.lower()") == V{"abc"});
  CHECK(eval_texts(d, "'banana'.replace('an', 'o')") == V{"booa"});
  CHECK(eval_texts(d, "'abc'.replace('', 'x')") == V{"xaxbxcx"});
  CHECK(eval_bool(d, "'2020-01-02'.matches('^[0-9]{4}-[0-9]{2}')") == "true");
  CHECK(eval_bool(d, "'abc'.matches('^b')") == "false");
  CHECK(eval_texts(d, "'a1b22c'.replaceMatches('[0-9]+', '#')") == V{"a#b#c"});
  CHECK(eval_texts(d, "'John Smith'.replaceMatches('(\\\\w+) (\\\\w+)', '$2, $1')") == V{"Smith, John"});
  CHECK(eval_texts(d, "'abc'.length()") == V{"3"});
  CHECK(eval_texts(d, "'abc'.toChars()") == V{"a", "b", "c"});
  CHECK(eval_texts(d, "{}.upper()") == V{});
  CHECK(eval_texts(d, "'abc'.startsWith({})") == V{});
  CHECK(eval_error(d, "'abc'.matches('(')").code() == atrium::errc::invalid);
  CHECK(eval_error(d, "('a' | 'b').upper()").code() == atrium::errc::invalid);
}

TEST_CASE("math functions", "[fhirpath]") {
  const auto& d = empty_doc();
  CHECK(eval_texts(d, "(-5).abs()") == V{"5"});
  CHECK(eval_texts(d, "(-5.5).abs()") == V{"5.5"});
  CHECK(eval_texts(d, "(-5.5 'mg').abs()") == V{"5.5 'mg'"});
  CHECK(eval_texts(d, "1.1.ceiling()") == V{"2"});
  CHECK(eval_texts(d, "(-1.1).ceiling()") == V{"-1"});
  CHECK(eval_texts(d, "1.9.floor()") == V{"1"});
  CHECK(eval_texts(d, "(-1.9).truncate()") == V{"-1"});
  CHECK(eval_texts(d, "0.exp()") == V{"1"});
  CHECK(eval_texts(d, "1.ln()") == V{"0"});
  CHECK(eval_texts(d, "0.ln()") == V{});
  CHECK(eval_texts(d, "100.log(10)") == V{"2"});
  CHECK(eval_texts(d, "2.power(10)") == V{"1024"});
  CHECK(eval_bool(d, "2.power(10) is Integer") == "true");
  CHECK(eval_texts(d, "4.power(0.5)") == V{"2"});
  CHECK(eval_texts(d, "(-1).power(0.5)") == V{});
  CHECK(eval_texts(d, "3.14159.round(2)") == V{"3.14"});
  CHECK(eval_texts(d, "2.5.round()") == V{"3"});
  CHECK(eval_texts(d, "16.sqrt()") == V{"4"});
  CHECK(eval_texts(d, "(-1).sqrt()") == V{});
  CHECK(eval_texts(d, "{}.abs()") == V{});
  CHECK(eval_error(d, "'a'.abs()").code() == atrium::errc::invalid);
}

TEST_CASE("now, today, timeOfDay and variables", "[fhirpath]") {
  const json_doc p(R"({"resourceType":"Patient","id":"p1"})");
  fp::context ctx;
  ctx.now = *fp::parse_datetime("2024-05-06T07:08:09.010Z");
  CHECK(eval_texts(p, "now()", ctx) == V{"2024-05-06T07:08:09.010Z"});
  CHECK(eval_texts(p, "today()", ctx) == V{"2024-05-06"});
  CHECK(eval_texts(p, "timeOfDay()", ctx) == V{"07:08:09.010"});
  CHECK(eval_texts(p, "today() - 1 year", ctx) == V{"2023-05-06"});
  CHECK(eval_bool(p, "now() > @2000-01-01T00:00:00Z") == "true"); // the real clock
  CHECK(eval_bool(p, "today() is Date") == "true");
  CHECK(eval_texts(p, "%resource.id") == V{"p1"});
  CHECK(eval_texts(p, "%context.id") == V{"p1"});
  CHECK(eval_texts(p, "%ucum") == V{"http://unitsofmeasure.org"});
  CHECK(eval_texts(p, "%loinc") == V{"http://loinc.org"});
  CHECK(eval_texts(p, "%`vs-administrative-gender`") == V{"http://hl7.org/fhir/ValueSet/administrative-gender"});
  ctx.variables["limit"] = fp::collection{fp::item(std::int64_t{3})};
  CHECK(eval_texts(p, "%limit + 1", ctx) == V{"4"});
  CHECK(eval_error(p, "%nope").where() == "offset 0");
}
