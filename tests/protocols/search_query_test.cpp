#include <catch2/catch.hpp>

#include "protocols/fhir/search/query.hpp"

using namespace atrium;
using namespace atrium::fhir::search;
using strings = std::vector<std::string>;

namespace {

// Query strings as a client sends them, so that percent-decoding and '+' are
// the HTTP layer's, as in production.
result<search_query> parse(std::string_view query) {
  auto pairs = http::parse_query(query);
  REQUIRE(pairs);
  return parse_query(*pairs);
}

search_query parsed(std::string_view query) {
  auto q = parse(query);
  INFO(query);
  REQUIRE(q);
  return std::move(q).value();
}

status parse_error(std::string_view query) {
  auto q = parse(query);
  INFO(query);
  REQUIRE_FALSE(q);
  CHECK(q.error().code() == errc::invalid);
  return q.error();
}

// For cases where only the refusal matters, not its wording.
void refused(std::string_view query) { parse_error(query).ignore(); }

search_query bound(std::string_view type, std::string_view query) {
  auto q = parsed(query);
  const auto s = bind_query(q, type, param_registry::r4());
  INFO(query << " -> " << s.message());
  REQUIRE(s);
  return q;
}

// Binds a query expected to be accepted without problems.
search_query clean(std::string_view type, std::string_view query) {
  auto q = bound(type, query);
  INFO(query);
  CHECK(q.problems.empty());
  if (!q.problems.empty()) FAIL_CHECK(q.problems.front());
  return q;
}

status bind_error(std::string_view type, std::string_view query) {
  auto q = parsed(query);
  const auto s = bind_query(q, type, param_registry::r4());
  INFO(query);
  REQUIRE_FALSE(s);
  CHECK(s.code() == errc::invalid);
  return s;
}

void refused_binding(std::string_view type, std::string_view query) {
  bind_error(type, query).ignore();
}

} // namespace

// ---- parse_query ----

TEST_CASE("parse: names, modifiers and values", "[search]") {
  const auto q = parsed("name:exact=Doe&birthdate=ge2000&gender=male");
  REQUIRE(q.clauses.size() == 3);
  CHECK(q.clauses[0].code == "name");
  CHECK(q.clauses[0].modifier == "exact");
  REQUIRE(q.clauses[0].values.size() == 1);
  CHECK(q.clauses[0].values[0].text == "Doe");
  CHECK(q.clauses[0].values[0].parts == strings{"Doe"});
  CHECK(q.clauses[1].code == "birthdate");
  CHECK(q.clauses[1].modifier.empty());
  CHECK(q.clauses[1].values[0].pre == prefix::ge);
  CHECK(q.clauses[1].values[0].text == "2000");
  CHECK(q.clauses[1].values[0].raw == "ge2000");
  CHECK(q.clauses[2].values[0].pre == prefix::eq);
  CHECK(q.problems.empty());
  CHECK(q.count == default_count);
  CHECK_FALSE(q.count_clamped);
  CHECK(q.total == total_mode::none);
  CHECK(q.summary == summary_mode::none);
}

TEST_CASE("parse: ',' is OR, repeating a parameter is AND", "[search]") {
  const auto q = parsed("code=a,b&code=c&name=x,,y");
  REQUIRE(q.clauses.size() == 3);
  REQUIRE(q.clauses[0].values.size() == 2);
  CHECK(q.clauses[0].values[0].text == "a");
  CHECK(q.clauses[0].values[1].text == "b");
  CHECK(q.clauses[1].values.size() == 1);
  CHECK(q.clauses[1].values[0].text == "c");
  CHECK(q.clauses[2].values.size() == 2); // empty alternatives are dropped
}

