// FHIRPath Patch (R4 §3.1.0.10): each operation type, the cases of the R4
// page and of HL7's fhir-patch test suite (written here in JSON), text kept
// as written, primitive lists kept aligned with their "_name" partners, the
// path forms supported and refused, and every kind of error.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "protocols/fhir/fhirpath_patch.hpp"
#include "protocols/fhir/json_text.hpp"

using namespace atrium;
using atrium::fhir::apply_fhirpath_patch;

namespace {

std::string quoted(std::string_view s) {
  std::string out;
  fhir::append_json_string(out, s);
  return out;
}

/// A part: its name and its value member(s) as JSON text (`"valueString":"x"`).
std::string part(std::string_view name, std::string_view member) {
  return "{\"name\":" + quoted(name) + "," + std::string(member) + "}";
}
std::string str(std::string_view name, std::string_view value) {
  return part(name, "\"valueString\":" + quoted(value));
}
std::string integer(std::string_view name, int value) {
  return part(name, "\"valueInteger\":" + std::to_string(value));
}
std::string value(std::string_view member) { return part("value", member); }

/// An operation parameter of `type` on `path` with more parts.
std::string op(std::string_view type, std::string_view path, const std::vector<std::string>& more = {}) {
  std::string out = R"({"name":"operation","part":[)" + part("type", "\"valueCode\":" + quoted(type)) + "," +
                    str("path", path);
  for (const auto& p : more) out += "," + p;
  return out + "]}";
}

std::string params(const std::vector<std::string>& operations) {
  std::string out = R"({"resourceType":"Parameters","parameter":[)";
  for (std::size_t i = 0; i < operations.size(); ++i) out += (i ? "," : "") + operations[i];
  return out + "]}";
}

std::string patched(std::string_view resource, const std::vector<std::string>& operations) {
  const auto patch = params(operations);
  auto r = apply_fhirpath_patch(resource, patch);
  INFO(patch << " -> " << (r ? *r : r.error().message() + " at " + r.error().where()));
  REQUIRE(r);
  return *r;
}

status failure(std::string_view resource, const std::vector<std::string>& operations) {
  auto r = apply_fhirpath_patch(resource, params(operations));
  REQUIRE_FALSE(r);
  INFO(r.error().message());
  return r.error();
}

const std::string patient = R"({"resourceType":"Patient","id":"p1","birthDate":"1920-01-01"})";

} // namespace

TEST_CASE("fhirpath patch: replace, delete and add a primitive (R4 examples)", "[fhirpath-patch]") {
  CHECK(patched(patient, {op("replace", "Patient.birthDate", {value(R"("valueDate":"1930-01-01")")})}) ==
        R"({"resourceType":"Patient","id":"p1","birthDate":"1930-01-01"})");
  CHECK(patched(patient, {op("delete", "Patient.birthDate")}) == R"({"resourceType":"Patient","id":"p1"})");
  CHECK(patched(R"({"resourceType":"Patient","id":"p1"})",
                {op("add", "Patient", {str("name", "birthDate"), value(R"("valueDate":"1920-01-01")")})}) ==
        patient);
  // No operations: the resource as it was.
  CHECK(patched(patient, {}) == patient);
  CHECK(apply_fhirpath_patch(patient, R"({"resourceType":"Parameters"})").value() == patient);
}

TEST_CASE("fhirpath patch: nested primitives; deleting the last member of an object drops it",
          "[fhirpath-patch]") {
  const std::string p = R"({"resourceType":"Patient","contact":[{"name":{"text":"a name"},"gender":"male"}]})";
  CHECK(patched(p, {op("replace", "Patient.contact[0].gender", {value(R"("valueCode":"female")")})}) ==
        R"({"resourceType":"Patient","contact":[{"name":{"text":"a name"},"gender":"female"}]})");
  CHECK(patched(p, {op("replace", "Patient.contact[0].name.text", {value(R"("valueString":"the name")")})}) ==
        R"({"resourceType":"Patient","contact":[{"name":{"text":"the name"},"gender":"male"}]})");
  CHECK(patched(p, {op("delete", "Patient.contact[0].gender")}) ==
        R"({"resourceType":"Patient","contact":[{"name":{"text":"a name"}}]})");
  CHECK(patched(p, {op("delete", "Patient.contact[0].name.text")}) ==
        R"({"resourceType":"Patient","contact":[{"gender":"male"}]})");
  CHECK(patched(p, {op("delete", "Patient.contact[0].name.text"), op("delete", "Patient.contact.gender")}) ==
        R"({"resourceType":"Patient"})");
  CHECK(patched(R"({"resourceType":"Patient","contact":[{"name":{"text":"a name"}}]})",
                {op("add", "Patient.contact[0]", {str("name", "gender"), value(R"("valueCode":"male")")})}) ==
        R"({"resourceType":"Patient","contact":[{"name":{"text":"a name"},"gender":"male"}]})");
}

