#pragma once
// The value stored for a version of a resource (current and history alike).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace atrium::storage {

enum class record_kind : std::uint8_t { create = 1, update = 2, erase = 3 };

struct resource_record {
  record_kind kind = record_kind::create;
  std::uint64_t version = 0;
  std::int64_t last_updated_micros = 0;
  std::string json; // minified resource with server meta; empty for erase

  bool deleted() const noexcept { return kind == record_kind::erase; }
};

/// Layout: format(1)=1 kind(1) version(8 BE) micros(8 BE) json…
std::string encode_record(const resource_record& r);
std::optional<resource_record> decode_record(std::string_view bytes);

/// Decodes only the fixed header (cheap: no copy of the JSON).
struct record_header {
  record_kind kind;
  std::uint64_t version;
  std::int64_t last_updated_micros;
};
std::optional<record_header> decode_record_header(std::string_view bytes);
/// The JSON part of an encoded record, without copying.
std::string_view record_json(std::string_view bytes);

} // namespace atrium::storage
