// Search value extraction (protocols/fhir/search/extract.hpp) over R4's
// parameters and hand-written resources; plus, when the developer sample
// ../shared/samples/fhir-bulk-10-patients is present, every resource in it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <simdjson.h>

#include "protocols/fhir/search/extract.hpp"
#include "protocols/fhir/search/extract_dates.hpp"
#include "protocols/fhir/search/extract_diagnostics.hpp"

using namespace atrium;
using namespace atrium::fhir::search;

namespace {

constexpr std::int64_t sec = 1'000'000; // microseconds

std::vector<index_value> extract_ok(std::string_view json, std::string_view type,
                                    const param_registry& registry = param_registry::r4()) {
  std::vector<extract_problem> problems;
  auto values = extract(json, type, registry, &problems);
  INFO((values ? std::string() : values.error().message()));
  REQUIRE(values.has_value());
  for (const auto& p : problems)
    FAIL_CHECK(p.param->code << ": " << p.message);
  return std::move(values).value();
}

/// The values of one parameter; those for :of-type and :identifier only when asked by kind.
std::vector<index_value> of(const std::vector<index_value>& all, std::string_view code) {
  std::vector<index_value> out;
  for (const auto& v : all)
    if (v.param && v.param->code == code && v.k != index_value::kind::identifier_type &&
        v.k != index_value::kind::reference_identifier)
      out.push_back(v);
  return out;
}
std::vector<std::string> of_kind(const std::vector<index_value>& all, std::string_view code,
                                 index_value::kind k) {
  std::vector<std::string> out;
  for (const auto& v : all)
    if (v.param && v.param->code == code && v.k == k)
      out.push_back(v.system + "|" + v.code + (v.text.empty() ? "" : " " + v.text));
  return out;
}

// Renderings that Catch prints readably when a comparison fails.
std::vector<index_value> part(const std::vector<index_value>& vs, std::uint8_t tag) {
  std::vector<index_value> out;
  for (const auto& v : vs)
    if (v.part == tag) out.push_back(v);
  return out;
}
std::vector<index_value> part(const std::vector<index_value>& vs, std::string_view field) {
  return part(vs, string_part_tag(field));
}
std::vector<std::string> strings(const std::vector<index_value>& vs) {
  std::vector<std::string> out;
  for (const auto& v : vs) {
    REQUIRE(v.k == index_value::kind::string);
    out.push_back(v.original + "→" + v.text);
  }
  return out;
}
std::vector<std::string> tokens(const std::vector<index_value>& vs) {
  std::vector<std::string> out;
  for (const auto& v : vs) {
    REQUIRE(v.k == index_value::kind::token);
    out.push_back(v.system + "|" + v.code + (v.text.empty() ? "" : " (" + v.text + ")"));
  }
  return out;
}
std::vector<std::string> texts(const std::vector<index_value>& vs) {
  std::vector<std::string> out;
  for (const auto& v : vs)
    out.push_back(v.text);
  return out;
}
/// Quantities as written; with `canonical`, only their canonical UCUM amounts.
std::vector<std::string> quantities(const std::vector<index_value>& vs, bool canonical = false) {
  std::vector<std::string> out;
  for (const auto& v : vs) {
    REQUIRE(v.k == index_value::kind::quantity);
    if (v.canonical != canonical) continue;
    std::ostringstream s;
    s << v.number << " " << v.system << "|" << v.code;
    out.push_back(s.str());
  }
  return out;
}
using range = std::pair<std::int64_t, std::int64_t>;
std::vector<std::string> ranges(const std::vector<index_value>& vs) {
  std::vector<std::string> out;
  for (const auto& v : vs) {
    REQUIRE(v.k == index_value::kind::date);
    out.push_back(std::to_string(v.start) + ".." + std::to_string(v.end));
  }
  return out;
}
std::string r(std::int64_t start, std::int64_t end) {
  return std::to_string(start) + ".." + std::to_string(end);
}
std::vector<std::string> rs(std::initializer_list<range> l) {
  std::vector<std::string> out;
  for (auto [a, b] : l)
    out.push_back(r(a, b));
  return out;
}
using strs = std::vector<std::string>;

constexpr std::string_view patient = R"({
  "resourceType": "Patient", "id": "p1",
  "meta": {"versionId": "3", "lastUpdated": "2026-01-01T00:00:00Z",
           "profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]},
  "active": true,
  "identifier": [
    {"use": "official",
     "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}],
              "text": "Medical record number"},
     "system": "http://hospital.example.org/mrn", "value": "MRN-0042"},
    {"system": "urn:oid:2.16.840.1.113883.4.1", "value": "999-12-3456"},
    {"system": "urn:oid:2.16.840.1.113883.4.1", "value": "999-12-3456"}
  ],
  "name": [
    {"use": "official", "family": "Müller", "given": ["Anna", "Zoë"], "prefix": ["Dr."]},
    {"use": "nickname", "given": ["Anni"]}
  ],
  "telecom": [
    {"system": "phone", "value": "+49 30 1234567", "use": "home"},
    {"system": "email", "value": "anna.mueller@example.org", "rank": 1}
  ],
  "gender": "female",
  "birthDate": "1987-04-12",
  "_birthDate": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime",
                                "valueDateTime": "1987-04-12T06:30:00+02:00"}]},
  "address": [{"use": "home", "line": ["Ärzte-Straße  5"], "city": "Berlin",
               "postalCode": "10115", "country": "DE"}],
  "managingOrganization": {"reference": "Organization/org1", "display": "Charité"},
  "generalPractitioner": [{"identifier": {"system": "http://example.org/lanr",
    "value": "123456789"}}]
})";