TEST_CASE("parse: escapes", "[search]") {
  const auto q = parsed(R"(name=a\,b,c&identifier=http://x|a\|b&family=a\\b&x=a\$b&y=a\nb&z=\\,w)");
  REQUIRE(q.clauses.size() == 6);
  const auto& name = q.clauses[0].values;
  REQUIRE(name.size() == 2);
  CHECK(name[0].text == "a,b");
  CHECK(name[0].raw == R"(a\,b)");
  CHECK(name[1].text == "c");
  const auto& identifier = q.clauses[1].values[0];
  CHECK(identifier.parts == strings{"http://x", "a|b"});
  CHECK(identifier.text == "http://x|a|b");
  CHECK(q.clauses[2].values[0].text == R"(a\b)");
  CHECK(q.clauses[3].values[0].text == "a$b");
  CHECK(q.clauses[3].values[0].raw == R"(a\$b)");
  CHECK(q.clauses[4].values[0].text == R"(a\nb)"); // not a search escape: kept
  // An escaped backslash does not escape the comma after it.
  REQUIRE(q.clauses[5].values.size() == 2);
  CHECK(q.clauses[5].values[0].text == R"(\)");
  CHECK(q.clauses[5].values[1].text == "w");
}

TEST_CASE("parse: prefixes only before a number", "[search]") {
  const auto value_of = [](std::string_view v) {
    const auto q = parsed("x=" + std::string(v));
    REQUIRE(q.clauses.size() == 1);
    return q.clauses[0].values[0];
  };
  const std::pair<std::string_view, prefix> cases[] = {
      {"eq2020", prefix::eq}, {"ne1", prefix::ne},    {"gt5", prefix::gt},
      {"lt5.4", prefix::lt},  {"ge2020", prefix::ge}, {"le2020-01-01", prefix::le},
      {"sa2020", prefix::sa}, {"eb2020", prefix::eb}, {"ap10", prefix::ap}};
  for (const auto& [text, expected] : cases) {
    INFO(text);
    const auto v = value_of(text);
    CHECK(v.pre == expected);
    CHECK(v.text == text.substr(2));
    CHECK(v.raw == text);
  }
  CHECK(value_of("gt-5").pre == prefix::gt);
  CHECK(value_of("gt-5").text == "-5");
  for (std::string_view text :
       {"gene", "approved", "ge", "lt-", "eb-x", "xx2020", "2020", "GE2020"}) {
    INFO(text);
    CHECK(value_of(text).pre == prefix::eq);
    CHECK(value_of(text).text == text);
  }
  const auto quantity = value_of("gt5.4|http://unitsofmeasure.org|mg");
  CHECK(quantity.pre == prefix::gt);
  CHECK(quantity.text == "5.4|http://unitsofmeasure.org|mg");
  CHECK(quantity.parts == strings{"5.4", "http://unitsofmeasure.org", "mg"});
}

TEST_CASE("parse: forward chains", "[search]") {
  const auto q = parsed("subject:Patient.name=x&subject.organization.name:exact=y");
  REQUIRE(q.clauses.size() == 2);
  CHECK(q.clauses[0].code == "subject");
  CHECK(q.clauses[0].modifier == "Patient");
  REQUIRE(q.clauses[0].chain.size() == 1);
  CHECK(q.clauses[0].chain[0].code == "name");
  CHECK(q.clauses[0].chain[0].modifier.empty());
  CHECK(q.clauses[1].modifier.empty());
  REQUIRE(q.clauses[1].chain.size() == 2);
  CHECK(q.clauses[1].chain[0].code == "organization");
  CHECK(q.clauses[1].chain[1].code == "name");
  CHECK(q.clauses[1].chain[1].modifier == "exact");
}

TEST_CASE("parse: reverse chains", "[search]") {
  const auto q = parsed(
      "_has:Observation:patient:code=1234-5"
      "&_has:Observation:patient:_has:AuditEvent:entity:agent=x"
      "&_has:Observation:subject:code:text=y");
  REQUIRE(q.clauses.size() == 3);
  const auto& simple = q.clauses[0];
  REQUIRE(simple.has.size() == 1);
  CHECK(simple.has[0].type == "Observation");
  CHECK(simple.has[0].param == "patient");
  CHECK(simple.code == "code");
  CHECK(simple.values[0].text == "1234-5");
  const auto& nested = q.clauses[1];
  REQUIRE(nested.has.size() == 2);
  CHECK(nested.has[0].type == "Observation");
  CHECK(nested.has[0].param == "patient");
  CHECK(nested.has[1].type == "AuditEvent");
  CHECK(nested.has[1].param == "entity");
  CHECK(nested.code == "agent");
  CHECK(q.clauses[2].code == "code");
  CHECK(q.clauses[2].modifier == "text");
}

