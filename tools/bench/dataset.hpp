// The synthetic clinical dataset behind the `load` and search scenarios.
//
// Everything is a pure function of (seed, patient number), so the loader can
// PUT resources under ids it chooses and the search scenarios know, without
// asking the server, which values exist and how selective they are:
//
//   per patient i (18 resources; i is printed as %06llu):
//     Patient/p-i          identifier urn:bench:mrn|MRN-i (unique), one family
//                          name from 20 common ones, or a rare one (below)
//     Encounter/e-i-j      j = 0..2, subject Patient/p-i
//     Observation/o-i-kk   k = 0..11, subject Patient/p-i, encounter e-i-(k/4),
//                          a vital-sign LOINC code (8 common ones),
//                          valueQuantity, effectiveDateTime in year 2013 + k:
//                          so each patient has exactly one per year 2013..2024
//     Condition/c-i-j      j = 0..1, a SNOMED code, subject, onsetDateTime
//
//   rare values (fixed by i, so a query can aim at them):
//     i % 1000 == 500  the family name is one of 25 rare names, so about one
//                      patient in 25,000 shares it (2 per name at 56k patients)
//     i % 500 == 250   Observation o-i-00 has one of 10 rare lab LOINC codes
//                      instead, so about one patient in 5,000 has a given one
#pragma once

#include "load_scenario.hpp"

#include <cstdint>
#include <string>

namespace atrium::bench {

inline constexpr std::uint64_t resources_per_patient = 18;

struct dataset {
  std::uint64_t patients = 0;
  std::uint64_t seed = 1;
  std::uint64_t resources() const { return patients * resources_per_patient; }
};

/// One PUT of the load: `path` is relative to the FHIR base ("/Patient/p-000001").
struct resource_put {
  std::string path;
  std::string body;
};

/// The resource number `index` in [0, d.resources()): patient index / 18,
/// Patient first, then its Encounters, Observations and Conditions.
resource_put dataset_resource(const dataset& d, std::uint64_t index);

/// The smallest patient count the search scenarios accept: below it a rare
/// value may have no patient at all.
inline constexpr std::uint64_t min_search_patients = 1000;

/// A search for `kind` (one of the search scenarios), relative to the FHIR
/// base and with `_count=10`, aimed by `random` at values that exist, so
/// every answer has at least one match.
std::string search_query(const dataset& d, scenario_kind kind, std::uint64_t random);

} // namespace atrium::bench
