#include "storage/index_keys.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace atrium::storage::index {

namespace {

constexpr std::size_t prefix_size = 4 + 2 + 8 + 1;

std::string with_prefix(service_id svc, type_id type, param_id param, kind k,
                        std::size_t extra) {
  std::string key;
  key.reserve(prefix_size + extra);
  keys::append_u32(key, svc);
  keys::append_u16(key, type);
  keys::append_u64(key, param);
  key.push_back(static_cast<char>(k));
  return key;
}

std::string terminated(std::string key, std::string_view part) {
  key.append(part);
  key.push_back('\0');
  return key;
}

kind kind_of(std::string_view key) { return static_cast<kind>(key[prefix_size - 1]); }

} // namespace

param_id param_id_of(std::string_view url) noexcept {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : url) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

param_id remembered_param_id(std::string_view name) {
  struct slot {
    std::string name;
    param_id id = 0;
  };
  thread_local std::array<slot, 128> slots;
  const auto address = reinterpret_cast<std::uintptr_t>(name.data());
  auto& s = slots[(address >> 3) * 0x9E3779B97F4A7C15ull >> 57];
  if (s.name != name) { // checked by content: another name may live at the address now
    s.name.assign(name);
    s.id = param_id_of(name);
  }
  return s.id;
}

std::string prefix(service_id svc, type_id type, param_id param, kind k) {
  return with_prefix(svc, type, param, k, 0);
}

std::string param_prefix(service_id svc, type_id type, param_id param) {
  auto key = with_prefix(svc, type, param, kind::string, 0);
  key.pop_back();
  return key;
}

void append_double(std::string& out, double v) {
  if (v == 0)
    v = 0; // -0.0 and 0.0 are one value
  auto bits = std::bit_cast<std::uint64_t>(v);
  // Positive: flip the sign bit; negative: flip all bits. Byte order then
  // equals numeric order.
  bits = (bits & (1ull << 63)) ? ~bits : bits | (1ull << 63);
  keys::append_u64(out, bits);
}

double read_double(const char* p) {
  auto bits = keys::read_u64(p);
  bits = (bits & (1ull << 63)) ? bits & ~(1ull << 63) : ~bits;
  return std::bit_cast<double>(bits);
}

std::string string_entry(service_id s, type_id t, param_id p, std::string_view normalized,
                         std::uint8_t part, std::string_view id) {
  auto key = terminated(with_prefix(s, t, p, kind::string, normalized.size() + id.size() + 2),
                        normalized);
  // Below 0x20, so it cannot be taken for the first character of an id.
  if (part != 0 && part < 0x20) key.push_back(static_cast<char>(part));
  key.append(id);
  return key; // not `return key.append(id)`: that copies (a reference is returned)
}

std::uint8_t entry_part(std::string_view key) {
  auto nul = key.rfind('\0');
  if (nul == std::string_view::npos || nul + 1 >= key.size()) return 0;
  auto c = static_cast<std::uint8_t>(key[nul + 1]);
  return c < 0x20 ? c : 0;
}

std::string token_code_entry(service_id s, type_id t, param_id p, std::string_view code,
                             std::string_view system, std::uint8_t part, std::string_view id) {
  auto key = terminated(
    with_prefix(s, t, p, kind::token_code, code.size() + system.size() + 3 + id.size()), code);
  key = terminated(std::move(key), system);
  if (part != 0 && part < 0x20) key.push_back(static_cast<char>(part));
  key.append(id);
  return key;
}

std::string identifier_type_entry(service_id s, type_id t, param_id p, std::string_view value,
                                  std::string_view type_code, std::string_view type_system,
                                  std::string_view id) {
  auto key = with_prefix(s, t, p, kind::identifier_type,
                         value.size() + type_code.size() + type_system.size() + 3 + id.size());
  key = terminated(terminated(terminated(std::move(key), value), type_code), type_system);
  key.append(id);
  return key;
}

std::string reference_identifier_entry(service_id s, type_id t, param_id p,
                                       std::string_view value, std::string_view system,
                                       std::string_view id) {
  auto key = with_prefix(s, t, p, kind::reference_identifier,
                         value.size() + system.size() + 2 + id.size());
  key = terminated(terminated(std::move(key), value), system);
  key.append(id);
  return key;
}