constexpr std::string_view blood_pressure = R"({
  "resourceType": "Observation", "id": "bp1", "status": "final",
  "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "vital-signs", "display": "Vital Signs"}]}],
  "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9",
                       "display": "Blood pressure panel with all children optional"}],
           "text": "Blood pressure systolic & diastolic"},
  "subject": {"reference": "Patient/p1/_history/3", "display": "Anna Müller"},
  "encounter": {"reference": "Encounter/e1"},
  "performer": [{"identifier": {"system": "http://example.org/lanr", "value": "123456789"}}],
  "effectiveDateTime": "2024-03-05T09:30:00Z",
  "component": [
    {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6",
      "display": "Systolic blood pressure"}]},
     "valueQuantity": {"value": 120, "unit": "mmHg", "system": "http://unitsofmeasure.org",
       "code": "mm[Hg]"}},
    {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4",
      "display": "Diastolic blood pressure"}]},
     "valueQuantity": {"value": 80, "unit": "mmHg", "system": "http://unitsofmeasure.org",
       "code": "mm[Hg]"}}
  ]
})";

constexpr std::string_view heart_rate = R"({
  "resourceType": "Observation", "id": "hr1", "status": "final",
  "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}]},
  "subject": {"reference": "Group/ward-7"},
  "effectiveDateTime": "2024-03-05T09:30",
  "valueQuantity": {"value": 72.5, "unit": "beats/minute", "system": "http://unitsofmeasure.org",
    "code": "/min"}
})";

constexpr std::string_view encounter = R"({
  "resourceType": "Encounter", "id": "e1", "status": "finished",
  "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB",
    "display": "ambulatory"},
  "subject": {"reference": "http://other.example.org/fhir/Patient/p9"},
  "period": {"start": "2024-03-05T08:00:00Z", "end": "2024-03-05T10:15:00Z"},
  "length": {"value": 135, "unit": "min", "system": "http://unitsofmeasure.org", "code": "min"}
})";

constexpr std::string_view condition = R"({
  "resourceType": "Condition", "id": "c1",
  "clinicalStatus": {"coding": [
    {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
  "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003",
    "display": "Hypertensive disorder"}],
           "text": "Hypertension"},
  "subject": {"reference": "#p2"},
  "contained": [{"resourceType": "Patient", "id": "p2"}],
  "onsetDateTime": "2023-06-01",
  "recordedDate": "2023-06-01T10:00:00+02:00"
})";

constexpr std::string_view medication_request = R"({
  "resourceType": "MedicationRequest", "id": "mr1", "status": "active", "intent": "order",
  "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                            "code": "314076",
                                              "display": "lisinopril 10 MG Oral Tablet"}]},
  "subject": {"reference": "Patient/p1"},
  "authoredOn": "2025-01-10T08:30:00Z",
  "requester": {"reference": "Practitioner/dr1"},
  "performer": {"reference": "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999974394"},
  "dosageInstruction": [{"timing": {"event": ["2025-01-12T09:00:00Z"],
                                    "repeat": {"boundsPeriod": {"start": "2025-01-10"},
                                      "frequency": 1, "period": 1, "periodUnit": "d"}}}]
})";

} // namespace

TEST_CASE("normalize_text folds case, accents and punctuation", "[extract]") {
  CHECK(normalize_text("Ärzte-Straße  5") == "arzte strasse 5");
  CHECK(normalize_text("  MÜLLER ") == "muller");
  CHECK(normalize_text("Zoë") == "zoe");
  CHECK(normalize_text("Zoe\xcc\x88") == "zoe"); // decomposed ë
  CHECK(normalize_text("Æsop, Øster & Œuvre") == "aesop oster oeuvre");
  CHECK(normalize_text("Łódź—Gdańsk") == "lodz gdansk"); // em dash
  CHECK(normalize_text("O'Brien\t\nJr.") == "o brien jr");
  CHECK(normalize_text("ΑΘΗΝΑ Москва") == "αθηνα москва"); // simple lower case
  CHECK(normalize_text("東京") == "東京");                 // kept
  CHECK(normalize_text("a\xff"
                       "b") == "a b"); // malformed byte
  CHECK(normalize_text("") == "");
  CHECK(normalize_text(" -- ") == "");
}

