#include <catch2/catch.hpp>

#include <algorithm>

#include "protocols/fhir/search/params.hpp"

using namespace atrium;
using namespace atrium::fhir::search;

namespace {

const search_param& require_param(std::string_view type, std::string_view code) {
  const search_param* p = param_registry::r4().find(type, code);
  INFO(std::string(type) + "." + std::string(code));
  REQUIRE(p != nullptr);
  return *p;
}

bool has_code(const std::vector<const search_param*>& params, std::string_view code) {
  return std::ranges::any_of(params, [&](const auto* p) { return p->code == code; });
}

constexpr std::string_view custom_param = R"({
  "resourceType": "SearchParameter", "id": "patient-nickname",
  "url": "http://example.org/SearchParameter/patient-nickname",
  "code": "nickname", "type": "string", "base": ["Patient", "RelatedPerson"],
  "expression": "Patient.name.where(use = 'nickname').given"
})";

} // namespace

TEST_CASE("param types have names", "[search]") {
  CHECK(std::string(param_type_name(param_type::token)) == "token");
  CHECK(std::string(param_type_name(param_type::special)) == "special");
  CHECK(parse_param_type("reference") == param_type::reference);
  CHECK(parse_param_type("composite") == param_type::composite);
  CHECK_FALSE(parse_param_type("Token"));
  CHECK_FALSE(parse_param_type(""));
}

TEST_CASE("r4 registry holds every R4 parameter", "[search]") {
  const auto& r4 = param_registry::r4();
  CHECK(r4.size() == 1378);
  CHECK(&r4 == &param_registry::r4()); // parsed once
}

TEST_CASE("r4 Patient parameters", "[search]") {
  CHECK(require_param("Patient", "birthdate").type == param_type::date);
  CHECK(require_param("Patient", "birthdate").expression ==
        "Patient.birthDate | Person.birthDate | RelatedPerson.birthDate");
  CHECK(require_param("Patient", "name").type == param_type::string);
  const auto& org = require_param("Patient", "organization");
  CHECK(org.type == param_type::reference);
  CHECK(org.targets == std::vector<std::string>{"Organization"});
  CHECK(org.url == "http://hl7.org/fhir/SearchParameter/Patient-organization");

  // Inherited from Resource and DomainResource.
  const auto& id = require_param("Patient", "_id");
  CHECK(id.type == param_type::token);
  CHECK(id.base == std::vector<std::string>{"Resource"});
  CHECK(require_param("Patient", "_lastUpdated").type == param_type::date);
  CHECK(require_param("Patient", "_text").base == std::vector<std::string>{"DomainResource"});
  CHECK(require_param("Patient", "_profile").type == param_type::uri);
  CHECK_FALSE(param_registry::r4().find("Patient", "nope"));
  CHECK_FALSE(param_registry::r4().find("Patient", "code"));
}

TEST_CASE("r4 Observation parameters", "[search]") {
  CHECK(require_param("Observation", "code").type == param_type::token);
  CHECK(require_param("Observation", "value-quantity").type == param_type::quantity);
  const auto& composite = require_param("Observation", "code-value-quantity");
  CHECK(composite.type == param_type::composite);
  REQUIRE(composite.components.size() == 2);
  CHECK(composite.components[0].definition == "http://hl7.org/fhir/SearchParameter/clinical-code");
  CHECK(composite.components[0].expression == "code");
  CHECK(composite.components[1].definition ==
        "http://hl7.org/fhir/SearchParameter/Observation-value-quantity");
  CHECK(composite.components[1].expression == "value.ofType(Quantity)");
  // Each component resolves to a parameter of its own.
  const auto* value = param_registry::r4().find_url(composite.components[1].definition);
  REQUIRE(value);
  CHECK(value == &require_param("Observation", "value-quantity"));
}

TEST_CASE("a parameter shared by several bases is found for each", "[search]") {
  const auto& patient = require_param("AllergyIntolerance", "patient");
  CHECK(patient.url == "http://hl7.org/fhir/SearchParameter/clinical-patient");
  CHECK(&patient == &require_param("CarePlan", "patient"));
  CHECK(&patient == &require_param("Observation", "patient"));
  CHECK(patient.expression.starts_with(
      "AllergyIntolerance.patient | CarePlan.subject.where(resolve() is Patient)"));
  CHECK(std::ranges::find(patient.base, "Procedure") != patient.base.end());
  CHECK(patient.targets == std::vector<std::string>{"Patient"});
}