std::string token_text_entry(service_id s, type_id t, param_id p, std::string_view normalized,
                             std::string_view id) {
  auto key =
    terminated(with_prefix(s, t, p, kind::token_text, normalized.size() + 1 + id.size()), normalized);
  key.append(id);
  return key;
}

std::string date_start_entry(service_id s, type_id t, param_id p, std::int64_t start,
                             std::int64_t end, std::string_view id) {
  auto key = with_prefix(s, t, p, kind::date_start, 16 + id.size());
  keys::append_i64(key, start);
  keys::append_i64(key, end);
  key.append(id);
  return key;
}

std::string date_end_entry(service_id s, type_id t, param_id p, std::int64_t start,
                           std::int64_t end, std::string_view id) {
  auto key = with_prefix(s, t, p, kind::date_end, 16 + id.size());
  keys::append_i64(key, end);
  keys::append_i64(key, start);
  key.append(id);
  return key;
}

std::string number_entry(service_id s, type_id t, param_id p, double v, std::string_view id) {
  auto key = with_prefix(s, t, p, kind::number, 8 + id.size());
  append_double(key, v);
  key.append(id);
  return key;
}

std::string quantity_entry(service_id s, type_id t, param_id p, std::string_view system,
                           std::string_view code, double v, std::string_view id) {
  auto key = terminated(
    with_prefix(s, t, p, kind::quantity, system.size() + code.size() + 10 + id.size()), system);
  key = terminated(std::move(key), code);
  append_double(key, v);
  key.append(id);
  return key;
}

std::string quantity_value_entry(service_id s, type_id t, param_id p, double v,
                                 std::string_view id) {
  auto key = with_prefix(s, t, p, kind::quantity_value, 8 + id.size());
  append_double(key, v);
  key.append(id);
  return key;
}

std::string reference_entry(service_id s, type_id t, param_id p, std::string_view target,
                            std::string_view id) {
  auto key =
    terminated(with_prefix(s, t, p, kind::reference, target.size() + 1 + id.size()), target);
  key.append(id);
  return key;
}

std::string uri_entry(service_id s, type_id t, param_id p, std::string_view uri,
                      std::string_view id) {
  auto key = terminated(with_prefix(s, t, p, kind::uri, uri.size() + 1 + id.size()), uri);
  key.append(id);
  return key;
}

std::string composite_entry(service_id svc, type_id type, param_id param,
                            std::string_view parts, std::string_view id) {
  auto key = with_prefix(svc, type, param, kind::composite, parts.size() + id.size() + 1);
  key.append(parts);
  key.append(id);
  key.push_back(static_cast<char>(static_cast<unsigned char>(id.size()))); // ids are ≤ 64
  return key;
}

void composite_parts::text(std::string_view s) {
  bytes.append(s);
  bytes.push_back('\0');
}

void composite_parts::number(double v) { append_double(bytes, v); }

void composite_parts::instant(std::int64_t v) { keys::append_i64(bytes, v); }

composite_reader::composite_reader(std::string_view key) {
  if (key.size() <= prefix_size + 1)
    return;
  auto id_size = static_cast<unsigned char>(key.back());
  auto body = key.substr(prefix_size, key.size() - prefix_size - 1);
  if (id_size <= body.size())
    rest_ = body.substr(0, body.size() - id_size);
}

std::optional<std::string_view> composite_reader::text() {
  auto nul = rest_.find('\0');
  if (nul == std::string_view::npos)
    return std::nullopt;
  auto out = rest_.substr(0, nul);
  rest_.remove_prefix(nul + 1);
  return out;
}

std::optional<double> composite_reader::number() {
  if (rest_.size() < 8)
    return std::nullopt;
  auto v = read_double(rest_.data());
  rest_.remove_prefix(8);
  return v;
}

std::optional<std::int64_t> composite_reader::instant() {
  if (rest_.size() < 8)
    return std::nullopt;
  auto v = keys::read_i64(rest_.data());
  rest_.remove_prefix(8);
  return v;
}