TEST_CASE("date ranges follow precision", "[extract]") {
  const std::int64_t y2026 = 1767225600 * sec, y2027 = 1798761600 * sec;
  auto year = date_range("2026");
  REQUIRE(year);
  CHECK(year->start == y2026);
  CHECK(year->end == y2027 - 1);

  auto feb = date_range("2026-02");
  REQUIRE(feb);
  CHECK(feb->start == 1769904000 * sec);
  CHECK(feb->end == 1772323200 * sec - 1);
  CHECK(feb->end - feb->start + 1 == 28 * 86400 * sec);
  auto leap_feb = date_range("2028-02");
  REQUIRE(leap_feb);
  CHECK(leap_feb->start == 1832976000 * sec);
  CHECK(leap_feb->end == 1835481600 * sec - 1);
  CHECK(leap_feb->end - leap_feb->start + 1 == 29 * 86400 * sec);

  auto day = date_range("1987-04-12");
  REQUIRE(day);
  CHECK(day->start == 545184000 * sec);
  CHECK(day->end == 545270400 * sec - 1);

  auto with_zone = date_range("2026-11-26T14:00:00+02:00");
  REQUIRE(with_zone);
  CHECK(with_zone->start == 1795694400 * sec); // 12:00:00Z
  CHECK(with_zone->end == 1795694401 * sec - 1);
  auto utc = date_range("2026-11-26T12:00:00Z");
  REQUIRE(utc);
  CHECK(utc->start == with_zone->start);
  auto no_zone = date_range("2026-11-26T12:00:00"); // taken as UTC
  REQUIRE(no_zone);
  CHECK(no_zone->start == with_zone->start);

  auto minute = date_range("2026-11-26T12:00");
  REQUIRE(minute);
  CHECK(minute->end - minute->start + 1 == 60 * sec);
  auto millis = date_range("2026-11-26T12:00:00.250Z");
  REQUIRE(millis);
  CHECK(millis->start == 1795694400 * sec + 250000);
  CHECK(millis->end == 1795694400 * sec + 250999);
  auto micros = date_range("2026-11-26T12:00:00.1234567-00:30");
  REQUIRE(micros);
  CHECK(micros->start == 1795694400 * sec + 1800 * sec + 123456);
  CHECK(micros->end == micros->start);

  CHECK_FALSE(date_range("2026-02-30"));
  CHECK_FALSE(date_range("2026-13"));
  CHECK_FALSE(date_range("26-01-01"));
  CHECK_FALSE(date_range("2026-01-01T25:00:00Z"));
  CHECK_FALSE(date_range("10:00:00"));
  CHECK_FALSE(date_range("2026-01-01T10:00:00+0100"));
  CHECK_FALSE(date_range(""));
}

TEST_CASE("a parsed document gives the values its text gives", "[extract]") {
  const auto from_text = extract_ok(patient, "Patient");
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(std::string{patient});
  simdjson::dom::element doc;
  REQUIRE(parser.parse(padded).get(doc) == simdjson::SUCCESS);
  auto from_document = extract(doc, "Patient", param_registry::r4());
  REQUIRE(from_document);
  REQUIRE(from_document->size() == from_text.size());
  REQUIRE_FALSE(from_text.empty());
  for (std::size_t i = 0; i < from_text.size(); ++i) {
    const auto& a = from_text[i];
    const auto& b = (*from_document)[i];
    CHECK(a.param == b.param);
    CHECK(a.k == b.k);
    CHECK(a.text == b.text);
    CHECK(a.original == b.original);
    CHECK(a.system == b.system);
    CHECK(a.code == b.code);
  }
  auto wrong_type = extract(doc, "Observation", param_registry::r4());
  CHECK_FALSE(wrong_type);
}

