#include "synthea_bundle.hpp"

#include <cstdio>
#include <string_view>

#include "patient_body.hpp"

namespace atrium::bench {

namespace {

constexpr std::string_view npi_system = "http://hl7.org/fhir/sid/us-npi";
constexpr std::string_view synthea_system = "https://github.com/synthetichealth/synthea";

/// A UUID-shaped id derived from three numbers.
std::string uuid(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  const auto h1 = mix(a ^ (b << 20) ^ (c << 44));
  const auto h2 = mix(h1 ^ c);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-4%03llx-a%03llx-%012llx",
                static_cast<unsigned long long>(h1 >> 32),
                static_cast<unsigned long long>((h1 >> 16) & 0xffff),
                static_cast<unsigned long long>(h1 & 0xfff),
                static_cast<unsigned long long>(h2 >> 52),
                static_cast<unsigned long long>(h2 & 0xffffffffffffULL));
  return buf;
}

std::string npi(int i) { return std::to_string(9999900000LL + i); }

std::string practitioner_ref(std::uint64_t h) {
  return "Practitioner?identifier=" + std::string{npi_system} + "|" +
         npi(static_cast<int>(h % fixture_count));
}
std::string organization_ref(std::uint64_t h) {
  return "Organization?identifier=" + std::string{synthea_system} + "|bench-org-" +
         std::to_string(h % fixture_count);
}
std::string location_ref(std::uint64_t h) {
  return "Location?identifier=" + std::string{synthea_system} + "|bench-loc-" +
         std::to_string(h % fixture_count);
}

std::string entry(const std::string& full_url, const std::string& resource,
                  std::string_view method, const std::string& url) {
  std::string out = "{";
  if (!full_url.empty()) out += R"("fullUrl":")" + full_url + R"(",)";
  out += R"("resource":)" + resource + R"(,"request":{"method":")" + std::string{method} +
         R"(","url":")" + url + R"("}})";
  return out;
}

std::string date(std::uint64_t h, int hour) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:00-05:00",
                static_cast<int>(1990 + h % 34), static_cast<int>(1 + (h >> 8) % 12),
                static_cast<int>(1 + (h >> 16) % 28), hour, static_cast<int>((h >> 24) % 60));
  return buf;
}

std::string reference(const std::string& r) { return R"({"reference":")" + r + R"("})"; }

struct coding {
  const char* system;
  const char* code;
  const char* display;
};

constexpr coding conditions[] = {
  {"http://snomed.info/sct", "44054006", "Diabetes"},
  {"http://snomed.info/sct", "38341003", "Hypertension"},
  {"http://snomed.info/sct", "195662009", "Acute viral pharyngitis"},
  {"http://snomed.info/sct", "10509002", "Acute bronchitis"}};
constexpr coding vitals[] = {{"http://loinc.org", "8867-4", "Heart rate"},
                             {"http://loinc.org", "9279-1", "Respiratory rate"},
                             {"http://loinc.org", "29463-7", "Body Weight"},
                             {"http://loinc.org", "8302-2", "Body Height"}};
constexpr coding procedures[] = {{"http://snomed.info/sct", "430193006", "Medication Reconciliation"},
                                 {"http://snomed.info/sct", "710824005", "Assessment of health"}};
constexpr coding medications[] = {
  {"http://www.nlm.nih.gov/research/umls/rxnorm", "313782", "Acetaminophen 325 MG Oral Tablet"},
  {"http://www.nlm.nih.gov/research/umls/rxnorm", "860975", "Metformin 500 MG Oral Tablet"}};

std::string codeable(const coding& c) {
  return R"({"coding":[{"system":")" + std::string{c.system} + R"(","code":")" + c.code +
         R"(","display":")" + c.display + R"("}],"text":")" + c.display + R"("})";
}

std::string profile(const char* name) {
  return R"("meta":{"profile":["http://hl7.org/fhir/us/core/StructureDefinition/)" +
         std::string{name} + R"("]})";
}

