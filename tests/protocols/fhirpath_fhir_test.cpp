#include <catch2/catch.hpp>

#include "fhirpath_test_support.hpp"

using namespace fhirpath_test;
using V = std::vector<std::string>;

namespace {

const json_doc& patient() {
  static const json_doc doc(R"({
    "resourceType": "Patient", "id": "p1",
    "meta": {"profile": ["http://example.org/p"]},
    "extension": [
      {"url": "http://example.org/race", "valueCodeableConcept": {"text": "X"}},
      {"url": "http://example.org/nick", "valueString": "Jo"}],
    "active": true,
    "name": [{"use": "official", "family": "Doe", "given": ["John", "Q"]},
             {"use": "nickname", "given": ["Johnny"]}],
    "telecom": [{"system": "phone", "value": "555-1234"}, {"system": "email", "value": "j@x.org"}],
    "gender": "male",
    "birthDate": "1970-03-15",
    "_birthDate": {"extension": [{"url": "http://example.org/time", "valueDateTime": "1970-03-15T10:30:00Z"}]},
    "deceasedBoolean": false,
    "managingOrganization": {"reference": "Organization/o1"},
    "generalPractitioner": [{"reference": "Practitioner/dr1"},
                            {"reference": "http://other.org/fhir/Patient/p9/_history/2"},
                            {"reference": "#c1"},
                            {"identifier": {"value": "x"}, "type": "RelatedPerson"}],
    "contained": [{"resourceType": "Practitioner", "id": "c1", "name": [{"family": "Inside"}]}]
  })");
  return doc;
}