TEST_CASE("fhirpath patch: complex and anonymous types", "[fhirpath-patch]") {
  const std::string empty = R"({"resourceType":"Patient"})";
  CHECK(patched(empty, {op("add", "Patient",
                           {str("name", "maritalStatus"), value(R"("valueCodeableConcept":{"text":"married"})")})}) ==
        R"({"resourceType":"Patient","maritalStatus":{"text":"married"}})");
  CHECK(patched(R"({"resourceType":"Patient","maritalStatus":{"id":"1","text":"married"}})",
                {op("replace", "Patient.maritalStatus",
                    {value(R"("valueCodeableConcept":{"id":"2","text":"not married"})")})}) ==
        R"({"resourceType":"Patient","maritalStatus":{"id":"2","text":"not married"}})");
  // An anonymous type is a list of parts; contact repeats, so it is a list.
  const auto contact = part("value", R"("part":[)" + part("name", R"("valueHumanName":{"text":"a name"})") + "]");
  const std::string with_contact = R"({"resourceType":"Patient","contact":[{"name":{"text":"a name"}}]})";
  CHECK(patched(empty, {op("add", "Patient", {str("name", "contact"), contact})}) == with_contact);
  CHECK(patched(with_contact, {op("delete", "Patient.contact[0]")}) == empty);
  // Parts follow the anonymous type's shape: telecom repeats, name does not.
  const auto two = part("value", R"("part":[)" + part("telecom", R"("valueContactPoint":{"value":"1"})") + "," +
                                      part("gender", R"("valueCode":"other")") + "]");
  CHECK(patched(empty, {op("add", "Patient", {str("name", "contact"), two})}) ==
        R"({"resourceType":"Patient","contact":[{"telecom":[{"value":"1"}],"gender":"other"}]})");
}

