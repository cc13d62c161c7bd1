// Shared pieces of the end-to-end search tests: a generated dataset written
// through the API (Organizations, Patients, Observations, Encounters with
// fixed ids), a query builder that percent-encodes values independently of
// the server's own code, and a search client that follows next links and
// splits entries by search mode.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"

namespace e2e::search_data {

inline const std::string base = "/default/fhir";

using id_set = std::set<std::string>;

// ---- queries ----------------------------------------------------------------

/// Percent-encodes everything but RFC 3986 unreserved characters.
inline std::string enc(std::string_view s) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

using param_list = std::vector<std::pair<std::string, std::string>>;

/// "name=value&…"; names are sent as written (they hold only ':', '.', '_'),
/// values percent-encoded.
inline std::string query(const param_list& params) {
  std::string out;
  for (auto& [k, v] : params)
    out += (out.empty() ? "" : "&") + k + "=" + enc(v);
  return out;
}

// ---- search results ---------------------------------------------------------

struct search_result {
  int status = 0;
  std::string first_body;            // the first page (or the error)
  std::vector<std::string> matches;  // ids with mode=match, in page order
  std::vector<std::string> includes; // "Type/id" with mode=include
  std::vector<std::string> outcomes; // issue severities of mode=outcome entries
  std::vector<std::string> outcome_text; // their diagnostics
  std::vector<std::string> match_types;  // resourceType of each match
  std::int64_t total = -1;           // Bundle.total of the first page, -1 if absent
  std::size_t pages = 0;
  std::vector<std::size_t> page_sizes; // match entries per page
  bool links_ok = true;              // every page had a self link; next on all but the last

  id_set match_set() const { return {matches.begin(), matches.end()}; }
  id_set include_set() const { return {includes.begin(), includes.end()}; }
  bool unique() const { return match_set().size() == matches.size(); }
};

/// Collects one searchset page into r; returns the next link target or "".
inline std::string collect_page(search_result& r, const json& page) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < page.count("/entry"); ++i) {
    auto at = "/entry/" + std::to_string(i);
    auto mode = page.str(at + "/search/mode");
    auto type = page.str(at + "/resource/resourceType");
    auto id = page.str(at + "/resource/id");
    if (mode == "match") {
      r.matches.push_back(id);
      r.match_types.push_back(type);
      ++n;
    } else if (mode == "include") {
      r.includes.push_back(type + "/" + id);
    } else if (mode == "outcome") {
      for (std::size_t k = 0; k < page.count(at + "/resource/issue"); ++k) {
        r.outcomes.push_back(page.str(at + "/resource/issue/" + std::to_string(k) + "/severity"));
        r.outcome_text.push_back(
            page.str(at + "/resource/issue/" + std::to_string(k) + "/diagnostics"));
      }
    } else {
      r.outcomes.push_back("<entry without search.mode: " + mode + ">");
    }
  }
  r.page_sizes.push_back(n);
  if (bundle_link(page, "self").empty())
    r.links_ok = false;
  auto next = bundle_link(page, "next");
  return next.empty() ? std::string{} : target_of(next);
}

/// GET {base}/{type}?{q}, following next links (at most max_pages pages).
inline search_result search(http_client& c, const std::string& type, const std::string& q,
                            const header_list& headers = {}, std::size_t max_pages = 400) {
  search_result r;
  std::string target = base + "/" + type + (q.empty() ? "" : "?" + q);
  bool first = true;
  while (!target.empty()) {
    INFO("GET " << target);
    REQUIRE(r.pages < max_pages);
    auto res = c.get(target, headers);
    if (first) {
      r.status = res.status;
      r.first_body = res.body;
    }
    if (res.status != 200) {
      if (!first) {
        FAIL("a next link answered " << res.status << ": " << res.body);
      }
      return r;
    }
    ++r.pages;
    json page{res.body};
    CHECK(page.str("/resourceType") == "Bundle");
    CHECK(page.str("/type") == "searchset");
    if (first)
      r.total = page.num("/total", -1);
    target = collect_page(r, page);
    first = false;
  }
  return r;
}