TEST_CASE("parse: malformed names and empty values are problems", "[search]") {
  const auto q = parsed(
      "_has:Observation=x&_has:Observation:patient:=x&subject.=x&name:=x"
      "&.name=x&=v&name=&gender=,&ok=1");
  REQUIRE(q.clauses.size() == 1);
  CHECK(q.clauses[0].code == "ok");
  CHECK(q.problems ==
        strings{
            "malformed reverse chain '_has:Observation' (expected _has:Type:param:parameter)",
            "malformed parameter name '_has:Observation:patient:'",
            "malformed chain in 'subject.'",
            "malformed parameter name 'name:'",
            "malformed parameter name '.name'",
            "a parameter without a name",
            "parameter 'name' has no value",
            "parameter 'gender' has no value",
        });
}

TEST_CASE("parse: _sort", "[search]") {
  const auto q = parsed("_sort=-date,name&_sort=_id");
  REQUIRE(q.sort.size() == 3);
  CHECK(q.sort[0].code == "date");
  CHECK(q.sort[0].descending);
  CHECK(q.sort[1].code == "name");
  CHECK_FALSE(q.sort[1].descending);
  CHECK(q.sort[2].code == "_id");
  CHECK(parse_error("_sort=").where() == "_sort");
  refused("_sort=a,,b");
  refused("_sort=-");
  CHECK(parse_error("_sort:desc=a").where() == "_sort:desc");
}

TEST_CASE("parse: _count", "[search]") {
  CHECK(parsed("_count=50").count == 50);
  CHECK(parsed("_count=0").count == 0);
  CHECK(parsed("_count=1000").count == 1000);
  CHECK_FALSE(parsed("_count=1000").count_clamped);
  const auto big = parsed("_count=5000");
  CHECK(big.count == max_count);
  CHECK(big.count_clamped);
  CHECK(parsed("_count=99999999999999999999999").count == max_count);
  const auto e = parse_error("_count=-1");
  CHECK(e.where() == "_count");
  CHECK(e.message() == "_count must be a non-negative integer, not '-1'");
  refused("_count=abc");
  refused("_count=");
  refused("_count=1.5");
}

TEST_CASE("parse: _total, _summary, _elements, _cursor, _type", "[search]") {
  CHECK(parsed("_total=none").total == total_mode::none);
  CHECK(parsed("_total=estimate").total == total_mode::estimate);
  CHECK(parsed("_total=accurate").total == total_mode::accurate);
  CHECK(parse_error("_total=all").message() ==
        "_total must be one of none, estimate, accurate, not 'all'");
  CHECK(parsed("_summary=true").summary == summary_mode::true_);
  CHECK(parsed("_summary=text").summary == summary_mode::text);
  CHECK(parsed("_summary=data").summary == summary_mode::data);
  CHECK(parsed("_summary=count").summary == summary_mode::count);
  CHECK(parsed("_summary=false").summary == summary_mode::false_);
  CHECK(parse_error("_summary=yes").where() == "_summary");
  CHECK(parsed("_elements=id,name,birthDate").elements == strings{"id", "name", "birthDate"});
  refused("_elements=");
  refused("_elements=id,");
  CHECK(parsed("_cursor=abc123").cursor == "abc123");
  CHECK(parsed("_type=Patient,Observation").types == strings{"Patient", "Observation"});
  refused("_type=");
}