TEST_CASE("non-domain resources lack DomainResource parameters", "[search]") {
  const auto& r4 = param_registry::r4();
  for (const char* type : {"Bundle", "Binary", "Parameters"}) {
    INFO(type);
    CHECK_FALSE(r4.find(type, "_text"));
    CHECK(r4.find(type, "_id"));
    CHECK(r4.find(type, "_lastUpdated"));
  }
  CHECK(r4.find("Bundle", "composition"));
  CHECK(r4.find("Observation", "_text"));
}

TEST_CASE("find_url", "[search]") {
  const auto& r4 = param_registry::r4();
  const auto* p = r4.find_url("http://hl7.org/fhir/SearchParameter/individual-birthdate");
  REQUIRE(p);
  CHECK(p->code == "birthdate");
  CHECK(p == r4.find("Patient", "birthdate"));
  CHECK(r4.find_url("http://hl7.org/fhir/SearchParameter/Resource-id") ==
        r4.find("Observation", "_id"));
  CHECK_FALSE(r4.find_url("http://example.org/nothing"));
  CHECK_FALSE(r4.find_url(""));
}

TEST_CASE("for_type lists own and inherited parameters once, sorted", "[search]") {
  const auto& r4 = param_registry::r4();
  const auto patient = r4.for_type("Patient");
  CHECK(std::ranges::none_of(patient, [](const auto* p) { return p == nullptr; }));
  CHECK(std::ranges::is_sorted(patient, {}, [](const auto* p) { return p->code; }));
  CHECK(std::ranges::adjacent_find(patient, {}, [](const auto* p) { return p->code; }) ==
        patient.end());
  for (const char* code : {"_id", "_lastUpdated", "_tag", "_profile", "_security", "_source",
                           "_text", "birthdate", "name", "organization", "family"})
    CHECK(has_code(patient, code));
  CHECK_FALSE(has_code(patient, "code"));
  CHECK(patient.size() == 32); // 23 based on Patient + 8 on Resource + 1 on DomainResource

  const auto bundle = r4.for_type("Bundle");
  CHECK(has_code(bundle, "_id"));
  CHECK(has_code(bundle, "composition"));
  CHECK_FALSE(has_code(bundle, "_text"));
  CHECK(r4.for_type("Resource").size() == 8);
}

TEST_CASE("parse_param reads a custom SearchParameter", "[search]") {
  auto p = param_registry::parse_param(custom_param);
  REQUIRE(p);
  CHECK(p->url == "http://example.org/SearchParameter/patient-nickname");
  CHECK(p->code == "nickname");
  CHECK(p->type == param_type::string);
  CHECK(p->base == std::vector<std::string>{"Patient", "RelatedPerson"});
  CHECK(p->expression == "Patient.name.where(use = 'nickname').given");
  CHECK(p->targets.empty());
  CHECK(p->components.empty());
}

TEST_CASE("parse_param refuses incomplete or malformed parameters", "[search]") {
  const auto error_of = [](std::string_view json) {
    auto p = param_registry::parse_param(json);
    REQUIRE_FALSE(p);
    CHECK(p.error().code() == errc::invalid);
    return p.error();
  };
  CHECK(error_of(R"({"url":"u","type":"string","base":["Patient"]})").where() ==
        "SearchParameter.code");
  CHECK(error_of(R"({"url":"u","code":"c","base":["Patient"]})").where() == "SearchParameter.type");
  CHECK(error_of(R"({"url":"u","code":"c","type":"fuzzy","base":["Patient"]})").where() ==
        "SearchParameter.type");
  CHECK(error_of(R"({"url":"u","code":"c","type":"string"})").where() == "SearchParameter.base");
  CHECK(error_of(R"({"url":"u","code":"c","type":"string","base":[]})").where() ==
        "SearchParameter.base");
  CHECK(error_of(R"({"url":"u","code":"c","type":"string","base":"Patient"})").where() ==
        "SearchParameter.base");
  CHECK(error_of(R"({"code":"c","type":"string","base":["Patient"]})").where() ==
        "SearchParameter.url");
  constexpr std::string_view not_a_param =
      R"({"resourceType":"Patient","url":"u","code":"c","type":"string","base":["Patient"]})";
  CHECK(error_of(not_a_param).where() == "SearchParameter.resourceType");
  constexpr std::string_view half_component = R"({"url":"u","code":"c","type":"composite",
    "base":["Patient"],"component":[{"definition":"d"}]})";
  CHECK(error_of(half_component).where() == "SearchParameter.component[0].expression");
  CHECK(error_of("{not json").where() == "$");
  CHECK(error_of("[]").where() == "SearchParameter");
}