TEST_CASE("fhirpath patch: lists (add, insert, move, delete by where)", "[fhirpath-patch]") {
  const std::string p =
      R"({"resourceType":"Patient","identifier":[{"system":"http://example.org","value":"value 1"},)"
      R"({"system":"http://example.org","value":"value 2"}]})";
  const auto id3 = value(R"("valueIdentifier":{"system":"http://example.org","value":"value 3"})");
  CHECK(patched(p, {op("add", "Patient", {str("name", "identifier"), id3})}) ==
        R"({"resourceType":"Patient","identifier":[{"system":"http://example.org","value":"value 1"},)"
        R"({"system":"http://example.org","value":"value 2"},{"system":"http://example.org","value":"value 3"}]})");
  CHECK(patched(p, {op("insert", "Patient.identifier", {integer("index", 0), id3})}) ==
        R"({"resourceType":"Patient","identifier":[{"system":"http://example.org","value":"value 3"},)"
        R"({"system":"http://example.org","value":"value 1"},{"system":"http://example.org","value":"value 2"}]})");
  CHECK(patched(p, {op("insert", "Patient.identifier", {integer("index", 1), id3})}) ==
        R"({"resourceType":"Patient","identifier":[{"system":"http://example.org","value":"value 1"},)"
        R"({"system":"http://example.org","value":"value 3"},{"system":"http://example.org","value":"value 2"}]})");
  CHECK(patched(p, {op("insert", "Patient.identifier", {integer("index", 2), id3})}) ==
        patched(p, {op("add", "Patient", {str("name", "identifier"), id3})}));
  CHECK(patched(p, {op("move", "Patient.identifier", {integer("source", 1), integer("destination", 0)})}) ==
        R"({"resourceType":"Patient","identifier":[{"system":"http://example.org","value":"value 2"},)"
        R"({"system":"http://example.org","value":"value 1"}]})");
  // The item leaves its place, then goes to the destination in what is left.
  const std::string four = R"({"resourceType":"Patient","identifier":[{"value":"1"},{"value":"2"},{"value":"3"},)"
                           R"({"value":"4"}]})";
  CHECK(patched(four, {op("move", "Patient.identifier", {integer("source", 0), integer("destination", 3)})}) ==
        R"({"resourceType":"Patient","identifier":[{"value":"2"},{"value":"3"},{"value":"4"},{"value":"1"}]})");
  CHECK(patched(four, {op("move", "Patient.identifier", {integer("source", 3), integer("destination", 1)})}) ==
        R"({"resourceType":"Patient","identifier":[{"value":"1"},{"value":"4"},{"value":"2"},{"value":"3"}]})");
  CHECK(patched(p, {op("replace", "Patient.identifier[0].value", {value(R"("valueString":"value 2")")}),
                    op("replace", "Patient.identifier[1].value", {value(R"("valueString":"value 1")")})}) ==
        patched(p, {op("move", "Patient.identifier", {integer("source", 0), integer("destination", 1)})}));
  CHECK(patched(p, {op("delete", "Patient.identifier.where(value = 'value 1')")}) ==
        R"({"resourceType":"Patient","identifier":[{"system":"http://example.org","value":"value 2"}]})");
}

TEST_CASE("fhirpath patch: add a telecom, delete a given name, replace birthDate", "[fhirpath-patch]") {
  const std::string p =
      R"({"resourceType":"Patient","id":"example","name":[{"use":"official","family":"Chalmers",)"
      R"("given":["Peter","James"]},{"use":"usual","given":["Jim"]}],"birthDate":"1974-12-25"})";
  const auto phone = value(R"("valueContactPoint":{"system":"phone","value":"(03) 5555 6473","use":"work"})");
  const std::string with_phone = patched(p, {op("add", "Patient", {str("name", "telecom"), phone})});
  CHECK(with_phone == p.substr(0, p.size() - 1) +
                          R"(,"telecom":[{"system":"phone","value":"(03) 5555 6473","use":"work"}]})");
  // A second telecom is appended to the list.
  CHECK(patched(with_phone, {op("add", "Patient", {str("name", "telecom"), phone})})
            .ends_with(R"("telecom":[{"system":"phone","value":"(03) 5555 6473","use":"work"},)"
                       R"({"system":"phone","value":"(03) 5555 6473","use":"work"}]})"));
  CHECK(patched(p, {op("delete", "Patient.name.where(use = 'official').given.where($this = 'James')")}) ==
        R"({"resourceType":"Patient","id":"example","name":[{"use":"official","family":"Chalmers",)"
        R"("given":["Peter"]},{"use":"usual","given":["Jim"]}],"birthDate":"1974-12-25"})");
  // Deleting the only given name of a name drops the list.
  CHECK(patched(p, {op("delete", "Patient.name.where(use = 'usual').given")}) ==
        R"({"resourceType":"Patient","id":"example","name":[{"use":"official","family":"Chalmers",)"
        R"("given":["Peter","James"]},{"use":"usual"}],"birthDate":"1974-12-25"})");
  CHECK(patched(p, {op("replace", "Patient.birthDate", {value(R"("valueDate":"1974-12-26")")})}) ==
        R"({"resourceType":"Patient","id":"example","name":[{"use":"official","family":"Chalmers",)"
        R"("given":["Peter","James"]},{"use":"usual","given":["Jim"]}],"birthDate":"1974-12-26"})");
  // Operations apply in order, each on the result of the one before.
  CHECK(patched(p, {op("delete", "Patient.name[0]"), op("replace", "Patient.name[0].use",
                                                            {value(R"("valueCode":"official")")})}) ==
        R"({"resourceType":"Patient","id":"example","name":[{"use":"official","given":["Jim"]}],)"
        R"("birthDate":"1974-12-25"})");
}

TEST_CASE("fhirpath patch: what the patch does not change keeps its text", "[fhirpath-patch]") {
  const std::string obs =
      R"({"resourceType":"Observation","status":"final","code":{"text":"\u00e9t\u00e9 \"x\""},)"
      R"("valueQuantity":{"value":1.50,"unit":"mg"},"referenceRange":[{"low":{"value":0.10},)"
      R"("high":{"value":2.0E1}}]})";
  CHECK(patched(obs, {op("replace", "Observation.status", {value(R"("valueCode":"amended")")})}) ==
        R"({"resourceType":"Observation","status":"amended","code":{"text":"\u00e9t\u00e9 \"x\""},)"
        R"("valueQuantity":{"value":1.50,"unit":"mg"},"referenceRange":[{"low":{"value":0.10},)"
        R"("high":{"value":2.0E1}}]})");
  // Values are copied as written too.
  CHECK(patched(obs, {op("replace", "Observation.value.value", {value(R"("valueDecimal":3.10)")})}) ==
        R"({"resourceType":"Observation","status":"final","code":{"text":"\u00e9t\u00e9 \"x\""},)"
        R"("valueQuantity":{"value":3.10,"unit":"mg"},"referenceRange":[{"low":{"value":0.10},)"
        R"("high":{"value":2.0E1}}]})");
  // White space in either document does not matter; the result is minified.
  CHECK(apply_fhirpath_patch("{ \"resourceType\": \"Patient\",\n \"active\": true }",
                             "{\n \"resourceType\": \"Parameters\", \"parameter\": [ " +
                                 op("replace", "Patient.active", {value(R"("valueBoolean" : false)")}) + " ] }")
            .value() ==
        R"({"resourceType":"Patient","active":false})");
}

