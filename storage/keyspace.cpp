#include "storage/keyspace.hpp"

namespace atrium::storage {

const char* column_name(column c) noexcept {
  switch (c) {
    case column::meta: return "meta";
    case column::resources: return "resources";
    case column::history: return "history";
    case column::changes: return "changes";
    case column::index: return "index";
    case column::dicom: return "dicom";
    case column::manifests: return "manifests";
  }
  return "unknown";
}

namespace keys {
namespace {

constexpr char sep = '\0';          // ends a resource id (ids never hold 0x00)
constexpr char system_shape = 'S';  // change key: time before type
constexpr char type_shape = 'T';    // change key: type before time
constexpr std::size_t svc_len = 4, type_len = 2, num_len = 8;
constexpr std::size_t max_id_len = 64;

// svc type id 0x00: shared by history keys and their per-resource prefix.
std::string resource_versions(service_id svc, type_id type, std::string_view id) {
  std::string k;
  k.reserve(svc_len + type_len + id.size() + 1 + num_len);
  append_u32(k, svc);
  append_u16(k, type);
  k.append(id);
  k.push_back(sep);
  return k;
}

// A plausible id: the charset is enforced upstream, here only what breaks
// the key shape (empty, too long, an embedded separator).
bool plausible_id(std::string_view id) {
  return !id.empty() && id.size() <= max_id_len && id.find(sep) == std::string_view::npos;
}

} // namespace

std::string workspace(std::string_view ws) {
  std::string k(workspace_prefix);
  k.append(ws);
  return k;
}

std::string service(std::string_view ws, std::string_view name) {
  std::string k = service_prefix(ws);
  k.append(name);
  return k;
}

std::string service_prefix(std::string_view ws) {
  std::string k("S");
  k.append(ws);
  k.push_back(sep); // so that ws "a" does not match the services of ws "ab"
  return k;
}

std::string next_service_id() { return "N"; }

std::string active_search_params(service_id svc) {
  std::string k("P");
  append_u32(k, svc);
  return k;
}

std::optional<service_id> meta_key_service(std::string_view key) {
  if (key.size() < 1 + svc_len) return std::nullopt;
  return read_u32(key.data() + 1);
}

std::string index_upgrade(service_id svc) {
  std::string k(index_upgrades_all);
  append_u32(k, svc);
  return k;
}

std::string dicom_query_tags_prefix(service_id svc) {
  std::string k("Q");
  append_u32(k, svc);
  return k;
}

std::string dicom_mirror_cursor(service_id svc) {
  std::string k("M");
  append_u32(k, svc);
  return k;
}

std::string dicom_operation(service_id svc, std::string_view id) {
  std::string k("O");
  append_u32(k, svc);
  k.append(id);
  return k;
}

std::string reindex_jobs_prefix(service_id svc) {
  std::string k(reindex_jobs_all);
  append_u32(k, svc);
  return k;
}

std::string reindex_job(service_id svc, std::string_view job_id) {
  std::string k = reindex_jobs_prefix(svc);
  k.append(job_id);
  return k;
}

std::string resource(service_id svc, type_id type, std::string_view id) {
  std::string k;
  k.reserve(svc_len + type_len + id.size());
  append_u32(k, svc);
  append_u16(k, type);
  k.append(id);
  return k;
}

std::string service_scope(service_id svc) {
  std::string k;
  append_u32(k, svc);
  return k;
}

std::string version(service_id svc, type_id type, std::string_view id,
                    std::uint64_t v) {
  std::string k = resource_versions(svc, type, id);
  append_u64(k, v);
  return k;
}

std::string versions_prefix(service_id svc, type_id type, std::string_view id) {
  return resource_versions(svc, type, id);
}

namespace {
// The change feeds' prefixes, with room reserved for `extra` bytes more.
std::string system_changes_head(service_id svc, std::size_t extra) {
  std::string k;
  k.reserve(svc_len + 1 + extra);
  append_u32(k, svc);
  k.push_back(system_shape);
  return k;
}

std::string type_changes_head(service_id svc, type_id type, std::size_t extra) {
  std::string k;
  k.reserve(svc_len + 1 + type_len + extra);
  append_u32(k, svc);
  k.push_back(type_shape);
  append_u16(k, type);
  return k;
}
} // namespace

std::string system_change(service_id svc, std::int64_t micros, type_id type,
                          std::string_view id, std::uint64_t v) {
  std::string k = system_changes_head(svc, num_len + type_len + id.size() + 1 + num_len);
  append_i64(k, micros);
  append_u16(k, type);
  k.append(id);
  k.push_back(sep);
  append_u64(k, v);
  return k;
}

std::string system_changes_prefix(service_id svc) { return system_changes_head(svc, 0); }

std::string type_change(service_id svc, type_id type, std::int64_t micros,
                        std::string_view id, std::uint64_t v) {
  std::string k = type_changes_head(svc, type, num_len + id.size() + 1 + num_len);
  append_i64(k, micros);
  k.append(id);
  k.push_back(sep);
  append_u64(k, v);
  return k;
}

std::string type_changes_prefix(service_id svc, type_id type) {
  return type_changes_head(svc, type, 0);
}

std::optional<change> parse_change(std::string_view key) {
  // svc(4) shape(1) [time(8) type(2) | type(2) time(8)] id(>=1) 0x00 version(8):
  // both shapes put the id at the same offset.
  constexpr std::size_t id_at = svc_len + 1 + num_len + type_len;
  if (key.size() < id_at + 1 + 1 + num_len) return std::nullopt;
  const std::size_t sep_at = key.size() - num_len - 1;
  if (key[sep_at] != sep) return std::nullopt;

  change c;
  const char* p = key.data();
  c.svc = read_u32(p);
  switch (key[svc_len]) {
    case system_shape:
      c.micros = read_i64(p + svc_len + 1);
      c.type = read_u16(p + svc_len + 1 + num_len);
      break;
    case type_shape:
      c.type = read_u16(p + svc_len + 1);
      c.micros = read_i64(p + svc_len + 1 + type_len);
      break;
    default:
      return std::nullopt;
  }
  std::string_view id = key.substr(id_at, sep_at - id_at);
  if (!plausible_id(id)) return std::nullopt;
  c.id.assign(id);
  c.version = read_u64(p + sep_at + 1);
  return c;
}

std::optional<std::uint64_t> parse_version_suffix(std::string_view key) {
  constexpr std::size_t min_len = svc_len + type_len + 1 + 1 + num_len;
  if (key.size() < min_len) return std::nullopt;
  const std::size_t sep_at = key.size() - num_len - 1;
  if (key[sep_at] != sep) return std::nullopt;
  std::string_view id = key.substr(svc_len + type_len, sep_at - svc_len - type_len);
  if (!plausible_id(id)) return std::nullopt;
  return read_u64(key.data() + sep_at + 1);
}

// ---- encoding helpers ------------------------------------------------------
// Written byte by byte rather than with bswap so the code is endian-agnostic.

namespace {
// Into a buffer, then one append: a push_back per byte checks the capacity
// and rewrites the terminator each time (~160 instructions for a u64, on
// every index key).
template <class U>
void append_be(std::string& out, U v) {
  char bytes[sizeof(U)];
  for (std::size_t i = 0; i < sizeof(U); ++i)
    bytes[i] = static_cast<char>((v >> ((sizeof(U) - 1 - i) * 8)) & 0xff);
  out.append(bytes, sizeof(U));
}
template <class U>
U read_be(const char* p) {
  U v = 0;
  for (std::size_t i = 0; i < sizeof(U); ++i)
    v = static_cast<U>((v << 8) | static_cast<unsigned char>(p[i]));
  return v;
}
constexpr std::uint64_t sign_bit = std::uint64_t{1} << 63;
} // namespace

void append_u16(std::string& out, std::uint16_t v) { append_be(out, v); }
void append_u32(std::string& out, std::uint32_t v) { append_be(out, v); }
void append_u64(std::string& out, std::uint64_t v) { append_be(out, v); }
// Two's complement with the sign bit flipped maps INT64_MIN..INT64_MAX onto
// 0..UINT64_MAX in order, so negative times sort before positive ones.
void append_i64(std::string& out, std::int64_t v) {
  append_be(out, static_cast<std::uint64_t>(v) ^ sign_bit);
}
std::uint16_t read_u16(const char* p) { return read_be<std::uint16_t>(p); }
std::uint32_t read_u32(const char* p) { return read_be<std::uint32_t>(p); }
std::uint64_t read_u64(const char* p) { return read_be<std::uint64_t>(p); }
std::int64_t read_i64(const char* p) {
  return static_cast<std::int64_t>(read_be<std::uint64_t>(p) ^ sign_bit);
}

std::string prefix_end(std::string_view prefix) {
  // Trailing 0xff bytes cannot be incremented: every key extending the
  // shorter prefix is bounded by incrementing the last byte before them.
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

// ---- dicom ----------------------------------------------------------------

namespace {
// The service, a shape byte, then UIDs each ended by 0x00 but the last.
std::string dicom_key(service_id svc, char shape) {
  std::string k;
  k.reserve(4 + 1 + 3 * 65);
  append_u32(k, svc);
  k.push_back(shape);
  return k;
}
void append_uid(std::string& k, std::string_view uid, bool last) {
  k.append(uid);
  if (!last)
    k.push_back(sep);
}
} // namespace

std::string dicom_instance(service_id svc, std::string_view study, std::string_view series,
                           std::string_view sop) {
  auto k = dicom_key(svc, 'I');
  append_uid(k, study, false);
  append_uid(k, series, false);
  append_uid(k, sop, true);
  return k;
}

std::string dicom_instances_prefix(service_id svc, std::string_view study,
                                   std::string_view series) {
  auto k = dicom_key(svc, 'I');
  if (!study.empty()) {
    append_uid(k, study, false);
    if (!series.empty())
      append_uid(k, series, false);
  }
  return k;
}

std::optional<dicom_instance_uids> parse_dicom_instance(std::string_view key) {
  if (key.size() < 5 || key[4] != 'I')
    return std::nullopt;
  auto rest = key.substr(5);
  auto cut1 = rest.find(sep);
  auto cut2 = cut1 == std::string_view::npos ? cut1 : rest.find(sep, cut1 + 1);
  if (cut2 == std::string_view::npos)
    return std::nullopt;
  return dicom_instance_uids{rest.substr(0, cut1), rest.substr(cut1 + 1, cut2 - cut1 - 1),
                             rest.substr(cut2 + 1)};
}

std::string dicom_tag_errors_prefix(service_id svc, std::string_view study,
                                    std::string_view series, std::string_view sop) {
  auto k = dicom_key(svc, 'E');
  for (auto uid : {study, series, sop}) {
    if (uid.empty())
      break;
    append_uid(k, uid, false);
  }
  return k;
}

std::string dicom_tag_error(service_id svc, std::string_view study, std::string_view series,
                            std::string_view sop, std::uint32_t tag) {
  auto k = dicom_tag_errors_prefix(svc, study, series, sop);
  append_u32(k, tag);
  return k;
}

std::optional<dicom_tag_error_key> parse_dicom_tag_error(std::string_view key) {
  if (key.size() < 5 + 3 + 4 || key[4] != 'E')
    return std::nullopt;
  auto rest = key.substr(5, key.size() - 5 - 4);
  auto cut1 = rest.find(sep);
  auto cut2 = cut1 == std::string_view::npos ? cut1 : rest.find(sep, cut1 + 1);
  if (cut2 == std::string_view::npos || rest.back() != sep)
    return std::nullopt;
  return dicom_tag_error_key{rest.substr(0, cut1), rest.substr(cut1 + 1, cut2 - cut1 - 1),
                             rest.substr(cut2 + 1, rest.size() - cut2 - 2),
                             read_u32(key.data() + key.size() - 4)};
}

std::string dicom_tag_errors_by_tag_prefix(service_id svc, std::uint32_t tag) {
  auto k = dicom_key(svc, 'e');
  append_u32(k, tag);
  return k;
}

std::string dicom_tag_error_by_tag(service_id svc, std::uint32_t tag, std::string_view study,
                                   std::string_view series, std::string_view sop) {
  auto k = dicom_tag_errors_by_tag_prefix(svc, tag);
  append_uid(k, study, false);
  append_uid(k, series, false);
  append_uid(k, sop, true);
  return k;
}

std::optional<dicom_tag_error_key> parse_dicom_tag_error_by_tag(std::string_view key) {
  if (key.size() < 5 + 4 + 4 || key[4] != 'e')
    return std::nullopt;
  auto rest = key.substr(5 + 4);
  auto cut1 = rest.find(sep);
  auto cut2 = cut1 == std::string_view::npos ? cut1 : rest.find(sep, cut1 + 1);
  if (cut2 == std::string_view::npos)
    return std::nullopt;
  return dicom_tag_error_key{rest.substr(0, cut1), rest.substr(cut1 + 1, cut2 - cut1 - 1),
                             rest.substr(cut2 + 1), read_u32(key.data() + 5)};
}

std::string dicom_series(service_id svc, std::string_view study, std::string_view series) {
  auto k = dicom_key(svc, 'R');
  append_uid(k, study, false);
  append_uid(k, series, true);
  return k;
}

std::string dicom_series_prefix(service_id svc, std::string_view study) {
  auto k = dicom_key(svc, 'R');
  if (!study.empty())
    append_uid(k, study, false);
  return k;
}

std::string dicom_study(service_id svc, std::string_view study) {
  auto k = dicom_key(svc, 'S');
  append_uid(k, study, true);
  return k;
}

std::string dicom_studies_prefix(service_id svc) { return dicom_key(svc, 'S'); }

std::string dicom_index(service_id svc, std::uint32_t tag, std::string_view value,
                        std::string_view study) {
  auto k = dicom_index_prefix(svc, tag, value, true);
  k.append(study);
  return k;
}

std::string dicom_index_prefix(service_id svc, std::uint32_t tag, std::string_view value,
                               bool exact) {
  auto k = dicom_key(svc, 'X');
  append_u32(k, tag);
  k.append(value);
  if (exact)
    k.push_back(sep);
  return k;
}

std::string dicom_change(service_id svc, std::uint64_t sequence) {
  auto k = dicom_key(svc, 'C');
  append_u64(k, sequence);
  return k;
}

std::string dicom_changes_prefix(service_id svc) { return dicom_key(svc, 'C'); }

} // namespace keys
} // namespace atrium::storage