TEST_CASE("from_bundle builds a registry and names a bad entry", "[search]") {
  auto registry = param_registry::from_bundle(R"({"resourceType":"Bundle","entry":[
    {"resource":{"resourceType":"SearchParameter","url":"http://x/a","code":"a","type":"token",
                 "base":["Patient"]}},
    {"resource":{"resourceType":"SearchParameter","url":"http://x/id","code":"_id","type":"token",
                 "base":["Resource"]}}
  ]})");
  REQUIRE(registry);
  CHECK(registry->size() == 2);
  CHECK(registry->find("Patient", "a"));
  CHECK(registry->find("Patient", "_id"));
  CHECK_FALSE(registry->find("Observation", "a"));

  auto broken = param_registry::from_bundle(R"({"entry":[
    {"resource":{"url":"http://x/a","code":"a","type":"token","base":["Patient"]}},
    {"resource":{"url":"http://x/b","type":"token","base":["Patient"]}}]})");
  REQUIRE_FALSE(broken);
  CHECK(broken.error().where() == "Bundle.entry[1].resource.code");
  CHECK_FALSE(param_registry::from_bundle(R"({"resourceType":"Bundle"})"));
  CHECK_FALSE(param_registry::from_bundle(R"({"entry":[{"fullUrl":"x"}]})"));
}

TEST_CASE("add extends, shadows and replaces by url", "[search]") {
  auto registry = param_registry::from_bundle(R"({"entry":[
    {"resource":{"url":"http://x/id","code":"_id","type":"token","base":["Resource"]}}]})");
  REQUIRE(registry);
  auto nickname = param_registry::parse_param(custom_param);
  REQUIRE(nickname);
  registry->add(*nickname);
  CHECK(registry->size() == 2);
  CHECK(registry->find("RelatedPerson", "nickname"));

  // A type's own parameter wins over the inherited one with the same code.
  registry->add(
      {"http://x/patient-id", "_id", param_type::string, {"Patient"}, "Patient.id", {}, {}, false, {}});
  CHECK(registry->find("Patient", "_id")->url == "http://x/patient-id");
  CHECK(registry->find("Observation", "_id")->url == "http://x/id");
  const auto patient = registry->for_type("Patient");
  REQUIRE(patient.size() == 2);
  CHECK(patient[0]->url == "http://x/patient-id");

  // Same url: replaced, and the old code no longer resolves.
  search_param renamed = *nickname;
  renamed.code = "alias";
  renamed.base = {"Patient"};
  registry->add(renamed);
  CHECK(registry->size() == 3);
  CHECK_FALSE(registry->find("Patient", "nickname"));
  CHECK_FALSE(registry->find("RelatedPerson", "nickname"));
  CHECK(registry->find("Patient", "alias") == registry->find_url(nickname->url));
}

TEST_CASE("r4 twins: parameters with the same values on a type share entries", "[search]") {
  const auto& r4 = param_registry::r4();
  auto twin = [&](std::string_view type, std::string_view code) {
    return r4.indexed_as(type, require_param(type, code)).code;
  };
  // The later of each pair is served by the earlier (R4 file order).
  CHECK(twin("Patient", "phonetic") == "name");
  CHECK(twin("Patient", "name") == "name");
  CHECK(twin("Practitioner", "name") == "phonetic");
  CHECK(twin("Coverage", "patient") == "beneficiary");
  CHECK(twin("DeviceUseStatement", "subject") == "patient");
  CHECK(twin("CodeSystem", "system") == "url");
  CHECK(twin("Bundle", "message") == "composition");
  // Not twins: a subset of values, another type, or another branch.
  CHECK(twin("Observation", "patient") == "patient");
  CHECK(twin("Patient", "family") == "family");
  CHECK(twin("Patient", "given") == "given");
  std::size_t count = 0;
  for (auto type : {"Bundle", "CapabilityStatement", "CodeSystem", "Coverage",
                    "DeviceUseStatement", "EnrollmentRequest", "Linkage", "Patient", "Person",
                    "Practitioner", "RelatedPerson", "ResearchSubject", "Observation"})
    for (auto* p : r4.for_type(type))
      count += &r4.indexed_as(type, *p) != p;
  CHECK(count == 12);
}

