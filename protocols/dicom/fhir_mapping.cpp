#include "protocols/dicom/fhir_mapping.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>

#include "protocols/dicom/levels.hpp"
#include "protocols/fhir/json_text.hpp"
#include "protocols/fhir/primitive_forms.hpp"

namespace atrium::dicom {

namespace {

constexpr std::string_view dcm_system = "http://dicom.nema.org/resources/ontology/DCM";

std::string text(const std::vector<attribute>& attrs, tag t) {
  for (auto& a : attrs)
    if (a.tag == t)
      return first_value_text(a);
  return {};
}

std::string str(std::string_view s) {
  std::string out;
  fhir::append_json_string(out, s);
  return out;
}

// What the mirror writes must pass the FHIR service's structure check, or
// the mirror's Bundle is refused and retried forever: a DICOM value that
// makes no valid R4 value is left out.
using fhir::primitive;

/// DA "20240115" → "2024-01-15"; "" when not a day of the calendar.
std::string fhir_date(std::string_view da) {
  if (da.size() != 8)
    return {};
  auto date = std::string{da.substr(0, 4)} + "-" + std::string{da.substr(4, 2)} + "-" +
              std::string{da.substr(6, 2)};
  return fhir::is_valid_form(primitive::date, date) ? date : std::string{};
}

/// An IS as an unsignedInt ("007" → "7"); "" when it is none.
std::string fhir_unsigned(std::string_view is) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(is.data(), is.data() + is.size(), n);
  if (ec != std::errc{} || end != is.data() + is.size() ||
      !fhir::is_in_range(primitive::unsigned_int, n))
    return {};
  return std::to_string(n);
}

/// DICOM's TimezoneOffsetFromUTC ("+0100", "-0500") as a FHIR zone
/// ("+01:00"); "Z" when it is absent or malformed. R4 requires a zone on a
/// dateTime with a time, and DICOM's dates and times carry none of their
/// own, so without the offset they are taken as UTC.
std::string fhir_zone(std::string_view offset) {
  if (offset.size() != 5 || (offset[0] != '+' && offset[0] != '-') ||
      !std::all_of(offset.begin() + 1, offset.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return "Z";
  return std::string{offset.substr(0, 3)} + ":" + std::string{offset.substr(3, 2)};
}

/// DA + TM (+ TimezoneOffsetFromUTC) → a FHIR dateTime
/// ("2024-01-15T10:15:00Z"); the date alone when the time (or its zone)
/// makes no valid dateTime.
std::string fhir_started(std::string_view da, std::string_view tm, std::string_view offset) {
  auto date = fhir_date(da);
  if (date.empty() || tm.size() < 6)
    return date;
  auto started = date + "T" + std::string{tm.substr(0, 2)} + ":" + std::string{tm.substr(2, 2)} +
                 ":" + std::string{tm.substr(4, 2)} + fhir_zone(offset);
  return fhir::is_valid_form(primitive::date_time, started) ? started : date;
}

/// A CS as a FHIR code; `otherwise` when it is none ("C  T").
std::string fhir_code(std::string_view cs, std::string_view otherwise) {
  return std::string{fhir::is_valid_form(primitive::code, cs) ? cs : otherwise};
}

std::string gender(std::string_view sex) {
  if (sex == "M") return "male";
  if (sex == "F") return "female";
  if (sex == "O") return "other";
  return "unknown";
}

std::string patient_json(const std::string& id, const std::vector<attribute>& attrs) {
  // PatientID may be empty (Azure v2 stores it so); R4 has no empty strings.
  const auto patient_key = text(attrs, tags::patient_id);
  std::string out = R"({"resourceType":"Patient","id":)" + str(id) +
                    R"(,"identifier":[{"system":"urn:dicom:patient-id")" +
                    (patient_key.empty() ? "" : R"(,"value":)" + str(patient_key)) + "}]";
  auto name = text(attrs, tags::patient_name);
  if (!name.empty()) {
    auto caret = name.find('^');
    out += R"(,"name":[{"use":"usual")";
    if (!name.substr(0, caret).empty())
      out += R"(,"family":)" + str(name.substr(0, caret));
    if (caret != std::string::npos) {
      auto given = name.substr(caret + 1);
      given = given.substr(0, given.find('^'));
      if (!given.empty())
        out += R"(,"given":[)" + str(given) + "]";
    }
    out += "}]";
  }
  out += R"(,"gender":")" + gender(text(attrs, tags::patient_sex)) + "\"";
  if (auto birth = fhir_date(text(attrs, tags::patient_birth_date)); !birth.empty())
    out += R"(,"birthDate":")" + birth + "\"";
  return out + "}";
}

std::string coding(std::string_view modality) {
  return R"({"system":")" + std::string{dcm_system} + R"(","code":)" + str(modality) + "}";
}

void put_entry(std::string& entries, std::string_view type, const std::string& id,
               const std::string& resource) {
  if (!entries.empty())
    entries += ',';
  entries += R"({"fullUrl":")" + std::string{type} + "/" + id + R"(","resource":)" + resource +
             R"(,"request":{"method":"PUT","url":")" + std::string{type} + "/" + id + "\"}}";
}

} // namespace