TEST_CASE("fhirpath patch: choice elements take the name of their value's type", "[fhirpath-patch]") {
  const std::string obs = R"({"resourceType":"Observation","valueQuantity":{"value":1.50,"unit":"mg"}})";
  CHECK(patched(obs, {op("replace", "Observation.value", {value(R"("valueString":"high")")})}) ==
        R"({"resourceType":"Observation","valueString":"high"})");
  CHECK(patched(obs, {op("replace", "Observation.valueQuantity", {value(R"("valueQuantity":{"value":2})")})}) ==
        R"({"resourceType":"Observation","valueQuantity":{"value":2}})");
  CHECK(patched(R"({"resourceType":"Patient"})",
                {op("add", "Patient", {str("name", "deceased"), value(R"("valueBoolean":true)")})}) ==
        R"({"resourceType":"Patient","deceasedBoolean":true})");
  // Inside a list of parts as well: component.value[x].
  const auto component = part("value", R"("part":[)" + part("code", R"("valueCodeableConcept":{"text":"c"})") +
                                            "," + part("value", R"("valueQuantity":{"value":7.0})") + "]");
  CHECK(patched(R"({"resourceType":"Observation"})",
                {op("add", "Observation", {str("name", "component"), component})}) ==
        R"({"resourceType":"Observation","component":[{"code":{"text":"c"},"valueQuantity":{"value":7.0}}]})");
  auto e = failure(R"({"resourceType":"Patient","deceasedDateTime":"2020"})",
                   {op("add", "Patient", {str("name", "deceased"), value(R"("valueBoolean":true)")})});
  CHECK(e.code() == errc::unprocessable);
}

