// Resource bodies of the synthetic dataset (the layout is in dataset.hpp).
#include "dataset.hpp"

#include "patient_body.hpp"

#include <array>
#include <cstdarg>
#include <cstdio>
#include <string_view>

namespace atrium::bench {

namespace {

struct coded {
  std::string_view code, display, unit;
};

constexpr std::array<std::string_view, 20> common_families{
  "Smith",   "Johnson", "Okafor",   "Lindqvist", "Moreau", "Tanaka", "Schmidt",
  "Alvarez", "Nowak",   "Haddad",   "Kowalski",  "Rossi",  "Fischer", "Jensen",
  "Silva",   "Ivanova", "Chen",     "Murphy",    "Dubois", "Novak"};
// None is a prefix of another name in the data: `name` matches by prefix.
constexpr std::array<std::string_view, 25> rare_families{
  "Abernathy", "Brightwater",   "Cazenove",     "Dunmore",     "Eskildsen",
  "Fairweather", "Gwynedd",     "Hollingsworth", "Ingebrigtsen", "Jablonowski",
  "Kettleborough", "Lachapelle", "Mbekiwe",     "Nightingale", "Oyelowo",
  "Pemberton",  "Quennell",     "Ravenscroft",  "Stoltenberg", "Thistlewood",
  "Umberfield", "Vasconcelos",  "Wetherby",     "Yarborough",  "Zelenski"};
constexpr std::array<std::string_view, 12> given_names{
  "Amara", "Jonas", "Camille", "Hiro",  "Greta", "Mateo",
  "Zofia", "Rami",  "Leila",   "Tomas", "Ines",  "Kwame"};
constexpr std::array<coded, 8> vital_codes{{
  {"8867-4", "Heart rate", "/min"},
  {"8480-6", "Systolic blood pressure", "mm[Hg]"},
  {"8462-4", "Diastolic blood pressure", "mm[Hg]"},
  {"8310-5", "Body temperature", "Cel"},
  {"29463-7", "Body weight", "kg"},
  {"8302-2", "Body height", "cm"},
  {"2339-0", "Glucose", "mg/dL"},
  {"59408-5", "Oxygen saturation", "%"},
}};
constexpr std::array<coded, 10> rare_lab_codes{{
  {"33914-3", "eGFR", "mL/min"},
  {"2160-0", "Creatinine", "mg/dL"},
  {"718-7", "Hemoglobin", "g/dL"},
  {"4548-4", "Hemoglobin A1c", "%"},
  {"2093-3", "Cholesterol", "mg/dL"},
  {"2571-8", "Triglyceride", "mg/dL"},
  {"1742-6", "ALT", "U/L"},
  {"6690-2", "Leukocytes", "10*3/uL"},
  {"777-3", "Platelets", "10*3/uL"},
  {"2951-2", "Sodium", "mmol/L"},
}};
constexpr std::array<coded, 8> condition_codes{{
  {"44054006", "Diabetes mellitus type 2", ""},
  {"38341003", "Hypertension", ""},
  {"195967001", "Asthma", ""},
  {"13645005", "COPD", ""},
  {"35489007", "Depressive disorder", ""},
  {"49436004", "Atrial fibrillation", ""},
  {"55822004", "Hyperlipidemia", ""},
  {"399211009", "History of myocardial infarction", ""},
}};

/// snprintf into a std::string; the bodies are bounded, well under 2 KiB.
[[gnu::format(printf, 1, 2)]] std::string format(const char* fmt, ...) {
  char buf[2048];
  va_list args;
  va_start(args, fmt);
  const int n = std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return std::string(buf, n < 0 ? 0 : std::min<std::size_t>(n, sizeof buf - 1));
}

using ull = unsigned long long;

/// One hash per (seed, patient, resource slot): every field derives from it.
std::uint64_t hash(const dataset& d, std::uint64_t patient, std::uint64_t slot) {
  return mix(mix(d.seed) ^ (patient * resources_per_patient + slot));
}

int sz(std::string_view s) {
  return static_cast<int>(s.size());
}

/// The family name of patient i: rare for i % 1000 == 500 (see dataset.hpp).
std::string_view patient_family(const dataset& d, std::uint64_t i) {
  if (i % 1000 == 500)
    return rare_families[(i / 1000) % rare_families.size()];
  return common_families[mix(mix(d.seed) ^ i) % common_families.size()];
}

/// The LOINC code of Observation o-i-k: rare for k == 0 and i % 500 == 250.
const coded& observation_code(const dataset& d, std::uint64_t i, int k) {
  if (k == 0 && i % 500 == 250)
    return rare_lab_codes[(i / 500) % rare_lab_codes.size()];
  return vital_codes[(hash(d, i, 4 + k) >> 48) % vital_codes.size()];
}

resource_put patient(const dataset& d, std::uint64_t i) {
  const auto h = hash(d, i, 0);
  const auto family = patient_family(d, i);
  const auto given = given_names[(h >> 8) % given_names.size()];
  auto body = format(
    R"({"resourceType":"Patient","id":"p-%06llu",)"
    R"("identifier":[{"system":"urn:bench:mrn","value":"MRN-%06llu"}],"active":true,)"
    R"("name":[{"family":"%.*s","given":["%.*s"]}],"gender":"%s",)"
    R"("birthDate":"%04d-%02d-%02d"})",
    ull(i), ull(i), sz(family), family.data(), sz(given), given.data(),
    (h & 1) ? "female" : "male", 1930 + int((h >> 16) % 90), 1 + int((h >> 24) % 12),
    1 + int((h >> 32) % 28));
  return {format("/Patient/p-%06llu", ull(i)), std::move(body)};
}

resource_put encounter(const dataset& d, std::uint64_t i, int j) {
  const auto h = hash(d, i, 1 + j);
  const int year = 2013 + 4 * j + int(h % 4);
  const int month = 1 + int((h >> 8) % 12);
  const int day = 1 + int((h >> 16) % 28);
  auto body = format(
    R"({"resourceType":"Encounter","id":"e-%06llu-%d","status":"finished",)"
    R"("class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},)"
    R"("subject":{"reference":"Patient/p-%06llu"},)"
    R"("period":{"start":"%04d-%02d-%02dT09:00:00Z","end":"%04d-%02d-%02dT10:30:00Z"}})",
    ull(i), j, ull(i), year, month, day, year, month, day);
  return {format("/Encounter/e-%06llu-%d", ull(i), j), std::move(body)};
}