const json_doc& observation() {
  static const json_doc doc(R"({
    "resourceType": "Observation", "id": "o1", "status": "final",
    "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
    "subject": {"reference": "Patient/p1"},
    "effectiveDateTime": "2021-06-01T08:00:00+02:00",
    "valueQuantity": {"value": 120.5, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"},
    "referenceRange": [{"low": {"value": 90, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}],
    "component": [
      {"code": {"text": "sys"}, "valueQuantity": {"value": 120, "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
      {"code": {"text": "dia"}, "valueQuantity": {"value": 80, "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
      {"code": {"text": "note"}, "valueString": "ok"}]
  })");
  return doc;
}

} // namespace

TEST_CASE("navigation over FHIR JSON", "[fhirpath]") {
  const auto& p = patient();
  CHECK(eval_texts(p, "Patient.name.given") == V{"John", "Q", "Johnny"});
  CHECK(eval_texts(p, "name.family") == V{"Doe"});
  CHECK(eval_texts(p, "Patient.name[1].given") == V{"Johnny"});
  CHECK(eval_texts(p, "Patient.name.where(use = 'official').given.first()") == V{"John"});
  CHECK(eval_texts(p, "Patient.`name`.family") == V{"Doe"});
  CHECK(eval_texts(p, "Resource.id") == V{"p1"});
  CHECK(eval_texts(p, "DomainResource.meta.profile") == V{"http://example.org/p"});
  CHECK(eval_texts(p, "Observation.id") == V{});
  CHECK(eval_texts(p, "Patient.nothing") == V{});
  CHECK(eval_texts(p, "Patient.gender") == V{"male"});
  CHECK(eval_bool(p, "Patient.active") == "true");
  CHECK(eval_texts(p, "Patient.telecom.where(system='phone').value") == V{"555-1234"});
  CHECK(eval_texts(p, "Patient.telecom.count()") == V{"2"});
}

TEST_CASE("choice types, ofType, as and is", "[fhirpath]") {
  const auto& o = observation();
  const auto& p = patient();
  CHECK(eval_texts(o, "Observation.value.value") == V{"120.5"});
  CHECK(eval_texts(o, "Observation.value.unit") == V{"mmHg"});
  CHECK(eval_bool(o, "Observation.value is Quantity") == "true");
  CHECK(eval_bool(o, "Observation.value is FHIR.Quantity") == "true");
  CHECK(eval_bool(o, "Observation.value.is(Quantity)") == "true");
  CHECK(eval_bool(o, "Observation.value is string") == "false");
  CHECK(eval_texts(o, "(Observation.value as Quantity).code") == V{"mm[Hg]"});
  CHECK(eval_texts(o, "Observation.value.as(Quantity).value") == V{"120.5"});
  CHECK(eval_texts(o, "Observation.value.ofType(Quantity).value") == V{"120.5"});
  CHECK(eval_texts(o, "Observation.value.ofType(CodeableConcept)") == V{});
  CHECK(eval_texts(o, "Observation.component.value.ofType(Quantity).value") == V{"120", "80"});
  CHECK(eval_texts(o, "Observation.component.value.ofType(string)") == V{"ok"});
  CHECK(eval_texts(o, "Observation.component.value.count()") == V{"3"});
  CHECK(eval_texts(o, "Observation.effective.ofType(dateTime)") == V{"2021-06-01T08:00:00+02:00"});
  CHECK(eval_bool(o, "Observation.effective is dateTime") == "true");
  CHECK(eval_bool(o, "Observation.effective is DateTime") == "true");
  CHECK(eval_texts(p, "Patient.deceased.ofType(boolean)") == V{"false"});
  CHECK(eval_bool(p, "Patient.deceased.exists() and Patient.deceased != false") == "false");
  CHECK(eval_bool(p, "Patient is Patient") == "true");
  CHECK(eval_bool(p, "Patient is Resource") == "true");
  CHECK(eval_bool(p, "Patient is DomainResource") == "true");
  CHECK(eval_bool(p, "Patient.extension.first() is Extension") == "true");
}

TEST_CASE("comparing FHIR values with literals", "[fhirpath]") {
  const auto& o = observation();
  const auto& p = patient();
  CHECK(eval_bool(o, "Observation.value > 100 'mm[Hg]'") == "true");
  CHECK(eval_bool(o, "Observation.value = 120.5 'mm[Hg]'") == "true");
  CHECK(eval_bool(o, "Observation.referenceRange.low < Observation.value") == "true");
  CHECK(eval_bool(o, "Observation.value.value > 100") == "true");
  CHECK(eval_bool(o, "Observation.effective = @2021-06-01T06:00:00Z") == "true");
  CHECK(eval_bool(o, "Observation.effective > @2021-01-01") == "true");
  CHECK(eval_bool(p, "Patient.birthDate = @1970-03-15") == "true");
  CHECK(eval_bool(p, "Patient.birthDate < @1980") == "true");
  CHECK(eval_bool(p, "Patient.birthDate.toString() = '1970-03-15'") == "true");
  CHECK(eval_bool(p, "Patient.name.first() = Patient.name[0]") == "true");
  CHECK(eval_bool(p, "Patient.name[0] = Patient.name[1]") == "false");
  CHECK(eval_bool(p, "Patient.name.given contains 'Q'") == "true");
  CHECK(eval_bool(p, "'Johnny' in Patient.name.given") == "true");
  CHECK(eval_texts(p, "Patient.name.given | Patient.name.family") == V{"John", "Q", "Johnny", "Doe"});
  CHECK(eval_texts(p, "Patient.name.given.select($this.length())") == V{"4", "1", "6"});
  CHECK(eval_texts(p, "Patient.name.given.where(startsWith('J'))") == V{"John", "Johnny"});
}

TEST_CASE("extensions, primitive extensions, hasValue and getValue", "[fhirpath]") {
  const auto& p = patient();
  CHECK(eval_texts(p, "Patient.extension('http://example.org/nick').value") == V{"Jo"});
  CHECK(eval_texts(p, "Patient.extension('http://example.org/race').value.text") == V{"X"});
  CHECK(eval_bool(p, "Patient.extension('http://example.org/race').value is CodeableConcept") == "true");
  CHECK(eval_texts(p, "Patient.extension('http://example.org/none')") == V{});
  CHECK(eval_texts(p, "Patient.extension.url") == V{"http://example.org/race", "http://example.org/nick"});
  CHECK(eval_texts(p, "Patient.birthDate.extension('http://example.org/time').value") ==
        V{"1970-03-15T10:30:00Z"});
  CHECK(eval_texts(p, "Patient.birthDate.extension.count()") == V{"1"});
  CHECK(eval_bool(p, "Patient.birthDate.hasValue()") == "true");
  CHECK(eval_bool(p, "Patient.name.hasValue()") == "false");
  CHECK(eval_texts(p, "Patient.birthDate.getValue()") == V{"1970-03-15"});
  // Without a model of element types, birthDate is a string that compares as a date.
  CHECK(eval_bool(p, "Patient.birthDate.getValue() = @1970-03-15") == "true");
  CHECK(eval_bool(observation(), "Observation.effective.getValue() is DateTime") == "true");
  CHECK(eval_texts(p, "Patient.name.first().getValue()") == V{});

  // A primitive known only through its extensions still exists, without a value.
  const json_doc q(R"({"resourceType":"Patient","_gender":{"extension":[{"url":"u","valueCode":"unk"}]},
                       "name":[{"given":["A", null],"_given":[null,{"extension":[{"url":"v","valueString":"B"}]}]}]})");
  CHECK(eval_texts(q, "Patient.gender.exists()") == V{"true"});
  CHECK(eval_bool(q, "Patient.gender.hasValue()") == "false");
  CHECK(eval_texts(q, "Patient.gender.extension('u').value") == V{"unk"});
  CHECK(eval_texts(q, "Patient.name.given.count()") == V{"2"});
  CHECK(eval_texts(q, "Patient.name.given[1].extension('v').value") == V{"B"});
  // Values and extensions pair by position, whichever array is the longer.
  const json_doc r(R"({"resourceType":"Patient","name":[
      {"given":["A","B","C","D"],"_given":[null,{"extension":[{"url":"v","valueString":"b"}]}]},
      {"given":["E"],"_given":[null,null,{"extension":[{"url":"v","valueString":"g"}]}]}]})");
  // (a position with neither a value nor extensions is no item)
  CHECK(eval_texts(r, "Patient.name.given.count()") == V{"6"});
  CHECK(eval_texts(r, "Patient.name.given.select(getValue())") == V{"A", "B", "C", "D", "E"});
  CHECK(eval_texts(r, "Patient.name[0].given[1].extension('v').value") == V{"b"});
  CHECK(eval_texts(r, "Patient.name[0].given[3].getValue()") == V{"D"});
  CHECK(eval_texts(r, "Patient.name[1].given[1].extension('v').value") == V{"g"});
  CHECK(eval_bool(r, "Patient.name[1].given[1].hasValue()") == "false");
}

TEST_CASE("resolve(): type filtering, contained resources and a resolver", "[fhirpath]") {
  const auto& p = patient();
  const auto& o = observation();
  CHECK(eval_texts(o, "Observation.subject.where(resolve() is Patient).reference") == V{"Patient/p1"});
  CHECK(eval_texts(o, "Observation.subject.where(resolve() is Group)") == V{});
  CHECK(eval_texts(p, "Patient.generalPractitioner.where(resolve() is Practitioner).reference") ==
        V{"Practitioner/dr1", "#c1"});
  CHECK(eval_texts(p, "Patient.generalPractitioner.where(resolve() is Patient).reference") ==
        V{"http://other.org/fhir/Patient/p9/_history/2"});
  CHECK(eval_texts(p, "Patient.generalPractitioner.where(resolve() is RelatedPerson).count()") == V{"1"});
  CHECK(eval_bool(p, "Patient.managingOrganization.resolve() is Organization") == "true");
  CHECK(eval_texts(p, "Patient.generalPractitioner[2].resolve().name.family") == V{"Inside"});
  CHECK(eval_texts(p, "Patient.managingOrganization.resolve().name") == V{});

  const json_doc org(R"({"resourceType":"Organization","id":"o1","name":"Acme"})");
  fp::context ctx;
  std::vector<std::string> asked;
  ctx.resolve = [&](std::string_view ref) -> std::optional<simdjson::dom::element> {
    asked.emplace_back(ref);
    if (ref == "Organization/o1") return org.root;
    return std::nullopt;
  };
  CHECK(eval_texts(p, "Patient.managingOrganization.resolve().name", ctx) == V{"Acme"});
  CHECK(asked == V{"Organization/o1"});
  CHECK(eval_bool(p, "Patient.managingOrganization.resolve() is Organization", ctx) == "true");
}

TEST_CASE("Bundle entries are typed by their resourceType", "[fhirpath]") {
  const json_doc b(R"({"resourceType":"Bundle","type":"collection","entry":[
    {"fullUrl":"urn:uuid:1","resource":{"resourceType":"Patient","id":"a","name":[{"family":"A"}]}},
    {"resource":{"resourceType":"Observation","id":"b","valueString":"v"}},
    {"resource":{"resourceType":"Patient","id":"c"}}]})");
  CHECK(eval_texts(b, "Bundle.entry[0].resource.id") == V{"a"});
  CHECK(eval_texts(b, "Bundle.entry.resource.ofType(Patient).id") == V{"a", "c"});
  CHECK(eval_texts(b, "Bundle.entry.resource.where($this is Observation).value") == V{"v"});
  CHECK(eval_texts(b, "Bundle.entry.select(resource as Patient).id") == V{"a", "c"});
  CHECK(eval_texts(b, "Bundle.entry.resource.ofType(Resource).count()") == V{"3"});
  CHECK(eval_bool(b, "Bundle is DomainResource") == "false");
  CHECK(eval_texts(b, "Bundle.entry.resource.select(id & '/' & name.family)") == V{"a/A", "b/", "c/"});
  CHECK(eval_texts(b, "Bundle.descendants().ofType(Patient).id") == V{"a", "c"});
}

