#include "protocols/fhir/ids.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <random>

namespace atrium::fhir {

namespace {

/// The characters of [A-Za-z0-9\-.], as a table: every request naming a
/// resource checks its id, a byte at a time.
constexpr std::array<bool, 256> id_chars = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c)
    table[c] = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.';
  return table;
}();

} // namespace

bool is_valid_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!id_chars[static_cast<unsigned char>(c)]) return false;
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
  // Time-ordered (RFC 9562 version 7): 48 bits of Unix milliseconds, then 12
  // bits of the fraction of that millisecond, then 62 random bits. Ids drawn
  // later sort later, so a new resource's keys (current version, history,
  // manifest, and each index entry within its value) land at the end of
  // their range, next to the keys written just before them: memtable inserts
  // walk cached nodes instead of missing the cache at every step, and the
  // resource columns' new files do not overlap the old ones, so compaction
  // moves them instead of rewriting them.
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto micros = static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count());
  const std::uint64_t millis = micros / 1000;
  const std::uint64_t fraction = (micros % 1000) * 4096 / 1000; // 12 bits
  const std::uint64_t random = id_generator()();

  std::array<std::uint8_t, 16> bytes{};
  for (int i = 0; i < 6; ++i)
    bytes[i] = static_cast<std::uint8_t>(millis >> (8 * (5 - i)));
  bytes[6] = static_cast<std::uint8_t>(0x70 | (fraction >> 8)); // version 7
  bytes[7] = static_cast<std::uint8_t>(fraction);
  for (int i = 8; i < 16; ++i)
    bytes[i] = static_cast<std::uint8_t>(random >> (8 * (i - 8)));
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant

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
