#pragma once
// Search index keys (column::index). Every entry of one (service, type,
// parameter) shares a prefix, then a kind byte that says how the rest is
// laid out, so each kind of query is one range scan:
//
//   svc(4) type(2) param(8) kind(1) …
//   's' normalized-string 0x00 [part] id   string (prefix scans; :exact checks the value);
//                                           part: 1 byte < 0x20, the text field a string
//                                           came from (string_part_tag), absent for others
//   'c' code 0x00 system 0x00 [part] id     token by code, then system; part: 1 byte
//                                           < 0x20, a ContactPoint's system (contact_system_tag)
//   'x' normalized-text 0x00 id             token :text
//   'd' start(8) end(8) id                  date ranges by start
//   'e' end(8) start(8) id                  date ranges by end, only for ranges
//                                           of a day or longer (narrow_date_span)
//   'n' number(8) id                        number
//   'q' system 0x00 code 0x00 number(8) id  quantity with unit
//   'v' number(8) id                        quantity by value alone
//   'r' target 0x00 id                      reference, target first (chains, _revinclude)
//   'u' uri 0x00 id                         uri
//   't' value 0x00 code 0x00 system 0x00 id  token :of-type (Identifier type coding)
//   'i' value 0x00 system 0x00 id           reference :identifier
//   'k' part… id len(1)                     composite: one part per component,
//        laid out by the component's type — token code 0x00 system 0x00;
//        string normalized 0x00; reference, uri text 0x00; number number(8);
//        quantity number(8) system 0x00 code 0x00; date start(8) end(8).
//        Parts may be fixed-width, so the id's length ends the key.
//
// Every entry costs a memtable insert on the write path, so rare queries
// are served by scans instead of entries of their own: `system|` filters the
// 'c' entries, and :missing takes the ids of all of a parameter's entries.
// What a resource refers to (_include, _has) is read from its manifest,
// whose 'r' keys name the targets, instead of a source-first entry.
//
// A resource's entries are listed in its manifest, so an update or delete
// removes exactly the entries of the version it replaces. Manifests have a
// column of their own (column::manifests), keyed like the resource:
//   svc(4) type(2) id → the keys, each without what it shares with the one before
// They are a third of the index's bytes: among the entries, whose keys
// are spread over the whole index, every L0->L1 compaction rewrote them; in
// their own column, under time-ordered ids, new tables mostly follow the old.
//
// Variable parts never contain 0x00 (strings are normalized, codes and
// systems have control characters removed by the extractor), so 0x00 ends
// them; numbers and times are order-preserving big-endian (keyspace.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/keyspace.hpp"