inline search_result search(http_client& c, const std::string& type, const param_list& params,
                            const header_list& headers = {}) {
  return search(c, type, query(params), headers);
}

inline id_set ids(std::initializer_list<std::string> l) { return id_set(l); }

// ---- the dataset --------------------------------------------------------------

inline const std::string mrn_system = "urn:oid:2.16.840.1.113883.19.5";
inline const std::string ssn_system = "http://example.org/ssn";
inline const std::string vip_profile = "http://example.org/fhir/StructureDefinition/vip-patient";
inline const std::string loinc = "http://loinc.org";
inline const std::string ucum = "http://unitsofmeasure.org";

struct patient_spec {
  std::string id;
  std::string family;
  std::string family_key; // the family as the server should normalize it (for sort checks)
  std::string given;
  std::string gender;     // "" = absent
  std::string birth;      // "" = absent; "YYYY", "YYYY-MM" or "YYYY-MM-DD"
  std::string city;
  std::string org;        // "" = no managingOrganization
  std::string id_system;  // identifier; both empty = none
  std::string id_value;
  std::string phone;      // "" = none
  std::string profile;    // meta.profile, "" = none
};

inline const std::vector<patient_spec>& patients() {
  static const std::vector<patient_spec> all = {
      {"pat-01", "Müller", "muller", "Hans", "male", "1980-05-17", "Berlin", "org-acme", mrn_system, "MRN-1001", "555-0101", ""},
      {"pat-02", "Mueller", "mueller", "Anna", "female", "1985", "München", "org-acme", mrn_system, "MRN-1002", "555-0102", ""},
      {"pat-03", "Muller", "muller", "Zoë", "female", "1980-05", "Paris", "org-beta", mrn_system, "MRN-1003", "", ""},
      {"pat-04", "Müllerová", "mullerova", "Jana", "female", "1992-11-02", "Praha", "org-beta", mrn_system, "MRN-1004", "", ""},
      {"pat-05", "Smith", "smith", "Zoe", "female", "1975-01-01", "London", "org-gamma", mrn_system, "MRN-1005", "555-0105", vip_profile},
      {"pat-06", "Smithson", "smithson", "John", "male", "1990-12-31", "London", "org-gamma", mrn_system, "MRN-1006", "", vip_profile},
      {"pat-07", "Smyth", "smyth", "Zoey", "other", "1989", "Dublin", "", mrn_system, "MRN-1007", "555-0107", "http://example.org/fhir/StructureDefinition/other"},
      {"pat-08", "O'Brien", "o brien", "Liam", "male", "2001-07-04", "Dublin", "org-acme", mrn_system, "MRN-1008", "", ""},
      {"pat-09", "García", "garcia", "José", "male", "1980-02-29", "Madrid", "org-beta", mrn_system, "MRN-1009", "", ""},
      {"pat-10", "Garcia", "garcia", "Maria", "female", "1980", "Madrid", "", mrn_system, "MRN-1010", "", ""},
      {"pat-11", "Núñez", "nunez", "Inés", "female", "1999-12-31", "Sevilla", "org-gamma", "", "X-77", "", ""},
      {"pat-12", "Nunez", "nunez", "Pablo", "male", "2000-01-01", "Sevilla", "org-gamma", "urn:other", "X-77", "", ""},
      {"pat-13", "Dubois", "dubois", "Chloé", "female", "1980-05-18", "Lyon", "org-beta", ssn_system, "SSN-13", "", ""},
      {"pat-14", "Østergård", "ostergard", "Søren", "male", "1965-06", "Aarhus", "", ssn_system, "SSN-14", "", ""},
      {"pat-15", "Schröder", "schroder", "Jürgen", "male", "1958", "Köln", "org-acme", ssn_system, "SSN-15", "", ""},
      {"pat-16", "Lefèvre", "lefevre", "Élodie", "female", "1994-03-15", "Nantes", "", ssn_system, "SSN-16", "", ""},
      {"pat-17", "Kowalski", "kowalski", "Łukasz", "male", "1987-08-08", "Kraków", "org-beta", ssn_system, "SSN-17", "", ""},
      {"pat-18", "Andersson", "andersson", "Åsa", "female", "", "Malmö", "", ssn_system, "SSN-18", "", ""},
      {"pat-19", "Brown", "brown", "Chris", "", "1995-05-05", "Leeds", "org-acme", ssn_system, "SSN-19", "", ""},
      {"pat-20", "Brown", "brown", "Alex", "unknown", "", "Leeds", "", ssn_system, "SSN-20", "", ""},
      {"pat-21", "Taylor", "taylor", "Sam", "other", "1980-12-31", "York", "", "", "", "", ""},
      {"pat-22", "Wilson", "wilson", "Emma", "female", "1979-12-31", "Bath", "", "urn:odd", "B", "", ""},
      {"pat-23", "Lee", "lee", "Min", "female", "1981-01-01", "Derby", "", "urn:odd", "A", "", ""},
      {"pat-24", "Smith, Jr", "smith jr", "Robert", "male", "1970-07-07", "Hull", "org-acme", "urn:odd", "A,B", "", ""},
      {"pat-25", "Zoellner", "zoellner", "Kurt", "male", "1962-10-10", "Graz", "", "", "", "", ""},
      {"pat-26", "Adams", "adams", "Grace", "female", "1983-04", "Cork", "org-beta", "", "", "", ""},
      {"pat-27", "Baker", "baker", "Noah", "male", "1988-09-09", "Cork", "", "", "", "", ""},
      {"pat-28", "Clark", "clark", "Ava", "female", "1991", "Bray", "", "", "", "", ""},
      {"pat-29", "Davis", "davis", "Ethan", "male", "1986-06-16", "Sligo", "org-gamma", "", "", "", ""},
      {"pat-30", "Evans", "evans", "Mia", "female", "1984-02-14", "Ennis", "", "", "", "", ""},
  };
  return all;
}