TEST_CASE("fhirpath patch: a primitive list's extensions stay on their values", "[fhirpath-patch]") {
  const std::string p = R"({"resourceType":"Patient","name":[{"given":["A","B","C"],)"
                        R"("_given":[null,{"extension":[{"url":"u","valueString":"b"}]},null]}]})";
  CHECK(patched(p, {op("delete", "Patient.name.given[0]")}) ==
        R"({"resourceType":"Patient","name":[{"given":["B","C"],)"
        R"("_given":[{"extension":[{"url":"u","valueString":"b"}]},null]}]})");
  CHECK(patched(p, {op("delete", "Patient.name.given[1]")}) ==
        R"({"resourceType":"Patient","name":[{"given":["A","C"]}]})");
  CHECK(patched(p, {op("insert", "Patient.name.given", {integer("index", 0), value(R"("valueString":"Z")")})}) ==
        R"({"resourceType":"Patient","name":[{"given":["Z","A","B","C"],)"
        R"("_given":[null,null,{"extension":[{"url":"u","valueString":"b"}]},null]}]})");
  CHECK(patched(p, {op("move", "Patient.name.given", {integer("source", 1), integer("destination", 2)})}) ==
        R"({"resourceType":"Patient","name":[{"given":["A","C","B"],)"
        R"("_given":[null,null,{"extension":[{"url":"u","valueString":"b"}]}]}]})");
  CHECK(patched(p, {op("add", "Patient.name[0]", {str("name", "given"), value(R"("valueString":"D")")})}) ==
        R"({"resourceType":"Patient","name":[{"given":["A","B","C","D"],)"
        R"("_given":[null,{"extension":[{"url":"u","valueString":"b"}]},null,null]}]})");
  // Deleting a single primitive deletes its extensions with it.
  CHECK(patched(R"({"resourceType":"Patient","birthDate":"1970","_birthDate":{"id":"b"}})",
                {op("delete", "Patient.birthDate")}) == R"({"resourceType":"Patient"})");
}

TEST_CASE("fhirpath patch: first(), last(), extension() and resources as values", "[fhirpath-patch]") {
  const std::string p = R"({"resourceType":"Patient","extension":[{"url":"a","valueString":"1"},)"
                        R"({"url":"b","valueString":"2"}],"name":[{"family":"X"},{"family":"Y"}]})";
  CHECK(patched(p, {op("delete", "Patient.name.first()")}) ==
        R"({"resourceType":"Patient","extension":[{"url":"a","valueString":"1"},)"
        R"({"url":"b","valueString":"2"}],"name":[{"family":"Y"}]})");
  CHECK(patched(p, {op("replace", "Patient.name.last().family", {value(R"("valueString":"Z")")})}) ==
        R"({"resourceType":"Patient","extension":[{"url":"a","valueString":"1"},)"
        R"({"url":"b","valueString":"2"}],"name":[{"family":"X"},{"family":"Z"}]})");
  CHECK(patched(p, {op("replace", "Patient.extension('b').value", {value(R"("valueInteger":2)")})}) ==
        R"({"resourceType":"Patient","extension":[{"url":"a","valueString":"1"},)"
        R"({"url":"b","valueInteger":2}],"name":[{"family":"X"},{"family":"Y"}]})");
  CHECK(patched(R"({"resourceType":"Patient","extension":[{"url":"http:\/\/x","valueString":"1"}]})",
                {op("delete", "Patient.extension('http://x')")}) == R"({"resourceType":"Patient"})");
  CHECK(patched(p, {op("delete", "Patient.extension.where(url = 'a')"), op("delete", "Patient.name[5]")}) ==
        R"({"resourceType":"Patient","extension":[{"url":"b","valueString":"2"}],)"
        R"("name":[{"family":"X"},{"family":"Y"}]})");
  CHECK(patched(R"({"resourceType":"Patient"})",
                {op("add", "Patient", {str("name", "contained"),
                                       part("value", R"("resource":{"resourceType":"Organization","id":"o"})")})}) ==
        R"({"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o"}]})");
  // where() sees %resource, and its criteria run with the engine's rules.
  CHECK(patched(p, {op("delete", "Patient.name.where(family = %resource.name.last().family)")}) ==
        R"({"resourceType":"Patient","extension":[{"url":"a","valueString":"1"},)"
        R"({"url":"b","valueString":"2"}],"name":[{"family":"X"}]})");
}