namespace atrium::storage::index {

/// The layout of the entries below, stored in the meta column: 1 the first;
/// 2 string entries carry the text field they came from, and string parts
/// (`family`, `address-city`) have no entries of their own; 3 likewise token
/// entries of contact points their system (`phone`, `email`); 4 custom
/// parameters' entries are named by their definition too (index_name); 5
/// references by the service's own absolute URL are indexed as the relative
/// references they are (index_entries.hpp index_resource); 6 manifests are in
/// a column of their own (column::manifests), keyed like the resource, and
/// 'e' entries are written only for wide ranges (narrow_date_span; the 'e'
/// entries of narrow ranges that older layouts wrote are read as harmless
/// duplicates).
inline constexpr std::uint32_t index_format = 6;
/// The last layout whose entries differ from this build's. A store older
/// than it is re-indexed; one from it up to index_format only has its
/// manifests moved (index_upgrade.hpp).
inline constexpr std::uint32_t entries_format = 5;

/// A parameter is named in keys by a hash of its index name
/// (search_param::index_name: R4's canonical URL, or a custom parameter's URL
/// with a digest of its definition): stable across nodes and releases, and
/// custom parameters need no id table.
using param_id = std::uint64_t;
param_id param_id_of(std::string_view index_name) noexcept;
/// param_id_of, remembered per thread. The hash goes a byte at a time (FNV-1a,
/// fixed by the keys already stored), ~4 instructions a byte of a 50-70 byte
/// URL, for each parameter of every resource indexed: 1% of a transaction
/// run's instructions. A thread indexes by few names; it keeps the last 128
/// it hashed, found by the name's address and checked by content.
param_id remembered_param_id(std::string_view index_name);

enum class kind : char {
  string = 's',
  token_code = 'c',
  token_text = 'x',
  date_start = 'd',
  date_end = 'e',
  number = 'n',
  quantity = 'q',
  quantity_value = 'v',
  reference = 'r',
  uri = 'u',
  composite = 'k',
  identifier_type = 't',
  reference_identifier = 'i',
};

/// svc type param kind: the prefix of every entry of one kind.
std::string prefix(service_id svc, type_id type, param_id param, kind k);
/// svc type param: the prefix of every entry of a parameter, all kinds.
std::string param_prefix(service_id svc, type_id type, param_id param);

/// An order-preserving encoding of a double (NaN is not indexed).
void append_double(std::string& out, double v);
double read_double(const char* p);

// Entry builders (the id is the indexed resource's id).
std::string string_entry(service_id, type_id, param_id, std::string_view normalized,
                         std::uint8_t part, std::string_view id);
/// The part tag of a string or token code entry (param_registry::part_of),
/// 0 when it has none.
std::uint8_t entry_part(std::string_view key);
std::string token_code_entry(service_id, type_id, param_id, std::string_view code,
                             std::string_view system, std::uint8_t part, std::string_view id);
std::string token_text_entry(service_id, type_id, param_id, std::string_view normalized,
                             std::string_view id);
/// A date range shorter than this (a dateTime, a day's date, most periods)
/// gets no 'e' entry: it ends less than a span after it starts, so a query
/// on ends (gt, ge, eb) reads its 'd' entry from a span earlier and checks
/// the end there. Only wider ranges (a month, a year, long periods), which
/// can start any time before they end, need ordering by end. Every date in
/// the transaction benchmark's Synthea-shaped Bundles is narrow: one index
/// entry fewer each.
inline constexpr std::int64_t narrow_date_span = 86'400'000'000; // a day, in µs
/// Whether [start, end] is shorter than narrow_date_span; an open end
/// (INT64_MIN or MAX) makes a range wide, without overflowing.
constexpr bool narrow_date(std::int64_t start, std::int64_t end) {
  return end >= start && static_cast<std::uint64_t>(end) - static_cast<std::uint64_t>(start) <
                           static_cast<std::uint64_t>(narrow_date_span);
}
/// The date shapes for one [start, end] range (microseconds, inclusive).
std::string date_start_entry(service_id, type_id, param_id, std::int64_t start,
                             std::int64_t end, std::string_view id);
std::string date_end_entry(service_id, type_id, param_id, std::int64_t start,
                           std::int64_t end, std::string_view id);
std::string number_entry(service_id, type_id, param_id, double v, std::string_view id);
std::string quantity_entry(service_id, type_id, param_id, std::string_view system,
                           std::string_view code, double v, std::string_view id);
std::string quantity_value_entry(service_id, type_id, param_id, double v,
                                 std::string_view id);
std::string reference_entry(service_id, type_id, param_id, std::string_view target,
                            std::string_view id);
std::string uri_entry(service_id, type_id, param_id, std::string_view uri,
                      std::string_view id);

/// An Identifier's value with one coding of its type (token :of-type).
std::string identifier_type_entry(service_id, type_id, param_id, std::string_view value,
                                  std::string_view type_code, std::string_view type_system,
                                  std::string_view id);
/// A Reference's identifier (reference :identifier).
std::string reference_identifier_entry(service_id, type_id, param_id, std::string_view value,
                                       std::string_view system, std::string_view id);

/// A composite entry from its parts, already laid out (composite_parts).
std::string composite_entry(service_id, type_id, param_id, std::string_view parts,
                            std::string_view id);

/// Lays out the parts of a composite entry, and reads them back in order.
struct composite_parts {
  std::string bytes;
  void text(std::string_view s); // code, system, string, reference, uri
  void number(double v);
  void instant(std::int64_t v); // date start or end
};
class composite_reader {
public:
  /// Positioned at the first part of a 'k' entry.
  explicit composite_reader(std::string_view key);
  std::optional<std::string_view> text();
  std::optional<double> number();
  std::optional<std::int64_t> instant();

private:
  std::string_view rest_; // the parts not read yet (the id excluded)
};

/// The id at the end of an entry of a shape that ends "0x00 id" (string,
/// token, reference, uri) or a fixed-width shape (date, number, quantity),
/// given the entry's kind. nullopt for a malformed key.
std::optional<std::string_view> entry_id(std::string_view key);

/// The first two 0x00-terminated parts after the kind byte: code and system
/// of a 'c' entry, value and system of an 'i' entry, system and code of a
/// 'q' entry. nullopt for a malformed key.
std::optional<std::pair<std::string_view, std::string_view>> entry_pair(std::string_view key);

/// Both ranges of a date entry ('d' or 'e'); nullopt for other kinds.
struct date_range {
  std::int64_t start = 0;
  std::int64_t end = 0;
};
std::optional<date_range> entry_dates(std::string_view key);
/// The number of an 'n', 'v' or 'q' entry.
std::optional<double> entry_number(std::string_view key);
/// The target of an 'r' entry.
std::optional<std::string_view> entry_target(std::string_view key);

// ---- manifests ----
// A manifest lists the index keys of resource `id`'s current version. Its
// keys are sorted and mostly share their start (service, type, often the
// parameter) and all carry `id`, so each is stored as the length it shares
// with the one before, the rest without `id`, and where `id` goes back in:
// a third to a half of the bytes with a 36-character id (tools/bench/README.md).
// Manifests written before this layout (a u16 length before each whole key)
// still decode.
std::string manifest_key(service_id svc, type_id type, std::string_view id);
std::string encode_manifest(const std::vector<std::string>& keys, std::string_view id);
std::optional<std::vector<std::string>> decode_manifest(std::string_view bytes,
                                                        std::string_view id);

/// Encodes a manifest key by key, as encode_manifest does, for callers that
/// hold the keys elsewhere (a version's index entries): no list of copies.
/// `id` and each key must stay alive until the next add (the id until
/// take); used once: take() ends it.
class manifest_builder {
public:
  /// `keys`: how many keys will be added, to size the manifest once (a key
  /// costs ~32 bytes, what it does not share with the one before, without
  /// the id).
  explicit manifest_builder(std::string_view id, std::size_t keys = 0);
  void add(std::string_view key);
  std::string take() { return std::move(out_); }

private:
  std::string_view id_;
  std::string out_;
  std::string_view previous_;
};

} // namespace atrium::storage::index
