#include "storage/resource_record.hpp"

#include "storage/keyspace.hpp"

namespace atrium::storage {
namespace {

// A leading format byte lets a later layout coexist with stored version 1
// records; decoding refuses what it does not know rather than guess.
constexpr char format_v1 = 1;
constexpr std::size_t header_len = 1 + 1 + 8 + 8;

bool known_kind(unsigned char k) {
  return k >= static_cast<unsigned char>(record_kind::create) &&
         k <= static_cast<unsigned char>(record_kind::erase);
}

} // namespace

std::string encode_record(const resource_record& r) {
  std::string out;
  out.reserve(header_len + r.json.size());
  out.push_back(format_v1);
  out.push_back(static_cast<char>(r.kind));
  keys::append_u64(out, r.version);
  // A value, not a key: plain two's complement, no sign flip needed.
  keys::append_u64(out, static_cast<std::uint64_t>(r.last_updated_micros));
  out.append(r.json);
  return out;
}

std::optional<record_header> decode_record_header(std::string_view bytes) {
  if (bytes.size() < header_len || bytes[0] != format_v1) return std::nullopt;
  const auto kind = static_cast<unsigned char>(bytes[1]);
  if (!known_kind(kind)) return std::nullopt;
  return record_header{static_cast<record_kind>(kind), keys::read_u64(bytes.data() + 2),
                       static_cast<std::int64_t>(keys::read_u64(bytes.data() + 10))};
}

std::optional<resource_record> decode_record(std::string_view bytes) {
  auto h = decode_record_header(bytes);
  if (!h) return std::nullopt;
  resource_record r;
  r.kind = h->kind;
  r.version = h->version;
  r.last_updated_micros = h->last_updated_micros;
  r.json.assign(bytes.substr(header_len));
  return r;
}

std::string_view record_json(std::string_view bytes) {
  return bytes.size() < header_len ? std::string_view{} : bytes.substr(header_len);
}

} // namespace atrium::storage