TEST_CASE("Patient values for R4 parameters", "[extract]") {
  const auto all = extract_ok(patient, "Patient");

  CHECK(strings(of(all, "name")) ==
        strs{"Müller→muller", "Anna→anna", "Zoë→zoe", "Dr.→dr", "Anni→anni"});
  // family, given, address-city, … are parts of name and address: not
  // extracted on their own, but found among those values by their tag.
  CHECK(of(all, "family").empty());
  CHECK(strings(part(of(all, "name"), "family")) == strs{"Müller→muller"});
  CHECK(strings(part(of(all, "name"), "given")) == strs{"Anna→anna", "Zoë→zoe", "Anni→anni"});
  CHECK(strings(part(of(all, "name"), "prefix")) == strs{"Dr.→dr"});
  CHECK(strings(of(all, "address")) ==
        strs{"Ärzte-Straße  5→arzte strasse 5", "Berlin→berlin", "10115→10115", "DE→de"});
  CHECK(of(all, "address-city").empty());
  CHECK(strings(part(of(all, "address"), "city")) == strs{"Berlin→berlin"});
  CHECK(strings(part(of(all, "address"), "postalCode")) == strs{"10115→10115"});
  const auto& r4 = param_registry::r4();
  for (auto [child, parent, field] : {std::tuple{"family", "name", "family"},
                                      {"given", "name", "given"},
                                      {"address-city", "address", "city"},
                                      {"address-postalcode", "address", "postalCode"},
                                      {"address-country", "address", "country"},
                                      {"address-state", "address", "state"}}) {
    INFO(child);
    auto served = r4.part_of("Patient", *r4.find("Patient", child));
    REQUIRE(served);
    CHECK(served->parent == r4.find("Patient", parent));
    CHECK(served->tag == string_part_tag(field));
  }
  for (auto [child, system] : {std::pair{"phone", "phone"}, {"email", "email"}}) {
    auto served = r4.part_of("Patient", *r4.find("Patient", child));
    REQUIRE(served);
    CHECK(served->parent == r4.find("Patient", "telecom"));
    CHECK(served->tag == contact_system_tag(system));
  }
  // Not parts: the parents themselves, a where() on something else.
  CHECK_FALSE(r4.part_of("Patient", *r4.find("Patient", "name")));
  CHECK_FALSE(r4.part_of("Patient", *r4.find("Patient", "telecom")));
  CHECK_FALSE(r4.part_of("Observation", *r4.find("Observation", "code")));
  CHECK(tokens(of(all, "address-use")) == strs{"|home"});

  // 1987-04-12: the whole day, in UTC. The birth time extension changes nothing.
  CHECK(ranges(of(all, "birthdate")) == rs({{545184000 * sec, 545270400 * sec - 1}}));

  // The duplicate identifier is indexed once.
  CHECK(tokens(of(all, "identifier")) ==
        strs{"http://hospital.example.org/mrn|MRN-0042 (medical record number)",
             "urn:oid:2.16.840.1.113883.4.1|999-12-3456"});
  // :of-type sees the type's codings with the value.
  CHECK(of_kind(all, "identifier", index_value::kind::identifier_type) ==
        strs{"http://terminology.hl7.org/CodeSystem/v2-0203|MR MRN-0042"});
  CHECK(tokens(of(all, "telecom")) == strs{"|+49 30 1234567", "|anna.mueller@example.org"});
  // phone and email are parts of telecom, tagged by the contact point's system.
  CHECK(of(all, "phone").empty());
  CHECK(tokens(part(of(all, "telecom"), contact_system_tag("phone"))) == strs{"|+49 30 1234567"});
  CHECK(tokens(part(of(all, "telecom"), contact_system_tag("email"))) ==
        strs{"|anna.mueller@example.org"});
  CHECK(tokens(of(all, "gender")) == strs{"|female"});
  CHECK(tokens(of(all, "active")) == strs{"|true"});
  CHECK(tokens(of(all, "deceased")) == strs{"|false"}); // Patient.deceased.exists() and …
  CHECK(tokens(of(all, "_id")) == strs{"|p1"});

  CHECK(texts(of(all, "organization")) == strs{"Organization/org1"});
  CHECK(of(all, "organization").front().k == index_value::kind::reference);
  CHECK(of(all, "general-practitioner").empty()); // identifier-only reference
  CHECK(texts(of(all, "_profile")) ==
        strs{"http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"});
  CHECK(of(all, "_profile").front().k == index_value::kind::uri);

  // Set by the server from the stored version, not taken from the client's JSON.
  CHECK(of(all, "_lastUpdated").empty());
  CHECK(of(all, "death-date").empty());
  // Composite and special parameters are not indexed yet; nothing else is untyped.
  for (const auto& v : all) {
    REQUIRE(v.param != nullptr);
    CHECK(v.param->type != param_type::composite);
    CHECK(v.param->type != param_type::special);
  }
}

TEST_CASE("Observation values for R4 parameters", "[extract]") {
  const auto bp = extract_ok(blood_pressure, "Observation");
  CHECK(tokens(of(bp, "code")) ==
        strs{"http://loinc.org|85354-9 (blood pressure panel with all children optional)",
             "| (blood pressure systolic diastolic)"});
  // combo-code is code | component-code: its values are those two's
  // entries, not written again (param_registry::union_of).
  CHECK(of(bp, "combo-code").empty());
  CHECK(tokens(of(bp, "component-code")) ==
        strs{"http://loinc.org|8480-6 (systolic blood pressure)",
             "http://loinc.org|8462-4 (diastolic blood pressure)"});
  CHECK(
      tokens(of(bp, "category")) ==
      strs{"http://terminology.hl7.org/CodeSystem/observation-category|vital-signs (vital signs)"});
  CHECK(tokens(of(bp, "status")) == strs{"|final"});
  CHECK(texts(of(bp, "subject")) == strs{"Patient/p1"}); // version stripped
  // patient narrows subject to Patients: "Patient/p1" is subject's entry,
  // not written again (param_registry::narrowed_of).
  CHECK(of(bp, "patient").empty());
  CHECK(texts(of(bp, "encounter")) == strs{"Encounter/e1"});
  CHECK(of(bp, "performer").empty()); // a logical reference has no target…
  CHECK(of_kind(bp, "performer", index_value::kind::reference_identifier) == // …but an identifier
        strs{"http://example.org/lanr|123456789"});
  CHECK(ranges(of(bp, "date")) == rs({{1709631000 * sec, 1709631001 * sec - 1}}));
  CHECK(of(bp, "value-quantity").empty());
  CHECK(quantities(of(bp, "component-value-quantity")) ==
        strs{"120 http://unitsofmeasure.org|mm[Hg]", "80 http://unitsofmeasure.org|mm[Hg]"});
  CHECK(of(bp, "combo-value-quantity").empty()); // value-quantity | component-value-quantity

  const auto hr = extract_ok(heart_rate, "Observation");
  CHECK(quantities(of(hr, "value-quantity")) == strs{"72.5 http://unitsofmeasure.org|/min"});
  CHECK(of(hr, "value-quantity").front().number == 72.5);
  CHECK(texts(of(hr, "subject")) == strs{"Group/ward-7"});
  CHECK(of(hr, "patient").empty()); // resolve() is not a Patient
  CHECK(ranges(of(hr, "date")) == rs({{1709631000 * sec, 1709631060 * sec - 1}})); // minute
}