inline std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

inline std::string patient_json(const patient_spec& p) {
  std::string j = R"({"resourceType":"Patient","id":)" + quote(p.id);
  if (!p.profile.empty())
    j += R"(,"meta":{"profile":[)" + quote(p.profile) + "]}";
  if (!p.id_value.empty()) {
    j += R"(,"identifier":[{)";
    if (!p.id_system.empty())
      j += R"("system":)" + quote(p.id_system) + ",";
    j += R"("value":)" + quote(p.id_value) + "}]";
  }
  j += R"(,"active":true,"name":[{"family":)" + quote(p.family) + R"(,"given":[)" +
       quote(p.given) + "]}]";
  if (!p.phone.empty())
    j += R"(,"telecom":[{"system":"phone","value":)" + quote(p.phone) + R"(,"use":"home"}])";
  if (!p.gender.empty())
    j += R"(,"gender":)" + quote(p.gender);
  if (!p.birth.empty())
    j += R"(,"birthDate":)" + quote(p.birth);
  j += R"(,"address":[{"line":["1 Main St"],"city":)" + quote(p.city) + "}]";
  if (!p.org.empty())
    j += R"(,"managingOrganization":{"reference":"Organization/)" + p.org + R"("})";
  return j + "}";
}

struct org_spec {
  std::string id;
  std::string name;
  std::string part_of; // "" = none
};

inline const std::vector<org_spec>& organizations() {
  static const std::vector<org_spec> all = {
      {"org-acme", "Acme Health", ""},
      {"org-beta", "Beta Klinik", ""},
      {"org-gamma", "Gamma Care", "org-acme"},
  };
  return all;
}