TEST_CASE("parse: _include and _revinclude", "[search]") {
  const auto q = parsed(
      "_include=Observation:subject:Patient&_include:iterate=Patient:link"
      "&_include=*&_revinclude=Provenance:target&_revinclude:iterate=Observation:*");
  REQUIRE(q.includes.size() == 3);
  CHECK(q.includes[0].source_type == "Observation");
  CHECK(q.includes[0].param == "subject");
  CHECK(q.includes[0].target_type == "Patient");
  CHECK_FALSE(q.includes[0].iterate);
  CHECK(q.includes[1].source_type == "Patient");
  CHECK(q.includes[1].param == "link");
  CHECK(q.includes[1].target_type.empty());
  CHECK(q.includes[1].iterate);
  CHECK(q.includes[2].source_type == "*");
  CHECK(q.includes[2].param == "*");
  REQUIRE(q.revincludes.size() == 2);
  CHECK(q.revincludes[0].source_type == "Provenance");
  CHECK(q.revincludes[0].param == "target");
  CHECK(q.revincludes[1].param == "*");
  CHECK(q.revincludes[1].iterate);
  CHECK(q.clauses.empty());
  CHECK(parsed("_include:recurse=Patient:link").includes[0].iterate); // STU3 spelling
  CHECK(parse_error("_include=Observation").where() == "_include");
  refused("_include=Observation:");
  refused("_include=a:b:c:d");
  CHECK(parse_error("_include:deep=Observation:subject").where() == "_include:deep");
}

TEST_CASE("parse: _format and _pretty are ignored; unsupported ones reported", "[search]") {
  const auto q = parsed("_format=json&_pretty=true&_contained=true&_score=true");
  CHECK(q.clauses.empty());
  CHECK(q.problems == strings{"_contained is not supported", "_score is not supported"});
  CHECK(parse_error("_count:x=5").where() == "_count:x");
}

// ---- bind_query ----

TEST_CASE("bind: known parameters are kept", "[search]") {
  const auto q = clean("Patient",
                       "name=Doe&birthdate=ge2000&organization=Organization/1&_id=123"
                       "&_lastUpdated=gt2020-01-01T00:00:00Z&_text=x&_tag=http://s|t");
  CHECK(q.clauses.size() == 7);
  CHECK(q.clauses[1].values[0].pre == prefix::ge);
  CHECK(q.clauses[1].values[0].text == "2000");
}

TEST_CASE("bind: unknown parameters become problems", "[search]") {
  const auto q = bound("Patient", "foo=1&name=x&code=2");
  REQUIRE(q.clauses.size() == 1);
  CHECK(q.clauses[0].code == "name");
  CHECK(q.problems == strings{"unknown search parameter 'foo' for Patient",
                              "unknown search parameter 'code' for Patient"});
  CHECK(bound("Bundle", "_text=x").problems ==
        strings{"unknown search parameter '_text' for Bundle"});
  clean("Observation", "_text=x");
}

TEST_CASE("bind: prefixes only on number, date and quantity", "[search]") {
  const auto q = clean("Patient", "name=eq2020&family=ge1&birthdate=eq2020");
  CHECK(q.clauses[0].values[0].pre == prefix::eq);
  CHECK(q.clauses[0].values[0].text == "eq2020");
  CHECK(q.clauses[1].values[0].text == "ge1");
  CHECK(q.clauses[1].values[0].parts == strings{"ge1"});
  CHECK(q.clauses[2].values[0].text == "2020");
  const auto token = clean("Observation", "code=ge1234&value-quantity=lt5.4");
  CHECK(token.clauses[0].values[0].pre == prefix::eq);
  CHECK(token.clauses[0].values[0].text == "ge1234");
  CHECK(token.clauses[1].values[0].pre == prefix::lt);
  CHECK(token.clauses[1].values[0].text == "5.4");
}

TEST_CASE("bind: modifiers allowed per type", "[search]") {
  clean("Patient",
        "name:exact=Doe&name:contains=oe&name:missing=true&gender:not=male&gender:text=M"
        "&gender:in=http://vs&gender:not-in=http://vs&gender:above=x&gender:below=x"
        "&identifier:of-type=http://sys|MR|123&organization:missing=false"
        "&organization:Organization=1&organization:identifier=http://sys|v&organization:below=x"
        "&birthdate:missing=true&general-practitioner:Practitioner=1&_profile:below=http://p"
        "&_profile:above=http://p");
  clean("Observation", "value-quantity:missing=true&code-value-quantity:missing=false");
  clean("RiskAssessment", "probability:missing=true");
}