std::optional<std::string_view> entry_id(std::string_view key) {
  if (key.size() <= prefix_size)
    return std::nullopt;
  auto body = key.substr(prefix_size);
  auto after_nul = [&]() -> std::optional<std::string_view> {
    auto nul = body.rfind('\0');
    if (nul == std::string_view::npos || nul + 1 >= body.size())
      return std::nullopt;
    return body.substr(nul + 1);
  };
  auto after_fixed = [&](std::size_t n) -> std::optional<std::string_view> {
    if (body.size() <= n)
      return std::nullopt;
    return body.substr(n);
  };
  switch (kind_of(key)) {
    case kind::string:
    case kind::token_code: { // after an optional part tag
      auto id = after_nul();
      if (id && static_cast<std::uint8_t>(id->front()) < 0x20) id->remove_prefix(1);
      return id && !id->empty() ? id : std::nullopt;
    }
    case kind::token_text:
    case kind::reference:
    case kind::uri:
    case kind::identifier_type:
    case kind::reference_identifier:
      return after_nul();
    case kind::date_start:
    case kind::date_end:
      return after_fixed(16);
    case kind::number:
    case kind::quantity_value:
      return after_fixed(8);
    case kind::quantity: {
      auto first = body.find('\0');
      auto second = first == std::string_view::npos ? first : body.find('\0', first + 1);
      if (second == std::string_view::npos || body.size() <= second + 1 + 8)
        return std::nullopt;
      return body.substr(second + 1 + 8);
    }
    case kind::composite: {
      auto id_size = static_cast<unsigned char>(body.back());
      if (id_size == 0 || body.size() < 1u + id_size)
        return std::nullopt;
      return body.substr(body.size() - 1 - id_size, id_size);
    }
  }
  return std::nullopt;
}

std::optional<std::pair<std::string_view, std::string_view>> entry_pair(std::string_view key) {
  if (key.size() <= prefix_size)
    return std::nullopt;
  auto body = key.substr(prefix_size);
  auto first = body.find('\0');
  auto second = first == std::string_view::npos ? first : body.find('\0', first + 1);
  if (second == std::string_view::npos)
    return std::nullopt;
  return std::pair{body.substr(0, first), body.substr(first + 1, second - first - 1)};
}

std::optional<date_range> entry_dates(std::string_view key) {
  if (key.size() < prefix_size + 16)
    return std::nullopt;
  auto p = key.data() + prefix_size;
  if (kind_of(key) == kind::date_start)
    return date_range{keys::read_i64(p), keys::read_i64(p + 8)};
  if (kind_of(key) == kind::date_end)
    return date_range{keys::read_i64(p + 8), keys::read_i64(p)};
  return std::nullopt;
}

std::optional<double> entry_number(std::string_view key) {
  if (key.size() < prefix_size + 8)
    return std::nullopt;
  switch (kind_of(key)) {
    case kind::number:
    case kind::quantity_value:
      return read_double(key.data() + prefix_size);
    case kind::quantity: {
      auto body = key.substr(prefix_size);
      auto first = body.find('\0');
      auto second = first == std::string_view::npos ? first : body.find('\0', first + 1);
      if (second == std::string_view::npos || body.size() < second + 1 + 8)
        return std::nullopt;
      return read_double(body.data() + second + 1);
    }
    default:
      return std::nullopt;
  }
}

std::optional<std::string_view> entry_target(std::string_view key) {
  if (key.size() <= prefix_size)
    return std::nullopt;
  auto body = key.substr(prefix_size);
  if (kind_of(key) == kind::reference) {
    auto nul = body.rfind('\0');
    if (nul == std::string_view::npos || nul == 0)
      return std::nullopt;
    return body.substr(0, nul);
  }
  return std::nullopt;
}

std::string manifest_key(service_id svc, type_id type, std::string_view id) {
  return keys::resource(svc, type, id);
}