inline std::string organization_json(const org_spec& o) {
  std::string j = R"({"resourceType":"Organization","id":)" + quote(o.id) +
                  R"(,"active":true,"name":)" + quote(o.name);
  if (!o.part_of.empty())
    j += R"(,"partOf":{"reference":"Organization/)" + o.part_of + R"("})";
  return j + "}";
}

struct observation_spec {
  std::string id;
  std::string subject;     // "pat-01" → Patient/pat-01; "" = none
  std::string code_system; // "" with code "" = text-only code
  std::string code;
  std::string display;
  std::optional<double> value;
  std::string value_text;  // the number as written in JSON
  std::string unit_system; // "" = no system
  std::string unit_code;   // "" = no code (unit only)
  std::string unit;
  std::string effective;   // effectiveDateTime
};

inline const std::vector<observation_spec>& observations() {
  static const std::string glucose = "Glucose [Mass/volume] in Blood";
  static const std::vector<observation_spec> all = {
      {"obs-01", "pat-01", loinc, "2339-0", glucose, 100, "100", ucum, "mg/dL", "mg/dL", "2021-01-01T08:00:00Z"},
      {"obs-02", "pat-01", loinc, "8867-4", "Heart rate", 72, "72", ucum, "/min", "beats/minute", "2021-01-01T08:05:00Z"},
      {"obs-03", "pat-02", loinc, "2339-0", glucose, 100.4, "100.4", ucum, "mg/dL", "mg/dL", "2021-02-01"},
      {"obs-04", "pat-02", loinc, "29463-7", "Body weight", 70.5, "70.5", ucum, "kg", "kg", "2021-02-01"},
      {"obs-05", "pat-03", loinc, "2339-0", glucose, 99, "99", ucum, "mg/dL", "mg/dL", "2021-03-01T10:00:00Z"},
      {"obs-06", "pat-03", loinc, "8867-4", "Heart rate", 80, "80", ucum, "/min", "beats/minute", "2021-03-01T10:00:00Z"},
      {"obs-07", "pat-04", loinc, "2339-0", glucose, 150, "150", ucum, "mg/dL", "mg/dL", "2021-04-01"},
      {"obs-08", "pat-05", loinc, "29463-7", "Body weight", 80, "80", ucum, "kg", "kg", "2021-05-01"},
      {"obs-09", "pat-05", loinc, "8310-5", "Body temperature", 37, "37", ucum, "Cel", "C", "2021-05-01"},
      {"obs-10", "pat-06", loinc, "2339-0", glucose, 101, "101", ucum, "mg/dL", "mg/dL", "2021-06-01"},
      {"obs-11", "pat-08", loinc, "8867-4", "Heart rate", 65, "65", ucum, "/min", "beats/minute", "2021-07-01"},
      {"obs-12", "pat-09", loinc, "2339-0", glucose, 100, "100", ucum, "mg", "mg", "2021-08-01"},
      {"obs-13", "pat-09", loinc, "29463-7", "Body weight", 100, "100", ucum, "[lb_av]", "lb", "2021-08-01"},
      {"obs-14", "", loinc, "2339-0", glucose, 120, "120", ucum, "mg/dL", "mg/dL", "2021-09-01"},
      {"obs-15", "pat-12", loinc, "8310-5", "Body temperature", 36.6, "36.6", ucum, "Cel", "C", "2021-10-01"},
      {"obs-16", "pat-01", "http://acme.local/codes", "2339-0", "Local glucose", 5.5, "5.5", ucum, "mmol/L", "mmol/L", "2021-11-01"},
      {"obs-17", "pat-14", "", "", "Free text observation", std::nullopt, "", "", "", "", "2021-12-01"},
      {"obs-18", "pat-15", loinc, "8867-4", "Heart rate", 90, "90", ucum, "/min", "beats/minute", "2022-01-01"},
      {"obs-19", "pat-24", loinc, "2339-0", glucose, 85, "85", ucum, "mg/dL", "mg/dL", "2022-02-01"},
      {"obs-20", "pat-25", loinc, "29463-7", "Body weight", 95.2, "95.2", "", "", "kg", "2022-03-01"},
  };
  return all;
}

