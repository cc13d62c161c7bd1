// The change feed: v1 pages by sequence (offset = the last sequence seen),
// v2 by time window and position in it. Only settled entries are shown
// (change_sequences.hpp), so a reader paging forward never skips one.
#include <charconv>

#include "actors/dicom/change_sequences.hpp"
#include "actors/edge/dicom_http.hpp"
#include "protocols/fhir/instant.hpp"
#include "protocols/fhir/json_text.hpp"
#include "protocols/http/query.hpp"
#include "storage/dicom_records.hpp"
#include "storage/store.hpp"

namespace atrium::actors::dicomweb {

namespace {

using storage::column;
namespace keys = storage::keys;

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || p != s.data() + s.size())
    return std::nullopt;
  return n;
}

/// Whether a date-time has a time and says its zone ("…T08:00:00Z",
/// "…T08:00:00+01:00"): a window's ends are instants (Azure refuses less).
bool has_time_zone(std::string_view t) {
  if (t.find('T') == std::string_view::npos)
    return false;
  if (t.ends_with('Z'))
    return true;
  return t.size() > 6 && (t[t.size() - 6] == '+' || t[t.size() - 6] == '-') && t[t.size() - 3] == ':';
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":";
  fhir::append_json_string(out, value);
}

/// One entry as JSON, with the instance's state now and, when asked and it
/// is current, its metadata.
std::string render(const call& c, std::uint64_t seq, const storage::dicom_change_record& ch,
                   bool with_metadata) {
  std::string state = "deleted";
  std::string dataset;
  std::string bytes;
  if (c.ctx.db->get(column::dicom, keys::dicom_instance(c.svc.id, ch.study, ch.series, ch.sop), &bytes)
        .is_ok())
    if (auto rec = storage::decode_dicom_instance(bytes)) {
      state = rec->sequence == seq ? "current" : "replaced";
      if (rec->sequence == seq)
        dataset = std::move(rec->dataset);
    }
  std::string out = "{\"Sequence\":" + std::to_string(seq);
  append_field(out, "StudyInstanceUid", ch.study);
  append_field(out, "SeriesInstanceUid", ch.series);
  append_field(out, "SopInstanceUid", ch.sop);
  append_field(out, "Action", storage::to_string(ch.action));
  append_field(out, "Timestamp", fhir::format_instant(ch.micros));
  append_field(out, "State", state);
  if (with_metadata && !dataset.empty())
    out += ",\"Metadata\":" + dataset;
  out += '}';
  return out;
}

} // namespace

void changefeed(call& c, const http::request& req, bool v2, bool latest, http::responder respond) {
  auto params = http::parse_query(http::split_target(req.target).second);
  if (!params)
    return respond(error(400, "the query string has a malformed percent-escape"));
  bool with_metadata = true;
  if (auto m = http::find_param_nocase(*params, "includemetadata")) {
    // Bound like Azure's: names and values without case.
    auto yes = http::parse_bool(*m);
    if (!yes)
      return respond(error(400, "includemetadata is true or false"));
    with_metadata = *yes;
  }
  const auto svc = c.svc.id;
  const auto visible_end = c.ctx.sequences->visible_end(svc);
  auto prefix = keys::dicom_changes_prefix(svc);
  auto lower_of = [&](std::uint64_t seq) { return keys::dicom_change(svc, seq); };
  auto seq_of = [&](std::string_view key) { return keys::read_u64(key.data() + prefix.size()); };

  if (latest) {
    auto cur = c.ctx.db->scan(column::dicom, prefix, lower_of(visible_end), true);
    if (!cur.valid())
      return respond({204, {}, {}, {}});
    auto ch = storage::decode_dicom_change(cur.value());
    if (!ch)
      return respond(error(500, "a change feed entry is unreadable"));
    return respond({200, "application/json", render(c, seq_of(cur.key()), *ch, with_metadata), {}});
  }

  std::uint64_t offset = 0, limit = v2 ? 100 : 10;
  const std::uint64_t max_limit = v2 ? 200 : 100;
  if (auto o = http::find_param_nocase(*params, "offset")) {
    auto n = parse_u64(*o);
    if (!n)
      return respond(error(400, "offset must be a whole number"));
    offset = *n;
  }
  if (auto l = http::find_param_nocase(*params, "limit")) {
    auto n = parse_u64(*l);
    if (!n || *n < 1 || *n > max_limit)
      return respond(error(400, "limit must be from 1 to " + std::to_string(max_limit)));
    limit = *n;
  }
  // The v2 window. v1 has none and, like Azure's, passes over the
  // parameters it does not take; so does v2 an empty one.
  std::int64_t start = std::numeric_limits<std::int64_t>::min();
  std::int64_t end = std::numeric_limits<std::int64_t>::max();
  for (auto [name, bound] : {std::pair{"startTime", &start}, std::pair{"endTime", &end}}) {
    auto t = http::find_param_nocase(*params, name);
    if (!v2 || !t || t->empty())
      continue;
    auto micros = has_time_zone(*t) ? fhir::parse_fhir_datetime(*t) : std::nullopt;
    if (!micros)
      return respond(error(400, std::string{name} + " must be a date and time with a time zone "
                                                    "(2024-01-31T08:00:00Z), not '" +
                                  std::string{*t} + "'"));
    *bound = *micros;
  }
  if (start >= end)
    return respond(error(400, "startTime must come strictly before endTime"));
  std::string body = "[";
  std::uint64_t skipped = 0, emitted = 0;
  // v1: sequences after `offset`, up to `limit` numbers on (gaps count).
  auto lower = v2 ? prefix : lower_of(offset + 1);
  auto upper = lower_of(v2 ? visible_end : std::min(visible_end, offset + limit + 1));
  for (auto cur = c.ctx.db->scan(column::dicom, lower, upper); cur.valid() && emitted < limit; cur.next()) {
    auto ch = storage::decode_dicom_change(cur.value());
    if (!ch)
      continue;
    if (v2) {
      if (ch->micros < start || ch->micros >= end)
        continue;
      if (skipped < offset) {
        ++skipped;
        continue;
      }
    }
    if (emitted++ > 0)
      body += ',';
    body += render(c, seq_of(cur.key()), *ch, with_metadata);
  }
  body += ']';
  respond({200, "application/json", std::move(body), {}});
}

} // namespace atrium::actors::dicomweb