TEST_CASE("bind: modifiers refused per type", "[search]") {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"name:text=x", "name:text"},
      {"name:below=x", "name:below"},
      {"name:Patient=x", "name:Patient"},
      {"birthdate:exact=2020", "birthdate:exact"},
      {"gender:exact=male", "gender:exact"},
      {"gender:identifier=male", "gender:identifier"},
      {"gender:Patient=male", "gender:Patient"},
      {"organization:Patient=1", "organization:Patient"},
      {"organization:text=x", "organization:text"},
      {"organization:bogus=x", "organization:bogus"},
      {"_profile:exact=http://p", "_profile:exact"},
  };
  for (const auto& [query, where] : cases) {
    INFO(query);
    CHECK(bind_error("Patient", query).where() == where);
  }
  CHECK(bind_error("Patient", "name:text=x").message() ==
        "modifier 'text' is not allowed on 'name:text' (a string parameter)");
  CHECK(bind_error("Patient", "name:missing=maybe").message() ==
        "'maybe' is not true or false (parameter 'name:missing')");
}

TEST_CASE("bind: dates and numbers", "[search]") {
  clean("Patient",
        "birthdate=2020&birthdate=2020-01&birthdate=le2020-01-31&birthdate=2020-01-31T10:00:00%"
        "2B01:00"
        "&_lastUpdated=gt2020-01-01T00:00:00.123Z&birthdate=sa2020,eb2021");
  const auto date = bind_error("Patient", "birthdate=2020-13");
  CHECK(date.where() == "birthdate");
  CHECK(date.message() == "'2020-13' is not a date, dateTime or instant (parameter 'birthdate')");
  refused_binding("Patient", "birthdate=gene");
  refused_binding("Patient", "birthdate=2020,abc");
  refused_binding("Patient", "birthdate=2020-1-1");
  clean("RiskAssessment", "probability=gt0.5&probability=1e-2&probability=-3&probability=lt-0.5");
  CHECK(bind_error("RiskAssessment", "probability=x").message() ==
        "'x' is not a number (parameter 'probability')");
  refused_binding("RiskAssessment", "probability=1.");
  refused_binding("RiskAssessment", "probability=.5");
  refused_binding("RiskAssessment", "probability=gt");
}

TEST_CASE("bind: quantities, tokens and references", "[search]") {
  clean("Observation",
        "value-quantity=5.4&value-quantity=gt5.4|http://unitsofmeasure.org|mg"
        "&value-quantity=5.4||mg&code=http://loinc.org|1234-5&code=|x&code=http://loinc.org|"
        "&subject=Patient/1&subject=123&subject=http://other.org/fhir/Practitioner/1"
        "&subject:Patient=1");
  refused_binding("Observation", "value-quantity=abc");
  CHECK(bind_error("Observation", "value-quantity=5.4|mg").where() == "value-quantity");
  refused_binding("Observation", "code=a|b|c");
  clean("Observation", R"(code=a\|b|c)"); // an escaped '|' is part of the code
  refused_binding("Patient", "identifier:of-type=a|b");
  refused_binding("Patient", "organization:identifier=a|b|c");
  CHECK(
      bind_error("Observation", "subject=Practitioner/1").message() ==
      "'Practitioner/1' is not a reference to a type that 'subject' allows (parameter 'subject')");
}

TEST_CASE("bind: composites split at unescaped '$'", "[search]") {
  clean("Observation",
        "code-value-quantity=http://loinc.org|8480-6$gt120|http://unitsofmeasure.org|mm[Hg]"
        "&code-value-quantity=8480-6$120,8462-4$lt80");
  clean("Observation", R"(code-value-quantity=a\$b$5)");
  CHECK(bind_error("Observation", "code-value-quantity=8480-6").message() ==
        "'code-value-quantity' needs 2 components separated by '$', not '8480-6'");
  refused_binding("Observation", "code-value-quantity=8480-6$abc");
  refused_binding("Observation", "code-value-quantity=8480-6$1$2");
  clean("Observation", "code-value-date=1234$ge2020-01-01");
  refused_binding("Observation", "code-value-date=1234$2020-13");
}