inline std::string observation_json(const observation_spec& o) {
  std::string j = R"({"resourceType":"Observation","id":)" + quote(o.id) + R"(,"status":"final")";
  if (o.code.empty()) {
    j += R"(,"code":{"text":)" + quote(o.display) + "}";
  } else {
    j += R"(,"code":{"coding":[{"system":)" + quote(o.code_system) + R"(,"code":)" +
         quote(o.code) + R"(,"display":)" + quote(o.display) + "}]}";
  }
  if (!o.subject.empty())
    j += R"(,"subject":{"reference":"Patient/)" + o.subject + R"("})";
  j += R"(,"effectiveDateTime":)" + quote(o.effective);
  if (o.value) {
    j += R"(,"valueQuantity":{"value":)" + o.value_text + R"(,"unit":)" + quote(o.unit);
    if (!o.unit_system.empty())
      j += R"(,"system":)" + quote(o.unit_system);
    if (!o.unit_code.empty())
      j += R"(,"code":)" + quote(o.unit_code);
    j += "}";
  } else {
    j += R"(,"valueString":"see text")";
  }
  return j + "}";
}

struct encounter_spec {
  std::string id;
  std::string subject;
  std::string start; // "" = open
  std::string end;   // "" = open
  bool has_period = true;
};

inline const std::vector<encounter_spec>& encounters() {
  static const std::vector<encounter_spec> all = {
      {"enc-1", "pat-01", "2020-01-10T08:00:00Z", "2020-01-12T10:00:00Z"},
      {"enc-2", "pat-02", "2020-01-15T09:00:00Z", ""},
      {"enc-3", "pat-03", "", "2019-12-31T18:00:00Z"},
      {"enc-4", "pat-04", "2021-03-01", "2021-03-01"},
      {"enc-5", "pat-05", "2020-01-20T10:00:00Z", "2020-01-20T11:00:00Z"},
      {"enc-6", "pat-06", "", "", false},
  };
  return all;
}

inline std::string encounter_json(const encounter_spec& e) {
  std::string j = R"({"resourceType":"Encounter","id":)" + quote(e.id) +
                  R"(,"status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"})" +
                  R"(,"subject":{"reference":"Patient/)" + e.subject + R"("})";
  if (e.has_period) {
    j += R"(,"period":{)";
    bool first = true;
    if (!e.start.empty()) {
      j += R"("start":)" + quote(e.start);
      first = false;
    }
    if (!e.end.empty())
      j += std::string{first ? "" : ","} + R"("end":)" + quote(e.end);
    j += "}";
  }
  return j + "}";
}

/// PUTs a resource with a client-chosen id; it must be created (201) or
/// updated (200).
inline void put(http_client& c, const std::string& type, const std::string& id,
                const std::string& body) {
  auto res = c.put(base + "/" + type + "/" + id, body);
  INFO(type << "/" << id << " -> " << res.status << " " << res.body);
  REQUIRE((res.status == 201 || res.status == 200));
}

/// Writes the whole dataset: organizations first, then what refers to them.
inline void load(http_client& c) {
  for (auto& o : organizations())
    put(c, "Organization", o.id, organization_json(o));
  for (auto& p : patients())
    put(c, "Patient", p.id, patient_json(p));
  for (auto& o : observations())
    put(c, "Observation", o.id, observation_json(o));
  for (auto& e : encounters())
    put(c, "Encounter", e.id, encounter_json(e));
}

/// Ids of the patients that satisfy pred.
template <class Pred>
id_set patients_where(Pred pred) {
  id_set out;
  for (auto& p : patients())
    if (pred(p))
      out.insert(p.id);
  return out;
}