TEST_CASE("Encounter, Condition and MedicationRequest values", "[extract]") {
  const auto enc = extract_ok(encounter, "Encounter");
  // start's lower bound to end's upper bound (end given to the second).
  CHECK(ranges(of(enc, "date")) == rs({{1709625600 * sec, 1709633701 * sec - 1}}));
  CHECK(texts(of(enc, "subject")) == strs{"http://other.example.org/fhir/Patient/p9"});
  // A narrowed reference keeps what its parent's entries do not read as its own.
  CHECK(texts(of(enc, "patient")) == strs{"http://other.example.org/fhir/Patient/p9"});
  CHECK(tokens(of(enc, "class")) ==
        strs{"http://terminology.hl7.org/CodeSystem/v3-ActCode|AMB (ambulatory)"});
  CHECK(quantities(of(enc, "length")) == strs{"135 http://unitsofmeasure.org|min"});

  // An open period.
  const auto open = extract_ok(
      R"({"resourceType":"Encounter","id":"e2","status":"in-progress","class":{"code":"IMP"},
          "period":{"start":"2024-03-05"}})",
      "Encounter");
  CHECK(ranges(of(open, "date")) ==
        rs({{1709596800 * sec, std::numeric_limits<std::int64_t>::max()}}));
  const auto open_start = extract_ok(
      R"({"resourceType":"Encounter","id":"e3","status":"finished","class":{"code":"IMP"},
          "period":{"end":"2024-03-05"}})",
      "Encounter");
  CHECK(ranges(of(open_start, "date")) ==
        rs({{std::numeric_limits<std::int64_t>::min(), 1709683200 * sec - 1}}));

  // practitioner narrows participant to Practitioners: a local one is
  // participant's entry only; an absolute one, among local ones, stays its own.
  const auto seen_by = [](std::string individuals) {
    return R"({"resourceType":"Encounter","id":"e4","status":"finished","class":{"code":"AMB"},)"
           R"("participant":[)" + individuals + "]}";
  };
  const auto local = extract_ok(seen_by(R"({"individual":{"reference":"Practitioner/dr1"}})"),
                                "Encounter");
  CHECK(texts(of(local, "participant")) == strs{"Practitioner/dr1"});
  CHECK(of(local, "practitioner").empty());
  const auto mixed = extract_ok(
      seen_by(R"({"individual":{"reference":"Practitioner/dr1"}},)"
              R"({"individual":{"reference":"RelatedPerson/rp1"}},)"
              R"({"individual":{"reference":"http://other.example.org/fhir/Practitioner/dr9"}})"),
      "Encounter");
  CHECK(texts(of(mixed, "participant")) ==
        strs{"Practitioner/dr1", "RelatedPerson/rp1",
             "http://other.example.org/fhir/Practitioner/dr9"});
  CHECK(texts(of(mixed, "practitioner")) == strs{"http://other.example.org/fhir/Practitioner/dr9"});

  const auto cond = extract_ok(condition, "Condition");
  CHECK(ranges(of(cond, "onset-date")) == rs({{1685577600 * sec, 1685664000 * sec - 1}}));
  CHECK(ranges(of(cond, "recorded-date")) ==
        rs({{1685577600 * sec + 8 * 3600 * sec, 1685577600 * sec + 8 * 3600 * sec + sec - 1}}));
  CHECK(tokens(of(cond, "code")) ==
        strs{"http://snomed.info/sct|38341003 (hypertensive disorder)", "| (hypertension)"});
  CHECK(tokens(of(cond, "clinical-status")) ==
        strs{"http://terminology.hl7.org/CodeSystem/condition-clinical|active"});
  CHECK(texts(of(cond, "subject")) == strs{"#p2"});
  CHECK(texts(of(cond, "patient")) == strs{"#p2"}); // resolved in contained: a Patient

  const auto mr = extract_ok(medication_request, "MedicationRequest");
  CHECK(tokens(of(mr, "code")) ==
        strs{"http://www.nlm.nih.gov/research/umls/rxnorm|314076 (lisinopril 10 mg oral tablet)"});
  CHECK(ranges(of(mr, "authoredon")) == rs({{1736497800 * sec, 1736497801 * sec - 1}}));
  CHECK(ranges(of(mr, "date")) == rs({{1736672400 * sec, 1736672401 * sec - 1}})); // timing.event
  CHECK(tokens(of(mr, "intent")) == strs{"|order"});
  CHECK(texts(of(mr, "subject")) == strs{"Patient/p1"});
  CHECK(of(mr, "patient").empty()); // in subject's entries
  CHECK(texts(of(mr, "requester")) == strs{"Practitioner/dr1"});
  CHECK(of(mr, "intended-performer").empty()); // conditional reference: no target yet
  CHECK(of(mr, "medication").empty());
}