TEST_CASE("twins are found as parameters are added, replaced and shadowed", "[search]") {
  param_registry registry;
  registry.add({"http://x/a", "a", param_type::string, {"Patient", "Person"},
                "Patient.name | Person.name", {}, {}, false, {}});
  // Same values on Patient (its other branch is Person's), none on Person.
  registry.add({"http://x/b", "b", param_type::string, {"Patient"}, " Patient.name ", {}, {}, false, {}});
  // Same expression, another type: not a twin.
  registry.add({"http://x/c", "c", param_type::token, {"Patient"}, "Patient.name", {}, {}, false, {}});
  // A branch that cannot be told to belong elsewhere keeps them apart.
  registry.add({"http://x/d", "d", param_type::string, {"Patient"},
                "Patient.name | (Patient.alias)", {}, {}, false, {}});
  const auto& b = *registry.find("Patient", "b");
  CHECK(registry.indexed_as("Patient", b).url == "http://x/a");
  CHECK(registry.indexed_as("Patient", *registry.find("Patient", "c")).url == "http://x/c");
  CHECK(registry.indexed_as("Patient", *registry.find("Patient", "d")).url == "http://x/d");
  CHECK(registry.indexed_as("Person", *registry.find("Person", "a")).url == "http://x/a");

  // Replaced with another expression, b stands alone.
  registry.add({"http://x/b", "b", param_type::string, {"Patient"}, "Patient.alias", {}, {}, false, {}});
  CHECK(registry.indexed_as("Patient", b).url == "http://x/b");
  // A parameter that shadows a's code on Patient: a is not seen there, so
  // the newcomer is no one's twin and holds its own entries.
  registry.add({"http://x/e", "a", param_type::string, {"Patient"}, "Patient.name", {}, {}, false, {}});
  const auto& e = *registry.find("Patient", "a");
  CHECK(e.url == "http://x/e");
  CHECK(registry.indexed_as("Patient", e).url == "http://x/e");
  registry.add({"http://x/f", "f", param_type::string, {"Patient"}, "Patient.name", {}, {}, false, {}});
  CHECK(registry.indexed_as("Patient", *registry.find("Patient", "f")).url == "http://x/e");
}

TEST_CASE("extended copies a registry and adds custom parameters to the copy", "[search]") {
  const auto& r4 = param_registry::r4();
  auto p = param_registry::parse_param(custom_param);
  REQUIRE(p);
  auto extended = r4.extended({*p});
  CHECK(extended.size() == r4.size() + 1);
  CHECK(extended.uid() != r4.uid());
  REQUIRE(extended.find("Patient", "nickname"));
  CHECK(extended.find("RelatedPerson", "nickname") == extended.find_url(p->url));
  CHECK_FALSE(r4.find("Patient", "nickname")); // the original is untouched
  // The copy owns its parameters: R4's are found in it, at their own addresses.
  REQUIRE(extended.find("Patient", "birthdate"));
  CHECK(extended.find("Patient", "birthdate") != r4.find("Patient", "birthdate"));
  CHECK(*extended.find("Patient", "birthdate") == *r4.find("Patient", "birthdate"));
  // Twins are worked out in the copy as in R4 (phonetic is served by name).
  const auto* phonetic = extended.find("Patient", "phonetic");
  REQUIRE(phonetic);
  CHECK(&extended.indexed_as("Patient", *phonetic) == extended.find("Patient", "name"));
  // Changing a registry gives it a new uid (caches are keyed by it).
  auto before = extended.uid();
  auto q = *p;
  q.url = "http://example.org/other";
  q.code = "other";
  extended.add(q);
  CHECK(extended.uid() != before);
}

TEST_CASE("check_custom_param accepts usable parameters and says why it refuses", "[search]") {
  const auto& r4 = param_registry::r4();
  auto p = param_registry::parse_param(custom_param);
  REQUIRE(p);
  CHECK(check_custom_param(r4, *p));
  auto refused = [&](auto change) {
    auto q = *p;
    change(q);
    auto s = check_custom_param(r4, q);
    CHECK(s.code() == errc::invalid);
    return s.where();
  };
  CHECK(refused([](search_param& q) { q.expression = "Patient.name.where("; }) ==
        "SearchParameter.expression");
  CHECK(refused([](search_param& q) { q.expression.clear(); }) == "SearchParameter.expression");
  CHECK(refused([](search_param& q) { q.type = param_type::special; }) ==
        "SearchParameter.expression");
  CHECK(refused([](search_param& q) { q.code = "name"; }) == "SearchParameter.code");
  CHECK(refused([](search_param& q) { q.code = "_id"; }) == "SearchParameter.code"); // via Resource
  CHECK(refused([](search_param& q) { q.base = {"Nonsense"}; }) == "SearchParameter.base");
  CHECK(refused([&](search_param& q) { q.url = r4.find("Patient", "birthdate")->url; }) ==
        "SearchParameter.url");
  CHECK(refused([](search_param& q) {
          q.type = param_type::composite;
          q.components = {{"http://x", "value.where("}};
        }) == "SearchParameter.component.expression");
}

