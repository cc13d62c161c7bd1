// Synthea-shaped Bundles for the transaction and batch scenarios: a new
// Patient and its encounters with conditions, observations, procedures,
// medication requests and immunizations, linked by urn:uuid fullUrls, and
// referring to practitioners, organizations and locations by conditional
// references (`Practitioner?identifier=…`), as Synthea's own bundles do.
#pragma once

#include <cstdint>
#include <string>

namespace atrium::bench {

/// How many practitioners, organizations and locations the fixtures hold.
inline constexpr int fixture_count = 20;

/// A transaction Bundle that PUTs the practitioners, organizations and
/// locations the conditional references point at (idempotent).
std::string make_fixtures_bundle();

/// A Bundle of `type` ("transaction" or "batch") with `entries` entries.
/// In a batch, entries cannot refer to each other, so its references name
/// the Patient by the id the same generator would give it; the bytes stored
/// are alike. Every Bundle differs with `sequence` and `salt`.
std::string make_synthea_bundle(const char* type, int entries, std::uint64_t sequence,
                                std::uint64_t salt);

} // namespace atrium::bench