TEST_CASE("compile_for_resource: a leading type name reads the resource's members", "[fhirpath]") {
  const auto& o = observation();
  // The same results as compile() on a resource of that type…
  for (const char* expr :
       {"Observation.code.coding.code", "Observation.value.ofType(Quantity).value",
        "(Observation.value as Quantity).unit", "Observation.component[1].code.text",
        "Observation.subject.where(resolve() is Patient)", "Resource.id", "DomainResource.id",
        "Observation.component.code.text | Observation.status", "Observation",
        "Observation.status = 'final'", "status", "Patient.id | Observation.id"}) {
    auto whole = fp::compile(expr);
    auto for_resource = fp::compile_for_resource(expr, "Observation");
    REQUIRE(whole);
    REQUIRE(for_resource);
    auto a = fp::evaluate(*whole, o.root, {});
    auto b = fp::evaluate(*for_resource, o.root, {});
    REQUIRE(a);
    REQUIRE(b);
    CHECK(texts(*a) == texts(*b));
  }
  // …without the type test: the leading name is gone from the tree.
  auto c = fp::compile_for_resource("Observation.code | Condition.code", "Observation");
  REQUIRE(c);
  const fp::node* left = c->root()->target.get();
  CHECK(left->name == "code");
  CHECK(left->target == nullptr);
  const fp::node* right = c->root()->right.get();
  REQUIRE(right->target);
  CHECK(right->target->name == "Condition"); // another type's branch is kept as written
  // Arguments keep their own focus: "where(code.exists())" is not touched.
  auto w = fp::compile_for_resource("Observation.component.where(Observation.id.exists())",
                                    "Observation");
  REQUIRE(w);
  auto out = fp::evaluate(*w, o.root, {});
  REQUIRE(out);
  CHECK(out->empty()); // Observation.id on a component is nothing
}
