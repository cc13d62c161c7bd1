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
  // Time-ordered: 44 bits of Unix milliseconds (until the year 2527), then
  // 12 bits of the fraction of that millisecond, then 64 random bits. Ids
  // drawn later sort later, so a new resource's keys (current version,
  // history, manifest, and each index entry within its value) land at the
  // end of their range, next to the keys written just before them: memtable
  // inserts walk cached nodes instead of missing the cache at every step,
  // and the resource columns' new files do not overlap the old ones, so
  // compaction moves them instead of rewriting them.
  //
  // The 120 bits are written in base32hex (RFC 4648 section 7: 0-9a-v, whose
  // order is the bits' order), 24 characters. An id is in every key of its
  // resource, at the end of each of its dozen index entries, and in every
  // reference to it; version 7 UUIDs (36 characters, used before) made the
  // index a quarter larger (tools/bench/README.md). Lowercase only, so that
  // systems that fold case (file systems, SQL collations) keep ids apart.
  // Those UUIDs began with '0' and these begin with '3' until 2039: ids made
  // now still sort after the ones stored before (reindex_job.hpp until_id).
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto micros = static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count());
  const std::uint64_t millis = (micros / 1000) & ((std::uint64_t{1} << 44) - 1);
  const std::uint64_t fraction = (micros % 1000) * 4096 / 1000; // 12 bits
  const std::uint64_t high = millis << 12 | fraction;          // 56 bits
  const std::uint64_t low = id_generator()();                   // 64 bits

  static constexpr char digits[] = "0123456789abcdefghijklmnopqrstuv";
  std::string out(24, '0');
  // 120 bits, five at a time from the last: 12 characters from `low`'s 60
  // low bits, one from its top 4 and high's lowest bit, 11 from high's rest.
  std::uint64_t rest = low;
  for (int i = 23; i >= 12; --i, rest >>= 5)
    out[i] = digits[rest & 31];
  out[11] = digits[(rest & 15) | (high & 1) << 4];
  rest = high >> 1;
  for (int i = 10; i >= 0; --i, rest >>= 5)
    out[i] = digits[rest & 31];
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