std::string patient(std::uint64_t h, const std::string& id) {
  auto body = make_patient_body(h, h >> 40); // name, identifier, address, telecom
  // Synthea's US Core extensions, in front of the generated members.
  const std::string extensions =
    R"("resourceType":"Patient",)" + profile("us-core-patient") +
    R"(,"extension":[{"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race","extension":[{"url":"ombCategory","valueCoding":{"system":"urn:oid:2.16.840.1.113883.6.238","code":"2106-3","display":"White"}},{"url":"text","valueString":"White"}]},)"
    R"({"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex","valueCode":"F"},)"
    R"({"url":"http://synthetichealth.github.io/synthea/disability-adjusted-life-years","valueDecimal":0.1234}],)"
    R"("id":")" + id + R"(",)";
  return "{" + extensions + body.substr(body.find('{') + 1 + std::string_view{R"("resourceType":"Patient",)"}.size());
}

} // namespace

std::string make_fixtures_bundle() {
  std::string out = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
  for (int i = 0; i < fixture_count; ++i) {
    const auto n = std::to_string(i);
    out += (i ? "," : "") +
           entry({}, R"({"resourceType":"Practitioner","id":"bench-pr-)" + n +
                       R"(","identifier":[{"system":")" + std::string{npi_system} +
                       R"(","value":")" + npi(i) + R"("}],"name":[{"family":"Bench)" + n +
                       R"(","given":["Pat"],"prefix":["Dr."]}],"gender":"female"})",
                 "PUT", "Practitioner/bench-pr-" + n) +
           "," +
           entry({}, R"({"resourceType":"Organization","id":"bench-org-)" + n +
                       R"(","identifier":[{"system":")" + std::string{synthea_system} +
                       R"(","value":"bench-org-)" + n +
                       R"("}],"active":true,"name":"Bench Hospital )" + n + R"("})",
                 "PUT", "Organization/bench-org-" + n) +
           "," +
           entry({}, R"({"resourceType":"Location","id":"bench-loc-)" + n +
                       R"(","identifier":[{"system":")" + std::string{synthea_system} +
                       R"(","value":"bench-loc-)" + n + R"("}],"status":"active","name":"Bench Clinic )" +
                       n + R"("})",
                 "PUT", "Location/bench-loc-" + n);
  }
  return out + "]}";
}

