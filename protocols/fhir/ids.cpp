#include "protocols/fhir/ids.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <random>

namespace atrium::fhir {

bool is_valid_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

namespace {

std::mt19937_64& id_generator() {
  // One generator per thread avoids a lock; seeding from several
  // random_device words keeps threads from sharing a sequence.
  thread_local std::mt19937_64 generator = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(),
                       device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  return generator;
}

} // namespace

std::string new_resource_id() {
  std::array<std::uint8_t, 16> bytes{};
  auto& generator = id_generator();
  for (int half = 0; half < 2; ++half) {
    std::uint64_t word = generator();
    for (int i = 0; i < 8; ++i) bytes[half * 8 + i] = static_cast<std::uint8_t>(word >> (8 * i));
  }
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40); // version 4
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant

  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(hex[bytes[i] >> 4]);
    out.push_back(hex[bytes[i] & 0xF]);
  }
  return out;
}

std::optional<std::uint64_t> parse_version_etag(std::string_view v) {
  if (v.starts_with("W/"))
    v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
    v = v.substr(1, v.size() - 2);
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || p != v.data() + v.size() || n == 0)
    return std::nullopt;
  return n;
}

} // namespace atrium::fhir
