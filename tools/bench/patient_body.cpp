#include "patient_body.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <string_view>

namespace atrium::bench {

namespace {

// Small fixed pools; the combinations, plus the sequence number in the
// identifier and phone number, make every body distinct.
constexpr std::array<std::string_view, 8> family_names{
  "Okafor", "Lindqvist", "Moreau", "Tanaka",
  "Schmidt", "Alvarez", "Nowak", "Haddad"};
constexpr std::array<std::string_view, 8> given_names{
  "Amara", "Jonas", "Camille", "Hiro", "Greta", "Mateo", "Zofia", "Rami"};
constexpr std::array<std::string_view, 6> cities{
  "Springfield", "Riverton", "Lakeside", "Fairview", "Greenville", "Milton"};
constexpr std::array<std::string_view, 6> streets{
  "Main Street", "Oak Avenue", "Elm Road", "Harbor Lane", "Mill Way",
  "Station Square"};

template <std::size_t N>
std::string_view pick(const std::array<std::string_view, N>& pool,
                      std::uint64_t h) {
  return pool[h % N];
}

} // namespace

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string make_patient_body(std::uint64_t sequence, std::uint64_t salt) {
  const auto h = mix(sequence ^ (salt << 40));
  const auto family = pick(family_names, h);
  const auto given = pick(given_names, h >> 8);
  const auto city = pick(cities, h >> 16);
  const auto street = pick(streets, h >> 24);
  const bool female = ((h >> 32) & 1) != 0;
  const int year = 1930 + static_cast<int>((h >> 33) % 90);
  const int month = 1 + static_cast<int>((h >> 40) % 12);
  const int day = 1 + static_cast<int>((h >> 44) % 28);
  const int house = 1 + static_cast<int>((h >> 49) % 400);
  const int postal = 10000 + static_cast<int>((h >> 20) % 89999);
  const auto mrn = static_cast<unsigned long long>(salt * 1'000'000'000ULL
                                                   + sequence);

  // snprintf into a fixed buffer: the body is bounded (well under 1 KiB), and
  // this keeps the generator's own cost per request small next to the server's.
  char buf[1024];
  const int n = std::snprintf(
    buf, sizeof buf,
    R"({"resourceType":"Patient",)"
    R"("identifier":[{"use":"usual","type":{"coding":[{"system":)"
    R"("http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}]},)"
    R"("system":"urn:oid:1.2.36.146.595.217.0.1","value":"MRN-%012llu"}],)"
    R"("active":true,)"
    R"("name":[{"use":"official","family":"%.*s","given":["%.*s","%c."]}],)"
    R"("telecom":[{"system":"phone","value":"+1-555-%03d-%04d","use":"home"},)"
    R"({"system":"email","value":"%.*s.%.*s.%llu@example.org"}],)"
    R"("gender":"%s","birthDate":"%04d-%02d-%02d",)"
    R"("address":[{"use":"home","line":["%d %.*s"],"city":"%.*s",)"
    R"("postalCode":"%05d","country":"US"}]})",
    mrn,
    static_cast<int>(family.size()), family.data(),
    static_cast<int>(given.size()), given.data(),
    static_cast<char>('A' + (h >> 52) % 26),
    static_cast<int>((h >> 12) % 1000), static_cast<int>(sequence % 10000),
    static_cast<int>(given.size()), given.data(),
    static_cast<int>(family.size()), family.data(), mrn,
    female ? "female" : "male", year, month, day,
    house, static_cast<int>(street.size()), street.data(),
    static_cast<int>(city.size()), city.data(), postal);
  // The fields are bounded, so truncation cannot happen; clamp regardless.
  const auto len = n < 0 ? 0 : std::min<std::size_t>(n, sizeof buf - 1);
  return std::string(buf, len);
}

std::string make_binary_body(const std::string& content) {
  static constexpr char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = R"({"resourceType":"Binary","contentType":"application/fhir+json","data":")";
  std::size_t i = 0;
  for (; i + 2 < content.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(content[i]) << 16) |
                       (static_cast<unsigned char>(content[i + 1]) << 8) |
                       static_cast<unsigned char>(content[i + 2]);
    for (int shift : {18, 12, 6, 0})
      out.push_back(alphabet[(v >> shift) & 63]);
  }
  if (i < content.size()) {
    unsigned v = static_cast<unsigned char>(content[i]) << 16;
    if (i + 1 < content.size())
      v |= static_cast<unsigned char>(content[i + 1]) << 8;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < content.size() ? alphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out + "\"}";
}

} // namespace atrium::bench