template <class Pred>
id_set observations_where(Pred pred) {
  id_set out;
  for (auto& o : observations())
    if (pred(o))
      out.insert(o.id);
  return out;
}

inline const patient_spec& patient(const std::string& id) {
  for (auto& p : patients())
    if (p.id == id)
      return p;
  FAIL("no patient " << id);
  throw; // unreachable
}

// ---- a date oracle at day precision ---------------------------------------------

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
inline std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// The inclusive day range of "YYYY", "YYYY-MM" or "YYYY-MM-DD".
inline std::pair<std::int64_t, std::int64_t> day_range(const std::string& d) {
  int y = std::stoi(d.substr(0, 4));
  if (d.size() == 4)
    return {days_from_civil(y, 1, 1), days_from_civil(y + 1, 1, 1) - 1};
  unsigned m = static_cast<unsigned>(std::stoi(d.substr(5, 2)));
  if (d.size() == 7) {
    auto next = m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
    return {days_from_civil(y, m, 1), next - 1};
  }
  unsigned day = static_cast<unsigned>(std::stoi(d.substr(8, 2)));
  auto x = days_from_civil(y, m, day);
  return {x, x};
}

/// FHIR R4 §3.1.1.4.2 prefix semantics for a target range against a search
/// range (eq, ne, gt, lt, ge, le, sa, eb; ap is left to the tests).
inline bool date_matches(std::string_view prefix, std::pair<std::int64_t, std::int64_t> target,
                         std::pair<std::int64_t, std::int64_t> search) {
  auto [ts, te] = target;
  auto [ss, se] = search;
  bool contained = ts >= ss && te <= se;
  if (prefix == "eq") return contained;
  if (prefix == "ne") return !contained;
  if (prefix == "gt") return te > se;
  if (prefix == "lt") return ts < ss;
  if (prefix == "ge") return te > se || contained;
  if (prefix == "le") return ts < ss || contained;
  if (prefix == "sa") return ts > se;
  if (prefix == "eb") return te < ss;
  FAIL("prefix " << prefix);
  return false;
}

/// Patients whose birthDate satisfies prefix+value per the oracle.
inline id_set birthdate_oracle(std::string_view prefix, const std::string& value) {
  return patients_where([&](const patient_spec& p) {
    return !p.birth.empty() && date_matches(prefix, day_range(p.birth), day_range(value));
  });
}

} // namespace e2e::search_data

namespace e2e::search_data {

/// A node with the dataset loaded. Each test file keeps one of its own in a
/// function-local static inside an anonymous namespace, so files never see
/// each other's writes.
struct loaded_node {
  node n;
  loaded_node() {
    auto c = n.client();
    load(*c);
  }
};

} // namespace e2e::search_data

namespace {

/// The node of the test file that includes this header: being in an
/// anonymous namespace, each file gets its own instance of the template, and
/// so a node of its own, and files never see each other's writes. Files with
/// more data pass their own node type (deriving from loaded_node, or not).
template <class Node = e2e::search_data::loaded_node>
Node& fixture() {
  static Node node;
  return node;
}

} // namespace

namespace e2e::search_data {

/// Searches every page and checks what every search must satisfy: 200 and
/// no match listed twice; with `quiet`, also no OperationOutcome entry.
inline search_result checked_search(http_client& c, const std::string& type,
                                    const param_list& params, bool quiet = true) {
  auto q = query(params);
  INFO("GET " << type << "?" << q);
  auto r = search(c, type, q);
  INFO("first page: " << r.first_body.substr(0, 3000));
  REQUIRE(r.status == 200);
  CHECK(r.unique());
  if (quiet)
    CHECK(r.outcomes.empty());
  return r;
}

inline id_set all_patients() {
  return patients_where([](auto&) { return true; });
}

} // namespace e2e::search_data