TEST_CASE("custom parameters: Timing, Money, numbers, uris, text-only concepts", "[extract]") {
  // code, type, base, expression
  const std::vector<std::array<std::string, 4>> custom = {
      {"timing", "date", "MedicationRequest", "MedicationRequest.dosageInstruction.timing"},
      {"price", "quantity", "ChargeItem", "ChargeItem.priceOverride"},
      {"factor", "number", "ChargeItem", "ChargeItem.factorOverride"},
      {"qty", "quantity", "ChargeItem", "ChargeItem.quantity"},
      {"reason", "token", "ChargeItem", "ChargeItem.reason"},
      {"def", "uri", "ChargeItem", "ChargeItem.definitionUri"},
      {"note", "string", "ChargeItem", "ChargeItem.note"},
      {"broken", "string", "ChargeItem", "ChargeItem.note.where("},
      {"combo", "composite", "ChargeItem", "ChargeItem"},
  };
  std::string bundle = R"({"resourceType":"Bundle","type":"collection","entry":[)";
  for (const auto& [code, type, base, expression] : custom) {
    if (bundle.back() == '}') bundle += ",";
    bundle += R"({"resource":{"resourceType":"SearchParameter","url":"http://example.org/sp/)" +
              code + R"(","code":")" + code + R"(","type":")" + type + R"(","base":[")" + base +
              R"("],"expression":")" + expression + R"("}})";
  }
  bundle += "]}";
  auto registry = param_registry::from_bundle(bundle);
  INFO((registry ? std::string() : registry.error().message()));
  REQUIRE(registry.has_value());

  const auto mr = extract_ok(medication_request, "MedicationRequest", *registry);
  CHECK(ranges(of(mr, "timing")) ==
        rs({{1736672400 * sec, 1736672401 * sec - 1},                        // event
            {1736467200 * sec, std::numeric_limits<std::int64_t>::max()}})); // boundsPeriod

  constexpr std::string_view charge = R"({"resourceType":"ChargeItem","id":"ci1","status":"billed",
    "priceOverride":{"value":49.99,"currency":"EUR"},"factorOverride":0.8,
    "quantity":{"value":3,"unit":"tablets"},
    "reason":[{"text":"Follow-up visit"}],
    "definitionUri":["http://example.org/ChargeItemDefinition/visit"],
    "note":[{"text":"Billed  to Ärztekammer","time":"2025-01-10"}]})";
  std::vector<extract_problem> problems;
  auto values = extract(charge, "ChargeItem", *registry, &problems);
  REQUIRE(values.has_value());
  CHECK(quantities(of(*values, "price")) == strs{"49.99 urn:iso:std:iso:4217|EUR"});
  CHECK(quantities(of(*values, "qty")) == strs{"3 |tablets"});
  REQUIRE(of(*values, "factor").size() == 1);
  CHECK(of(*values, "factor").front().number == 0.8);
  CHECK(tokens(of(*values, "reason")) == strs{"| (follow up visit)"});
  CHECK(texts(of(*values, "def")) == strs{"http://example.org/ChargeItemDefinition/visit"});
  CHECK(strings(of(*values, "note")) == strs{"Billed  to Ärztekammer→billed to arztekammer"});
  CHECK(of(*values, "combo").empty());
  // The expression that does not compile is skipped and reported.
  CHECK(of(*values, "broken").empty());
  REQUIRE(problems.size() == 1);
  CHECK(problems.front().param->code == "broken");
  // The contract's form reports nothing and still succeeds.
  CHECK(extract(charge, "ChargeItem", *registry).has_value());
}

TEST_CASE("extract rejects what is not a resource of the type", "[extract]") {
  CHECK(extract("{", "Patient", param_registry::r4()).error().code() == errc::invalid);
  CHECK(extract("[1]", "Patient", param_registry::r4()).error().code() == errc::invalid);
  CHECK(extract(R"({"resourceType":"Observation"})", "Patient", param_registry::r4())
            .error()
            .code() == errc::invalid);
  auto empty = extract(R"({"resourceType":"Patient"})", "Patient", param_registry::r4());
  REQUIRE(empty.has_value());
  CHECK(tokens(of(*empty, "deceased")) == strs{"|false"});
  CHECK(empty->size() == 1);
}