namespace {

/// The first byte of a manifest in the compact layout. A manifest of the
/// first layout starts with the high byte of its first key's length: 0xFE
/// only when that key is 65,024 bytes or longer, and such a manifest, which
/// does not decode as compact, is read in the first layout (decode_manifest).
constexpr char compact_manifest = '\xFE';

void append_varint(std::string& out, std::size_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

std::optional<std::size_t> read_varint(std::string_view& in) {
  std::size_t v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    auto b = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    v |= static_cast<std::size_t>(b & 0x7f) << shift;
    if (b < 0x80) return v;
  }
  return std::nullopt;
}

/// The first layout: each key whole, after its length as a u16.
std::optional<std::vector<std::string>> decode_whole_keys(std::string_view bytes) {
  std::vector<std::string> out;
  while (!bytes.empty()) {
    if (bytes.size() < 2)
      return std::nullopt;
    auto n = keys::read_u16(bytes.data());
    if (bytes.size() < 2u + n)
      return std::nullopt;
    out.emplace_back(bytes.substr(2, n));
    bytes.remove_prefix(2u + n);
  }
  return out;
}

/// The compact layout (encode_manifest), after its first byte.
std::optional<std::vector<std::string>> decode_compact(std::string_view bytes,
                                                       std::string_view id) {
  std::vector<std::string> out;
  while (!bytes.empty()) {
    auto shared = read_varint(bytes);
    auto id_end = read_varint(bytes);
    auto size = read_varint(bytes);
    if (!shared || !id_end || !size || *size > bytes.size())
      return std::nullopt;
    const std::string* previous = out.empty() ? nullptr : &out.back();
    if (*shared > (previous ? previous->size() : 0) || (*id_end > 0 && *id_end - 1 > *size))
      return std::nullopt;
    std::string key;
    key.reserve(*shared + *size + (*id_end > 0 ? id.size() : 0));
    if (previous)
      key.assign(*previous, 0, *shared);
    auto rest = bytes.substr(0, *size);
    if (*id_end == 0) {
      key.append(rest);
    } else {
      auto at = rest.size() - (*id_end - 1);
      key.append(rest.substr(0, at)).append(id).append(rest.substr(at));
    }
    bytes.remove_prefix(*size);
    out.push_back(std::move(key));
  }
  return out;
}

} // namespace

manifest_builder::manifest_builder(std::string_view id, std::size_t keys)
  : id_(id), out_(1, compact_manifest) {
  out_.reserve(1 + keys * 32);
}

namespace {
/// How many leading bytes a and b share, compared 8 at a time (a manifest's
/// keys share 20-40: a byte loop was ~1% of a transaction run's CPU).
std::size_t shared_prefix(std::string_view a, std::string_view b) {
  static_assert(std::endian::native == std::endian::little, "byte i is bits 8i..8i+7");
  const std::size_t n = std::min(a.size(), b.size());
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) // the first differing byte is the lowest one set in x ^ y
      return i + static_cast<std::size_t>(std::countr_zero(x ^ y)) / 8;
  }
  while (i < n && a[i] == b[i])
    ++i;
  return i;
}
} // namespace

void manifest_builder::add(std::string_view key) {
  const std::size_t shared = shared_prefix(key, previous_);
  auto rest = key.substr(shared);
  auto at = id_.empty() ? std::string_view::npos : rest.rfind(id_);
  append_varint(out_, shared);
  if (at == std::string_view::npos) {
    append_varint(out_, 0); // the id is not left out
    append_varint(out_, rest.size());
    out_.append(rest);
  } else {
    // 1 + the bytes after the id, so the decoder finds where it goes.
    append_varint(out_, rest.size() - (at + id_.size()) + 1);
    append_varint(out_, rest.size() - id_.size());
    out_.append(rest.substr(0, at)).append(rest.substr(at + id_.size()));
  }
  previous_ = key;
}

std::string encode_manifest(const std::vector<std::string>& keys, std::string_view id) {
  manifest_builder m(id, keys.size());
  for (const auto& key : keys)
    m.add(key);
  return m.take();
}

std::optional<std::vector<std::string>> decode_manifest(std::string_view bytes,
                                                        std::string_view id) {
  if (bytes.empty() || bytes.front() != compact_manifest)
    return decode_whole_keys(bytes);
  if (auto keys = decode_compact(bytes.substr(1), id))
    return keys;
  return decode_whole_keys(bytes);
}

} // namespace atrium::storage::index