TEST_CASE("parse_param reads status retired", "[search]") {
  auto p = param_registry::parse_param(
    R"({"url":"u","code":"c","type":"string","base":["Patient"],"status":"retired"})");
  REQUIRE(p);
  CHECK(p->retired);
  auto active = param_registry::parse_param(
    R"({"url":"u","code":"c","type":"string","base":["Patient"],"status":"active"})");
  REQUIRE(active);
  CHECK_FALSE(active->retired);
}

TEST_CASE("Observation's combo parameters are served as unions of their halves", "[search]") {
  const auto& r = param_registry::r4();
  auto codes = [&](std::string_view type, std::string_view code) {
    std::vector<std::string> out;
    const auto* p = r.find(type, code);
    REQUIRE(p);
    for (const auto* q : r.union_of(type, *p)) out.push_back(q->code);
    std::sort(out.begin(), out.end());
    return out;
  };
  using v = std::vector<std::string>;
  CHECK(codes("Observation", "combo-code") == v{"code", "component-code"});
  CHECK(codes("Observation", "combo-value-quantity") ==
        v{"component-value-quantity", "value-quantity"});
  CHECK(codes("Observation", "combo-value-concept") ==
        v{"component-value-concept", "value-concept"});
  CHECK(codes("Observation", "combo-data-absent-reason") ==
        v{"component-data-absent-reason", "data-absent-reason"});
  // Composites: alike components (code, then a value of the same type).
  CHECK(codes("Observation", "combo-code-value-quantity") ==
        v{"code-value-quantity", "component-code-value-quantity"});
  CHECK(codes("Observation", "combo-code-value-concept") ==
        v{"code-value-concept", "component-code-value-concept"});
  // The halves themselves, and parameters of one branch, are not unions.
  CHECK(codes("Observation", "code").empty());
  CHECK(codes("Observation", "value-quantity").empty());
  CHECK(codes("Condition", "code").empty());

  // A custom parameter whose branches two others cover is one too; one that
  // reaches beyond them is not.
  auto custom = [](std::string code, std::string expression) {
    search_param p;
    p.url = "http://example.org/sp/" + code;
    p.code = std::move(code);
    p.type = param_type::token;
    p.base = {"Patient"};
    p.expression = std::move(expression);
    return p;
  };
  auto extended = r.extended({custom("either", "Patient.gender | Patient.maritalStatus"),
                              custom("marital", "Patient.maritalStatus"),
                              custom("wider", "Patient.gender | Patient.language")});
  auto of = [&](std::string_view code) {
    const auto* p = extended.find("Patient", code);
    REQUIRE(p);
    return extended.union_of("Patient", *p).size();
  };
  CHECK(of("either") == 2);
  CHECK(of("wider") == 0);
}

TEST_CASE("reference parameters narrowed to one target type read their parent's entries",
          "[search]") {
  const auto& r = param_registry::r4();
  auto narrowed = [&](const param_registry& reg, std::string_view type,
                      std::string_view code) -> std::string {
    const auto* p = reg.find(type, code);
    REQUIRE(p);
    const auto* n = reg.narrowed_of(type, *p);
    return n ? n->parent->code + " " + n->target_prefix : std::string{};
  };
  CHECK(narrowed(r, "Observation", "patient") == "subject Patient/");
  CHECK(narrowed(r, "Condition", "patient") == "subject Patient/");
  CHECK(narrowed(r, "Encounter", "practitioner") == "participant Practitioner/");
  CHECK(narrowed(r, "Observation", "subject").empty()); // the parent itself
  CHECK(narrowed(r, "AllergyIntolerance", "patient").empty()); // a field of its own
  CHECK(narrowed(r, "Observation", "code").empty());           // not a reference

  // Custom parameters never take part: their entries appear by $reindex.
  search_param sub;
  sub.url = "http://example.org/sp/device-subject";
  sub.code = "device-subject";
  sub.type = param_type::reference;
  sub.base = {"Observation"};
  sub.expression = "Observation.subject.where(resolve() is Device)";
  sub.index_key = sub.url + "#1";
  auto extended = r.extended({sub});
  CHECK(narrowed(extended, "Observation", "device-subject").empty());
  CHECK(narrowed(extended, "Observation", "patient") == "subject Patient/");
}