TEST_CASE("normalize_reference", "[extract]") {
  CHECK(normalize_reference("Patient/1/_history/2") == "Patient/1");
  CHECK(normalize_reference("http://x.org/fhir/Patient/1/_history/2") ==
        "http://x.org/fhir/Patient/1");
  CHECK(normalize_reference("#c1") == "#c1");
  CHECK(normalize_reference("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999974394") ==
        "");
  CHECK(normalize_reference("urn:uuid:0b5b9c4c-6f8c-4f2e-9f3e-3d4c2e1a0b9d") ==
        "urn:uuid:0b5b9c4c-6f8c-4f2e-9f3e-3d4c2e1a0b9d");
}

TEST_CASE("local_reference: this service's absolute URLs are relative references", "[extract]") {
  const std::string_view here = "/default/fhir/";
  CHECK(local_reference("http://localhost:8080/default/fhir/Patient/1", here) == "Patient/1");
  CHECK(local_reference("https://fhir.example.org/default/fhir/Patient/a-1.b", here) ==
        "Patient/a-1.b");
  CHECK(local_reference("http://h/default/fhir/Patient/1/_history/2", here) ==
        "Patient/1/_history/2");
  // Other servers, other services, and what is not Type/id stay as written.
  CHECK(local_reference("http://h/other/fhir/Patient/1", here) == "http://h/other/fhir/Patient/1");
  CHECK(local_reference("http://h/fhir/Patient/1", here) == "http://h/fhir/Patient/1");
  CHECK(local_reference("http://h/default/fhir/NotAType/1", here) ==
        "http://h/default/fhir/NotAType/1");
  CHECK(local_reference("http://h/default/fhir/Patient/", here) == "http://h/default/fhir/Patient/");
  CHECK(local_reference("http://h/default/fhir/Patient/a_b", here) ==
        "http://h/default/fhir/Patient/a_b");
  CHECK(local_reference("HTTPS://H/default/fhir/Patient/1", here) == "Patient/1");
  CHECK(local_reference("ftp://h/default/fhir/Patient/1", here) == "ftp://h/default/fhir/Patient/1");
  CHECK(local_reference("Patient/1", here) == "Patient/1");
  CHECK(local_reference("urn:uuid:0b5b9c4c-6f8c-4f2e-9f3e-3d4c2e1a0b9d", here) ==
        "urn:uuid:0b5b9c4c-6f8c-4f2e-9f3e-3d4c2e1a0b9d");
  CHECK(local_reference("http://localhost:8080/default/fhir/Patient/1", "") ==
        "http://localhost:8080/default/fhir/Patient/1");
}

TEST_CASE("extract is thread-safe and gives the same values on every thread", "[extract]") {
  // Cold caches on purpose: Procedure's R4 plan and a new custom registry are
  // first built while the threads race for them.
  constexpr std::string_view procedure = R"({"resourceType":"Procedure","id":"pr1",
    "status":"completed","subject":{"reference":"Patient/p1"},
    "code":{"coding":[{"system":"http://snomed.info/sct","code":"430193006"}]},
    "performedPeriod":{"start":"2024-03-05T09:00:00Z","end":"2024-03-05T09:15:00Z"}})";
  auto custom = param_registry::from_bundle(R"({"resourceType":"Bundle","entry":[
    {"resource":{"resourceType":"SearchParameter","url":"http://example.org/sp/given",
     "code":"given-x","type":"string","base":["Patient"],"expression":"Patient.name.given"}}]})");
  REQUIRE(custom.has_value());
  std::vector<std::thread> threads;
  std::vector<std::vector<std::size_t>> sizes(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        auto a = extract(procedure, "Procedure", param_registry::r4());
        auto b = extract(patient, "Patient", *custom);
        auto c = extract(blood_pressure, "Observation", param_registry::r4());
        sizes[t].push_back(a ? a->size() : 0);
        sizes[t].push_back(b ? b->size() : 0);
        sizes[t].push_back(c ? c->size() : 0);
      }
    });
  }
  for (auto& th : threads)
    th.join();

  const auto procedure_values = extract_ok(procedure, "Procedure");
  CHECK(tokens(of(procedure_values, "code")) == strs{"http://snomed.info/sct|430193006"});
  CHECK(ranges(of(procedure_values, "date")) ==
        rs({{1709629200 * sec, 1709630100 * sec + sec - 1}}));
  const auto custom_values = extract_ok(patient, "Patient", *custom);
  CHECK(strings(custom_values) == strs{"Anna→anna", "Zoë→zoe", "Anni→anni"});
  const auto observation_values = extract_ok(blood_pressure, "Observation");
  std::vector<std::size_t> expected;
  for (int i = 0; i < 100; ++i) {
    expected.push_back(procedure_values.size());
    expected.push_back(custom_values.size());
    expected.push_back(observation_values.size());
  }
  for (const auto& got : sizes)
    CHECK(got == expected);
}