TEST_CASE("fhirpath patch: paths that match nothing, or too much", "[fhirpath-patch]") {
  const std::string p = R"({"resourceType":"Patient","name":[{"given":["A","B"]},{"given":["C"]}]})";
  // delete of nothing is no error.
  CHECK(patched(p, {op("delete", "Patient.birthDate")}) == p);
  CHECK(patched(p, {op("delete", "Patient.name.where(given = 'Q')")}) == p);
  auto e = failure(p, {op("delete", "Patient.birthDate"),
                       op("replace", "Patient.birthDate", {value(R"("valueDate":"2000")")})});
  CHECK(e.code() == errc::unprocessable);
  CHECK(e.where() == "Parameters.parameter[1]");
  CHECK_THAT(e.message(), Catch::Contains("operation 1 (replace)") && Catch::Contains("matches nothing"));
  e = failure(p, {op("delete", "Patient.name")});
  CHECK(e.code() == errc::unprocessable);
  CHECK_THAT(e.message(), Catch::Contains("matches 2 elements"));
  CHECK(failure(p, {op("replace", "Patient.name.given", {value(R"("valueString":"x")")})}).code() ==
        errc::unprocessable);
  CHECK(failure(p, {op("add", "Patient.name", {str("name", "family"), value(R"("valueString":"x")")})}).code() ==
        errc::unprocessable);
  CHECK(failure(p, {op("add", "Patient.contact", {str("name", "gender"), value(R"("valueCode":"male")")})})
            .code() == errc::unprocessable);
  CHECK(failure(p, {op("insert", "Patient.identifier", {integer("index", 0), value(R"("valueIdentifier":{})")})})
            .code() == errc::unprocessable);
  CHECK(failure(p, {op("move", "Patient.identifier", {integer("source", 0), integer("destination", 0)})}).code() ==
        errc::unprocessable);
  // insert and move need one whole list.
  CHECK(failure(p, {op("insert", "Patient.name.given", {integer("index", 0), value(R"("valueString":"x")")})})
            .code() == errc::unprocessable);
  CHECK(failure(p, {op("insert", "Patient.name[0].given.where($this = 'A')",
                       {integer("index", 0), value(R"("valueString":"x")")})})
            .code() == errc::unprocessable);
  CHECK(failure(p, {op("delete", "Patient")}).code() == errc::unprocessable);
}

TEST_CASE("fhirpath patch: indexes out of range", "[fhirpath-patch]") {
  const std::string p = R"({"resourceType":"Patient","name":[{"family":"A"},{"family":"B"}]})";
  const auto name = value(R"("valueHumanName":{"family":"C"})");
  CHECK(patched(p, {op("insert", "Patient.name", {integer("index", 2), name})}).ends_with(R"({"family":"C"}]})"));
  for (int index : {3, -1}) {
    auto e = failure(p, {op("insert", "Patient.name", {integer("index", index), name})});
    CHECK(e.code() == errc::unprocessable);
    CHECK_THAT(e.message(), Catch::Contains("outside 0..2"));
  }
  for (auto [source, destination] : {std::pair{2, 0}, std::pair{0, 2}, std::pair{-1, 0}}) {
    auto e = failure(p, {op("move", "Patient.name", {integer("source", source), integer("destination", destination)})});
    CHECK(e.code() == errc::unprocessable);
    CHECK_THAT(e.message(), Catch::Contains("outside 0..1"));
  }
}

TEST_CASE("fhirpath patch: values of the wrong kind, elements that exist or do not", "[fhirpath-patch]") {
  const std::string p = R"({"resourceType":"Patient","birthDate":"1970","name":[{"family":"A"}]})";
  auto add = [&](std::string_view name, std::string_view member) {
    return failure(p, {op("add", "Patient", {str("name", name), value(member)})});
  };
  CHECK(add("birthDate", R"("valueDate":"1980")").code() == errc::unprocessable);    // exists: replace it
  CHECK(add("nickname", R"("valueString":"x")").code() == errc::unprocessable);      // no such element
  CHECK(add("telecom", R"("valueString":"x")").code() == errc::unprocessable);       // a ContactPoint
  CHECK(add("telecom", R"("valueHumanName":{})").code() == errc::unprocessable);     // not a HumanName
  CHECK(add("active", R"("valueCodeableConcept":{})").code() == errc::unprocessable); // a primitive
  CHECK(add("contact", R"("valueString":"x")").code() == errc::unprocessable);       // parts
  CHECK(add("deceased", R"("part":[{"name":"x","valueString":"y"}])").code() == errc::unprocessable);
  CHECK(add("contact", R"("part":[{"name":"nickname","valueString":"y"}])").code() == errc::unprocessable);
  CHECK(add("contact", R"("part":[{"name":"gender","valueCode":"a"},{"name":"gender","valueCode":"b"}])")
            .code() == errc::unprocessable);
  CHECK(failure(p, {op("replace", "Patient.name[0]", {value(R"("valueString":"x")")})}).code() ==
        errc::unprocessable);
  CHECK(failure(p, {op("add", "Patient.birthDate", {str("name", "x"), value(R"("valueString":"y")")})}).code() ==
        errc::unprocessable);
}