resource_put observation(const dataset& d, std::uint64_t i, int k) {
  const auto h = hash(d, i, 4 + k);
  const auto& code = observation_code(d, i, k);
  const double value = 10 + double(h % 1500) / 10;
  auto body = format(
    R"({"resourceType":"Observation","id":"o-%06llu-%02d","status":"final",)"
    R"("category":[{"coding":[{"system":)"
    R"("http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],)"
    R"("code":{"coding":[{"system":"http://loinc.org","code":"%.*s","display":"%.*s"}]},)"
    R"("subject":{"reference":"Patient/p-%06llu"},"encounter":{"reference":"Encounter/e-%06llu-%d"},)"
    R"("effectiveDateTime":"%04d-%02d-%02dT%02d:%02d:00Z",)"
    R"("valueQuantity":{"value":%.1f,"unit":"%.*s","system":"http://unitsofmeasure.org","code":"%.*s"}})",
    ull(i), k, sz(code.code), code.code.data(), sz(code.display), code.display.data(), ull(i),
    ull(i), k / 4, 2013 + k, 1 + int((h >> 12) % 12), 1 + int((h >> 20) % 28),
    int((h >> 28) % 24), int((h >> 36) % 60), value, sz(code.unit), code.unit.data(),
    sz(code.unit), code.unit.data());
  return {format("/Observation/o-%06llu-%02d", ull(i), k), std::move(body)};
}

resource_put condition(const dataset& d, std::uint64_t i, int j) {
  const auto h = hash(d, i, 16 + j);
  const auto& code = condition_codes[h % condition_codes.size()];
  auto body = format(
    R"({"resourceType":"Condition","id":"c-%06llu-%d",)"
    R"("clinicalStatus":{"coding":[{"system":)"
    R"("http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},)"
    R"("code":{"coding":[{"system":"http://snomed.info/sct","code":"%.*s","display":"%.*s"}]},)"
    R"("subject":{"reference":"Patient/p-%06llu"},"onsetDateTime":"%04d-%02d-%02d"})",
    ull(i), j, sz(code.code), code.code.data(), sz(code.display), code.display.data(), ull(i),
    2000 + int((h >> 8) % 25), 1 + int((h >> 16) % 12), 1 + int((h >> 24) % 28));
  return {format("/Condition/c-%06llu-%d", ull(i), j), std::move(body)};
}

} // namespace

resource_put dataset_resource(const dataset& d, std::uint64_t index) {
  const auto i = index / resources_per_patient;
  const auto slot = static_cast<int>(index % resources_per_patient);
  if (slot == 0)
    return patient(d, i);
  if (slot < 4)
    return encounter(d, i, slot - 1);
  if (slot < 16)
    return observation(d, i, slot - 4);
  return condition(d, i, slot - 16);
}

std::string search_query(const dataset& d, scenario_kind kind, std::uint64_t random) {
  // Patients with a rare family name (i = 1000 r + 500) or a rare code
  // (i = 500 r + 250) below d.patients; min_search_patients keeps both >= 1.
  const auto rare_named = d.patients > 500 ? (d.patients - 501) / 1000 + 1 : 1;
  const auto rare_coded = d.patients > 250 ? (d.patients - 251) / 500 + 1 : 1;
  const auto i = ull(random % d.patients);
  const auto more = random / d.patients; // a second, independent pick
  switch (kind) {
    case scenario_kind::token:
      return format("/Patient?identifier=urn:bench:mrn%%7CMRN-%06llu&_count=10", i);
    case scenario_kind::reference:
      return format("/Observation?subject=Patient/p-%06llu&_count=10", i);
    case scenario_kind::date_range: {
      // One year of one patient: exactly one of its 12 Observations.
      const int year = 2013 + int(more % 12);
      return format("/Observation?subject=Patient/p-%06llu&date=ge%d-01-01&date=lt%d-01-01"
                    "&_count=10",
                    i, year, year + 1);
    }
    case scenario_kind::chain: {
      const auto rare = (random % rare_named) * 1000 + 500;
      const auto family = patient_family(d, rare);
      const auto& code = observation_code(d, rare, 1 + int(more % 11));
      return format("/Observation?subject:Patient.name=%.*s&code=http://loinc.org%%7C%.*s"
                    "&_count=10",
                    sz(family), family.data(), sz(code.code), code.code.data());
    }
    case scenario_kind::has: {
      const auto& code = observation_code(d, (random % rare_coded) * 500 + 250, 0);
      return format("/Patient?_has:Observation:subject:code=http://loinc.org%%7C%.*s&_count=10",
                    sz(code.code), code.code.data());
    }
    case scenario_kind::include:
      return format("/Observation?subject=Patient/p-%06llu&_include=Observation:subject"
                    "&_count=10",
                    i);
    case scenario_kind::sort:
      return format("/Observation?subject=Patient/p-%06llu&_sort=-date&_count=10", i);
    default:
      return {};
  }
}

} // namespace atrium::bench