TEST_CASE("every resource of the bulk sample extracts", "[extract]") {
  const std::filesystem::path dir = ATRIUM_SAMPLES_DIR "/fhir-bulk-10-patients";
  if (!std::filesystem::exists(dir)) {
    WARN("skipped: " << dir.string() << " is absent (a developer/CI sample)");
    return;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".ndjson") files.push_back(entry.path());
  std::sort(files.begin(), files.end());

  std::vector<std::pair<std::string, std::string>> resources; // type, JSON
  std::size_t not_resources = 0;
  simdjson::dom::parser parser;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const simdjson::padded_string padded(line);
      simdjson::dom::element doc;
      REQUIRE(parser.parse(padded).get(doc) == simdjson::SUCCESS);
      std::string_view type;
      if (doc["resourceType"].get_string().get(type) != simdjson::SUCCESS) {
        ++not_resources; // the export's log.ndjson
        continue;
      }
      resources.emplace_back(std::string(type), line);
    }
  }
  REQUIRE_FALSE(resources.empty());

  std::size_t values = 0;
  std::vector<std::string> problems;
  for (const auto& [type, json] : resources) { // warms the expression cache too
    std::vector<extract_problem> found;
    auto got = extract(json, type, param_registry::r4(), &found);
    INFO(type << ": " << (got ? "" : got.error().message()));
    REQUIRE(got.has_value());
    values += got->size();
    for (const auto& p : found)
      if (problems.size() < 20) problems.push_back(type + "." + p.param->code + ": " + p.message);
  }
  for (const auto& p : problems)
    FAIL_CHECK(p);

  const auto start = std::chrono::steady_clock::now();
  std::size_t timed_values = 0;
  for (const auto& [type, json] : resources) {
    auto got = extract(json, type, param_registry::r4());
    timed_values += got ? got->size() : 0;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(timed_values == values);
  std::cout << "[extract] sample: " << files.size() << " files, " << resources.size()
            << " resources (" << not_resources << " other lines), " << values
            << " values; one thread: " << static_cast<std::size_t>(values / seconds)
            << " values/s, " << static_cast<std::size_t>(resources.size() / seconds)
            << " resources/s (" << seconds * 1000 << " ms)\n";
}

namespace {
// One line per composite value: its parts, "|"-joined per part.
std::vector<std::string> composites(const std::vector<index_value>& vs) {
  std::vector<std::string> out;
  for (const auto& v : vs) {
    REQUIRE(v.k == index_value::kind::composite);
    std::ostringstream s;
    for (const auto& p : v.parts) {
      if (&p != &v.parts.front()) s << " $ ";
      if (p.k == index_value::kind::token) s << p.system << "|" << p.code;
      else if (p.k == index_value::kind::quantity) s << p.number << " " << p.code;
      else s << p.text;
    }
    out.push_back(s.str());
  }
  return out;
}
} // namespace

TEST_CASE("composite values pair components from the same item", "[extract]") {
  const auto bp = extract_ok(blood_pressure, "Observation");
  // Each component's code goes with its own value, never the other's.
  CHECK(composites(of(bp, "component-code-value-quantity")) ==
        strs{"http://loinc.org|8480-6 $ 120 mm[Hg]", "http://loinc.org|8462-4 $ 80 mm[Hg]"});
  // combo-: the Observation itself and each component, which are the
  // entries of code-value-quantity and component-code-value-quantity.
  CHECK(of(bp, "combo-code-value-quantity").empty());
  CHECK(of(bp, "code-value-quantity").empty());

  const auto hr = extract_ok(heart_rate, "Observation");
  CHECK(composites(of(hr, "code-value-quantity")) == strs{"http://loinc.org|8867-4 $ 72.5 /min"});
  CHECK(of(hr, "code-value-concept").empty());
}

TEST_CASE("UCUM quantities also carry their amount in the canonical unit", "[extract]") {
  const auto bp = extract_ok(blood_pressure, "Observation");
  CHECK(quantities(of(bp, "component-value-quantity"), true) ==
        strs{"15998.7 http://unitsofmeasure.org|Pa", "10665.8 http://unitsofmeasure.org|Pa"});
  const auto hr = extract_ok(heart_rate, "Observation");
  CHECK(quantities(of(hr, "value-quantity"), true) == strs{"1.20833 http://unitsofmeasure.org|/s"});
  // Already canonical, or not UCUM: nothing more.
  const auto grams = extract_ok(R"({"resourceType":"Observation","id":"w","status":"final",
    "code":{"text":"w"},"valueQuantity":{"value":70,"system":"http://unitsofmeasure.org","code":"g"}})",
                                "Observation");
  CHECK(quantities(of(grams, "value-quantity"), true).empty());
  // Composite parts pair the amounts as written only.
  for (const auto& v : of(bp, "component-code-value-quantity"))
    for (const auto& part : v.parts)
      CHECK_FALSE(part.canonical);
}