TEST_CASE("bind: forward chains through reference targets", "[search]") {
  clean(
      "Observation",
      "subject:Patient.name=x&subject.name=x&subject:Patient.organization.name=x"
      "&subject:Patient.name:exact=x&subject.birthdate=ge2000&patient.general-practitioner.name=x");
  clean("Patient", "general-practitioner:Practitioner.name=x&organization.name=x");
  // birthdate exists only on Patient among subject's targets: allowed and typed as a date.
  CHECK(bind_error("Observation", "subject.birthdate=2020-13").where() == "subject.birthdate");
  CHECK(bind_error("Observation", "subject:Patient.name:below=x").where() ==
        "subject:Patient.name:below");
  CHECK(bind_error("Observation", "subject:Practitioner.name=x").message() ==
        "modifier 'Practitioner' is not a target type of 'subject' in 'subject:Practitioner.name'");

  const auto q =
      bound("Observation", "subject.nope=x&subject:Patient.nope=x&code.name=x&performer.name.x=1");
  CHECK(q.clauses.empty());
  CHECK(q.problems ==
        strings{"unknown search parameter 'nope' for any of Group, Device, Patient, Location in "
                "'subject.nope'",
                "unknown search parameter 'nope' for Patient in 'subject:Patient.nope'",
                "'code' is not a reference parameter, so 'code.name' cannot chain",
                "'name' is not a reference parameter, so 'performer.name.x' cannot chain"});
}

TEST_CASE("bind: reverse chains", "[search]") {
  const auto q =
      clean("Patient",
            "_has:Observation:patient:code=1234-5"
            "&_has:Observation:patient:_has:AuditEvent:entity:agent=x"
            "&_has:Observation:performer:date=ge2020&_has:Observation:subject:code:text=bp");
  CHECK(q.clauses.size() == 4);
  CHECK(q.clauses[2].values[0].pre == prefix::ge);

  const auto bad = bound("Patient",
                         "_has:Foo:patient:code=1&_has:Observation:nope:code=1"
                         "&_has:Observation:code:code=1&_has:Observation:encounter:code=1"
                         "&_has:Observation:patient:nope=1");
  CHECK(bad.clauses.empty());
  CHECK(
      bad.problems ==
      strings{
          "unknown resource type 'Foo' in '_has:Foo:patient:code'",
          "unknown search parameter 'nope' for Observation in '_has:Observation:nope:code'",
          "'Observation:code' does not refer to Patient in '_has:Observation:code:code'",
          "'Observation:encounter' does not refer to Patient in '_has:Observation:encounter:code'",
          "unknown search parameter 'nope' for Observation in '_has:Observation:patient:nope'"});
  CHECK(bind_error("Patient", "_has:Observation:patient:date=2020-13").where() ==
        "_has:Observation:patient:date");
}

TEST_CASE("bind: result parameters", "[search]") {
  auto q =
      bound("Patient",
            "_sort=-birthdate,nope,_lastUpdated&_include=Patient:organization"
            "&_include=Observation:code&_include=Foo:bar&_include=Observation:subject:Medication"
            "&_include=Observation:subject:Patient&_include=*&_include:iterate=Observation:*"
            "&_revinclude=Provenance:target&_type=Patient,Foo");
  REQUIRE(q.sort.size() == 2);
  CHECK(q.sort[0].code == "birthdate");
  CHECK(q.sort[0].descending);
  CHECK(q.sort[1].code == "_lastUpdated");
  CHECK(q.includes.size() == 4);
  CHECK(q.revincludes.size() == 1);
  CHECK(q.types == strings{"Patient"});
  CHECK(
      q.problems ==
      strings{
          "unknown sort parameter 'nope' for Patient",
          "'code' is not a reference parameter of Observation in '_include=Observation:code'",
          "unknown resource type 'Foo' in '_include=Foo:bar'",
          "'Medication' is not a target of 'subject' in '_include=Observation:subject:Medication'",
          "unknown resource type 'Foo' in _type"});
}

TEST_CASE("bind: resource type and system search", "[search]") {
  auto q = parsed("_id=1");
  CHECK(bind_query(q, "Nope", param_registry::r4()).code() == errc::invalid);
  // Without a type only Resource's parameters apply.
  clean("", "_id=1&_lastUpdated=ge2020&_profile=http://p");
  CHECK(bound("", "name=x&_text=y").problems ==
        strings{"unknown search parameter 'name' for Resource",
                "unknown search parameter '_text' for Resource"});
}
