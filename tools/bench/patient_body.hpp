// Synthetic Patient resources for the create scenario.
#pragma once

#include <cstdint>
#include <string>

namespace atrium::bench {

/// Returns a small (~600 byte) FHIR R4 Patient in JSON. Every field that a
/// server might index or hash (identifier, name, birthDate, address, telecom)
/// varies with `sequence`, so a create benchmark cannot profit from repeated
/// identical bodies. `salt` separates connections that share a sequence.
std::string make_patient_body(std::uint64_t sequence, std::uint64_t salt);

/// A Binary resource carrying `content` base64-encoded (application/fhir+json):
/// as many bytes to store as the Patient, without its search values.
std::string make_binary_body(const std::string& content);

/// splitmix64: a cheap, well-mixed hash, so that consecutive numbers pick
/// unrelated fields. Shared by the generated bodies here and in dataset.cpp.
std::uint64_t mix(std::uint64_t x);

} // namespace atrium::bench