TEST_CASE("fhirpath patch: unsupported path forms are refused as not implemented", "[fhirpath-patch]") {
  const std::string p = R"({"resourceType":"Patient","name":[{"family":"A"}]})";
  for (const char* path : {"Patient.name.select(family)", "Patient.name.skip(0)", "Patient.name[0 + 0]",
                           "Patient.name | Patient.name", "Patient.name.descendants()", "%resource.name"}) {
    auto e = failure(p, {op("delete", path)});
    INFO(path);
    CHECK(e.code() == errc::not_implemented);
    CHECK_THAT(e.message(), Catch::Contains("operation 0 (delete)") && Catch::Contains("not supported"));
  }
}

TEST_CASE("fhirpath patch: malformed Parameters are invalid", "[fhirpath-patch]") {
  struct error {
    std::string where, message;
  };
  auto invalid = [](std::string_view parameters) {
    auto r = apply_fhirpath_patch(patient, parameters);
    REQUIRE_FALSE(r);
    INFO(r.error().message());
    CHECK(r.error().code() == errc::invalid);
    return error{r.error().where(), r.error().message()};
  };
  invalid("not json");
  invalid(R"({"resourceType":"Patient"})");
  invalid(R"({"resourceType":"Parameters","parameter":{}})");
  auto e = invalid(params({op("delete", "Patient.birthDate"), R"({"name":"other","valueString":"x"})"}));
  CHECK(e.where == "Parameters.parameter[1]");
  CHECK_THAT(e.message, Catch::Contains("operation 1"));
  invalid(params({R"({"name":"operation"})"}));
  invalid(params({op("frobnicate", "Patient.birthDate")}));
  invalid(params({R"({"name":"operation","part":[{"name":"path","valueString":"Patient"}]})"}));
  invalid(params({op("add", "Patient", {value(R"("valueDate":"2000")")})}));        // no name
  invalid(params({op("insert", "Patient.name", {value(R"("valueHumanName":{})")})})); // no index
  invalid(params({op("move", "Patient.name", {integer("source", 0)})}));              // no destination
  invalid(params({op("delete", "Patient.birthDate", {integer("index", 0)})}));        // does not belong
  invalid(params({op("delete", "Patient.birthDate", {str("path", "Patient.id")})}));   // twice
  invalid(params({op("delete", "Patient.birthDate", {str("colour", "red")})}));
  invalid(params({op("insert", "Patient.name", {str("index", "0"), value(R"("valueHumanName":{})")})}));
  invalid(params({op("insert", "Patient.name", {part("index", R"("valueDecimal":1.5)"),
                                                 value(R"("valueHumanName":{})")})}));
  invalid(params({op("replace", "Patient.birthDate", {value(R"("valueFrobnicate":1)")})}));
  invalid(params({op("replace", "Patient.birthDate", {part("value", "\"id\":\"x\"")})}));
  e = invalid(params({op("delete", "Patient.name.where(")}));
  CHECK_THAT(e.message, Catch::Contains("operation 0 (delete)"));
  // Errors in where()'s criteria come from the engine.
  CHECK(failure(R"({"resourceType":"Patient","name":[{"given":["A","B"]}]})",
                {op("delete", "Patient.name.where(given.single() = 'A')")})
            .code() == errc::invalid);
}

TEST_CASE("fhirpath patch: all operations or none", "[fhirpath-patch]") {
  // A failing operation fails the whole patch, even after others applied.
  auto e = failure(patient, {op("delete", "Patient.birthDate"), op("delete", "Patient.name"),
                             op("replace", "Patient.gender", {value(R"("valueCode":"male")")})});
  CHECK(e.where() == "Parameters.parameter[2]");
  // A malformed operation is found before any applies, whatever its position.
  CHECK(failure(patient, {op("replace", "Patient.gender", {value(R"("valueCode":"male")")}),
                          op("frobnicate", "Patient")})
            .code() == errc::invalid);
  CHECK(apply_fhirpath_patch("[1]", params({})).error().code() == errc::internal);
}