std::string fhir_id_for(std::string_view kind, std::string_view key) {
  std::uint64_t h = 1469598103934665603ull; // FNV-1a: stable across builds
  for (unsigned char c : kind)
    h = (h ^ c) * 1099511628211ull;
  h = (h ^ '/') * 1099511628211ull;
  for (unsigned char c : key)
    h = (h ^ c) * 1099511628211ull;
  static constexpr char hex[] = "0123456789abcdef";
  std::string id = "dicom-";
  for (int i = 15; i >= 0; --i)
    id.push_back(hex[(h >> (i * 4)) & 0xf]);
  return id;
}

std::string mirror_bundle(const std::vector<mirrored_study>& studies, std::string_view endpoint_key,
                          std::string_view endpoint_address) {
  std::string entries;
  const auto endpoint_id = fhir_id_for("Endpoint", endpoint_key);
  put_entry(entries, "Endpoint", endpoint_id,
            R"({"resourceType":"Endpoint","id":")" + endpoint_id +
              R"(","status":"active","connectionType":{"system":"http://terminology.hl7.org/CodeSystem/endpoint-connection-type","code":"dicom-wado-rs"},"name":)" +
              str(endpoint_key) + R"(,"payloadType":[{"text":"DICOM"}],"payloadMimeType":["application/dicom"],"address":)" +
              str(endpoint_address) + "}");
  for (auto& study : studies) {
    const auto study_id = fhir_id_for("ImagingStudy", study.study_uid);
    if (study.instances.empty()) {
      // Conditional: no match (never mirrored) is success too.
      entries += R"(,{"request":{"method":"DELETE","url":"ImagingStudy?identifier=urn:dicom:uid|urn:oid:)" +
                 study.study_uid + "\"}}";
      continue;
    }
    // The instance stored last speaks for the study and the patient.
    const auto& latest = study.instances.back().dataset;
    const auto patient_key = text(latest, tags::patient_id);
    const auto patient_id = fhir_id_for("Patient", patient_key);
    put_entry(entries, "Patient", patient_id, patient_json(patient_id, latest));

    std::map<std::string, std::vector<const mirrored_instance*>> series;
    for (auto& i : study.instances)
      series[i.series_uid].push_back(&i);
    std::vector<std::string> modalities;
    std::string series_json;
    for (auto& [uid, instances] : series) {
      const auto& first = instances.back()->dataset;
      auto modality = fhir_code(text(first, tags::modality), "");
      if (!modality.empty() && std::find(modalities.begin(), modalities.end(), modality) == modalities.end())
        modalities.push_back(modality);
      if (!series_json.empty())
        series_json += ',';
      series_json += R"({"uid":)" + str(uid);
      if (auto n = fhir_unsigned(text(first, tags::series_number)); !n.empty())
        series_json += R"(,"number":)" + n;
      series_json += R"(,"modality":)" + coding(modality.empty() ? "OT" : modality);
      if (auto d = text(first, tags::series_description); !d.empty())
        series_json += R"(,"description":)" + str(d);
      series_json += R"(,"numberOfInstances":)" + std::to_string(instances.size()) + R"(,"instance":[)";
      for (std::size_t k = 0; k < instances.size(); ++k) {
        auto& inst = *instances[k];
        series_json += (k ? "," : "") + std::string{R"({"uid":)"} + str(inst.sop_uid) +
                       R"(,"sopClass":{"system":"urn:ietf:rfc:3986","code":)" +
                       str("urn:oid:" + inst.sop_class_uid) + "}";
        if (auto n = fhir_unsigned(text(inst.dataset, tags::instance_number)); !n.empty())
          series_json += R"(,"number":)" + n;
        series_json += "}";
      }
      series_json += "]}";
    }
    std::string s = R"({"resourceType":"ImagingStudy","id":")" + study_id +
                    R"(","identifier":[{"system":"urn:dicom:uid","value":)" + str("urn:oid:" + study.study_uid) + "}";
    if (auto acc = text(latest, tags::accession_number); !acc.empty())
      s += R"(,{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"ACSN"}]},"value":)" +
           str(acc) + "}";
    s += R"(],"status":"available")";
    if (!modalities.empty()) {
      s += R"(,"modality":[)";
      for (std::size_t k = 0; k < modalities.size(); ++k)
        s += (k ? "," : "") + coding(modalities[k]);
      s += "]";
    }
    s += R"(,"subject":{"reference":"Patient/)" + patient_id + R"("})";
    if (auto started = fhir_started(text(latest, tags::study_date), text(latest, tags::study_time),
                                    text(latest, tags::timezone_offset_from_utc)); !started.empty())
      s += R"(,"started":")" + started + "\"";
    s += R"(,"endpoint":[{"reference":"Endpoint/)" + endpoint_id + R"("}])";
    s += R"(,"numberOfSeries":)" + std::to_string(series.size()) + R"(,"numberOfInstances":)" +
         std::to_string(study.instances.size());
    if (auto d = text(latest, tags::study_description); !d.empty())
      s += R"(,"description":)" + str(d);
    s += R"(,"series":[)" + series_json + "]}";
    put_entry(entries, "ImagingStudy", study_id, s);
  }
  return R"({"resourceType":"Bundle","type":"transaction","entry":[)" + entries + "]}";
}

} // namespace atrium::dicom