std::string make_synthea_bundle(const char* type, int entries, std::uint64_t sequence,
                                std::uint64_t salt) {
  const bool transaction = std::string_view{type} == "transaction";
  const auto h = mix(sequence ^ (salt << 40));
  const auto patient_id = uuid(salt, sequence, 0);
  // In a transaction the Patient is created by POST and found by its
  // urn:uuid; in a batch it is PUT by id and referred to by it.
  const auto patient_ref = transaction ? "urn:uuid:" + patient_id : "Patient/" + patient_id;
  std::string out = R"({"resourceType":"Bundle","type":")" + std::string{type} + R"(","entry":[)";
  out += entry("urn:uuid:" + patient_id, patient(h, patient_id), "PUT", "Patient/" + patient_id);
  std::string encounter_ref;
  for (int k = 1; k < entries; ++k) {
    const auto hk = mix(h ^ static_cast<std::uint64_t>(k));
    const auto id = uuid(salt, sequence, static_cast<std::uint64_t>(k));
    const auto full_url = "urn:uuid:" + id;
    std::string resource, rtype;
    switch (k % 7) {
      case 1:
        rtype = "Encounter";
        encounter_ref = transaction ? full_url : "Encounter/" + id;
        resource = R"({"resourceType":"Encounter",)" + profile("us-core-encounter") +
                   R"(,"identifier":[{"use":"official","system":")" + std::string{synthea_system} +
                   R"(","value":")" + id + R"("}],"status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},)"
                   R"("type":[{"coding":[{"system":"http://snomed.info/sct","code":"162673000","display":"General examination of patient"}],"text":"General examination of patient"}],)"
                   R"("subject":)" + reference(patient_ref) +
                   R"(,"participant":[{"type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PPRF","display":"primary performer"}],"text":"primary performer"}],"period":{"start":")" +
                   date(hk, 9) + R"(","end":")" + date(hk, 10) + R"("},"individual":)" +
                   reference(practitioner_ref(hk)) + R"(}],"period":{"start":")" + date(hk, 9) +
                   R"(","end":")" + date(hk, 10) + R"("},"location":[{"location":)" +
                   reference(location_ref(hk)) + R"(}],"serviceProvider":)" + reference(organization_ref(hk)) +
                   "}";
        break;
      case 2:
        rtype = "Condition";
        resource = R"({"resourceType":"Condition",)" + profile("us-core-condition") +
                   R"(,"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]},"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-category","code":"encounter-diagnosis","display":"Encounter Diagnosis"}]}],"code":)" +
                   codeable(conditions[hk % 4]) + R"(,"subject":)" + reference(patient_ref) +
                   R"(,"encounter":)" + reference(encounter_ref) + R"(,"onsetDateTime":")" + date(hk, 9) +
                   R"(","recordedDate":")" + date(hk, 9) + R"("})";
        break;
      case 3:
      case 4: {
        rtype = "Observation";
        const auto& v = vitals[hk % 4];
        char value[32];
        std::snprintf(value, sizeof value, "%.1f", 40 + static_cast<double>(hk % 1200) / 10);
        resource = R"({"resourceType":"Observation",)" + profile("us-core-vital-signs") +
                   R"(,"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs","display":"vital-signs"}]}],"code":)" +
                   codeable(v) + R"(,"subject":)" + reference(patient_ref) + R"(,"encounter":)" +
                   reference(encounter_ref) + R"(,"effectiveDateTime":")" + date(hk, 9) +
                   R"(","issued":")" + date(hk, 9) + R"(","valueQuantity":{"value":)" + value +
                   R"(,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}})";
        break;
      }
      case 5:
        rtype = "Procedure";
        resource = R"({"resourceType":"Procedure",)" + profile("us-core-procedure") +
                   R"(,"status":"completed","code":)" + codeable(procedures[hk % 2]) +
                   R"(,"subject":)" + reference(patient_ref) + R"(,"encounter":)" + reference(encounter_ref) +
                   R"(,"performedPeriod":{"start":")" + date(hk, 9) + R"(","end":")" + date(hk, 10) +
                   R"("},"location":)" + reference(location_ref(hk)) + "}";
        break;
      case 6:
        rtype = "MedicationRequest";
        resource = R"({"resourceType":"MedicationRequest",)" + profile("us-core-medicationrequest") +
                   R"(,"status":"active","intent":"order","medicationCodeableConcept":)" +
                   codeable(medications[hk % 2]) + R"(,"subject":)" + reference(patient_ref) +
                   R"(,"encounter":)" + reference(encounter_ref) + R"(,"authoredOn":")" + date(hk, 10) +
                   R"(","requester":)" + reference(practitioner_ref(hk)) +
                   R"(,"dosageInstruction":[{"sequence":1,"text":"Take as needed."}]})";
        break;
      default:
        rtype = "Immunization";
        resource = R"({"resourceType":"Immunization",)" + profile("us-core-immunization") +
                   R"(,"status":"completed","vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"140","display":"Influenza, seasonal, injectable, preservative free"}],"text":"Influenza"},"patient":)" +
                   reference(patient_ref) + R"(,"encounter":)" + reference(encounter_ref) +
                   R"(,"occurrenceDateTime":")" + date(hk, 9) +
                   R"(","primarySource":true,"location":)" + reference(location_ref(hk)) + "}";
        break;
    }
    out += "," + (transaction ? entry(full_url, resource, "POST", rtype)
                              : entry({}, resource, "POST", rtype));
  }
  return out + "]}";
}

} // namespace atrium::bench
