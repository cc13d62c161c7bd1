#include "actors/fhir/replies.hpp"

#include <charconv>

#include <caf/error.hpp>
#include <caf/sec.hpp>

#include "protocols/fhir/resource_types.hpp"
#include "storage/keyspace.hpp"
#include "storage/store.hpp"

namespace atrium::actors {

namespace keys = storage::keys;

fhir_reply error_reply(errc code, std::string message, std::string where) {
  fhir_reply r;
  r.status = {code, std::move(message), std::move(where)};
  return r;
}

fhir_reply gone_reply(std::string message, storage::resource_record deletion) {
  auto r = error_reply(errc::gone, std::move(message));
  r.record = std::move(deletion);
  return r;
}

reply_status transport_status(const caf::error& err) {
  if (err == caf::sec::request_timeout)
    return {errc::timeout, "the service did not answer in time", {}};
  if (err == caf::sec::request_receiver_down)
    return {errc::unavailable, "the service is shutting down or was deleted", {}};
  return {errc::internal, "internal messaging failure", {}};
}

fhir_reply transport_error_reply(const caf::error& err) {
  fhir_reply r;
  r.status = transport_status(err);
  return r;
}

namespace {

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2)
    return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

fhir_reply bad_cursor() {
  return error_reply(errc::invalid, "the paging cursor is malformed", "_cursor");
}

std::string time_key(std::string_view prefix, std::int64_t micros) {
  std::string k{prefix};
  keys::append_i64(k, micros);
  return k;
}

/// The end of _at's period: a point when only its start is set.
std::int64_t at_end_of(const history_query& q) {
  return q.at_end == history_query::unbounded ? q.at : q.at_end;
}

/// Version v of a resource as stored: the newest is in the resources
/// column, and the versions it replaced are in the history column
/// (partition.cpp version_ops). The newest is read first: a write moves the
/// version it replaces to history in the batch that stores the new one, so
/// a version that is not the newest by then is in history. (Stores written
/// before that layout have the newest in history too; either copy serves.)
/// (`db` is the store or a read_view of it.)
template <class Reader>
status stored_version(const Reader& db, std::uint32_t svc, std::uint16_t type,
                      std::string_view id, std::uint64_t v, std::string* bytes) {
  auto s = db.get(storage::column::resources, keys::resource(svc, type, id), bytes);
  if (!s && s.code() != errc::not_found)
    return s;
  if (s) {
    auto h = storage::decode_record_header(*bytes);
    if (h && h->version == v)
      return s;
    if (h && h->version < v)
      return {errc::not_found, "no such version"};
  }
  return db.get(storage::column::history, keys::version(svc, type, id, v), bytes);
}

/// Whether version v (written at `micros`) was the current one at time `at`:
/// true when no later version exists or the next one came after `at`.
bool current_at(const storage::store& db, std::uint32_t svc, std::uint16_t type,
                std::string_view id, std::uint64_t v, std::int64_t at) {
  std::string bytes;
  auto s = stored_version(db, svc, type, id, v + 1, &bytes);
  if (!s)
    return true;
  auto h = storage::decode_record_header(bytes);
  return !h || h->last_updated_micros > at;
}

} // namespace

fhir_reply instance_history(const storage::store& db, std::uint32_t svc,
                            std::uint16_t type, const fhir_request& req) {
  const auto& q = req.history;
  if (q.count == 0)
    return {}; // _count=0: a bundle without entries
  auto prefix = keys::versions_prefix(svc, type, req.id);
  std::string upper = keys::prefix_end(prefix);
  std::uint64_t below = UINT64_MAX; // versions listed are older than this
  if (!q.cursor.empty()) {
    auto [p, ec] = std::from_chars(q.cursor.data(), q.cursor.data() + q.cursor.size(), below);
    if (ec != std::errc{} || p != q.cursor.data() + q.cursor.size())
      return bad_cursor();
    upper = keys::version(svc, type, req.id, below);
  }
  // The newest version first (the resources column), then the ones it
  // replaced (the history column), newest first: both as of one moment.
  const auto view = db.view();
  std::optional<storage::resource_record> newest;
  {
    std::string bytes;
    auto s = view->get(storage::column::resources, keys::resource(svc, type, req.id), &bytes);
    if (!s && s.code() != errc::not_found)
      return error_reply(s.code(), s.message());
    if (s) {
      newest = storage::decode_record(bytes);
      if (!newest)
        return error_reply(errc::internal, "a stored version is corrupt");
      if (newest->version >= below)
        newest.reset();
    }
  }
  fhir_reply reply;
  const bool at = q.at != history_query::unbounded;
  // _at: when the version above the one at hand was written (it ended that
  // one's time as current); none above the newest. A later page starts
  // below the cursor's version, which is that one.
  std::optional<std::int64_t> superseded;
  if (at && !q.cursor.empty()) {
    std::string bytes;
    if (stored_version(*view, svc, type, req.id, below, &bytes))
      if (auto h = storage::decode_record_header(bytes))
        superseded = h->last_updated_micros;
  }
  bool any = false;
  // Takes the next older version; false once the listing is complete.
  auto take = [&](storage::resource_record&& rec) {
    any = true;
    const auto written = rec.last_updated_micros;
    if (at && written > at_end_of(q)) { // became current after the period
      superseded = written;
      return true;
    }
    if (at && superseded && *superseded <= q.at)
      return false; // this one and the older ones were replaced before the period
    if (q.since != history_query::unbounded && written < q.since)
      return false;
    if (reply.history.size() == q.count) {
      reply.next_cursor = std::to_string(reply.history.back().record.version);
      return false;
    }
    reply.history.push_back({type, req.id, std::move(rec)});
    superseded = written;
    return true;
  };
  if (newest) {
    const auto newest_version = newest->version;
    if (!take(std::move(*newest)))
      return reply;
    // Below the newest: history also holds the newest in older stores.
    upper = keys::version(svc, type, req.id, newest_version);
  }
  auto cur = view->scan(storage::column::history, prefix, upper, /*descending=*/true);
  for (; cur.valid(); cur.next()) {
    auto rec = storage::decode_record(cur.value());
    if (!rec)
      return error_reply(errc::internal, "a stored version is corrupt");
    if (!take(std::move(*rec)))
      break;
  }
  if (auto s = cur.error(); !s)
    return error_reply(s.code(), s.message());
  if (!any && q.cursor.empty())
    return error_reply(errc::not_found,
                       std::string{fhir::resource_type_name(type)} + "/" + req.id +
                         " is not known");
  return reply;
}

fhir_reply changes_history(const storage::store& db, std::uint32_t svc,
                           std::optional<std::uint16_t> type,
                           const fhir_request& req) {
  const auto& q = req.history;
  if (q.count == 0)
    return {}; // _count=0: a bundle without entries
  auto prefix = type ? keys::type_changes_prefix(svc, *type)
                     : keys::system_changes_prefix(svc);
  std::string lower = q.since != history_query::unbounded ? time_key(prefix, q.since)
                                                          : prefix;
  std::string upper = keys::prefix_end(prefix);
  if (q.at != history_query::unbounded && at_end_of(q) < INT64_MAX)
    upper = time_key(prefix, at_end_of(q) + 1); // written by the period's end
  if (!q.cursor.empty()) {
    auto tail = from_hex(q.cursor);
    if (!tail || !keys::parse_change(prefix + *tail))
      return bad_cursor();
    upper = prefix + *tail;
  }
  fhir_reply reply;
  auto cur = db.scan(storage::column::changes, lower, upper, /*descending=*/true);
  std::string last_key;
  for (; cur.valid(); cur.next()) {
    auto change = keys::parse_change(cur.key());
    if (!change)
      return error_reply(errc::internal, "a change log key is corrupt");
    if (q.at != history_query::unbounded &&
        !current_at(db, svc, change->type, change->id, change->version, q.at))
      continue;
    if (reply.history.size() == q.count) {
      reply.next_cursor = to_hex(std::string_view{last_key}.substr(prefix.size()));
      break;
    }
    std::string bytes;
    auto s = stored_version(db, svc, change->type, change->id, change->version, &bytes);
    if (s.code() == errc::not_found)
      continue; // the resource was removed with its history
    if (!s)
      return error_reply(s.code(), s.message());
    auto rec = storage::decode_record(bytes);
    if (!rec)
      return error_reply(errc::internal, "a stored version is corrupt");
    last_key.assign(cur.key());
    reply.history.push_back({change->type, std::move(change->id), std::move(*rec)});
  }
  if (auto s = cur.error(); !s)
    return error_reply(s.code(), s.message());
  return reply;
}

namespace {

std::string label(std::uint16_t type, std::string_view id) {
  return std::string{fhir::resource_type_name(type)} + "/" + std::string{id};
}

/// A stored record as a reply (`s` is how reading it went): 404 when
/// absent, 410 for a deletion. `what()` names the record for the errors
/// only, so that a found record costs no message.
template <class What>
fhir_reply record_reply(const status& s, const std::string& bytes, What what,
                        std::string_view deleted) {
  if (s.code() == errc::not_found)
    return error_reply(errc::not_found, what() + " is not known");
  if (!s)
    return error_reply(s.code(), s.message());
  auto rec = storage::decode_record(bytes);
  if (!rec)
    return error_reply(errc::internal, "stored record of " + what() + " is corrupt");
  if (rec->deleted())
    return gone_reply(what() + std::string{deleted}, std::move(*rec));
  fhir_reply r;
  r.record = std::move(*rec);
  return r;
}

} // namespace

fhir_reply read_current(const storage::store& db, std::uint32_t svc, std::uint16_t type,
                        std::string_view id) {
  std::string bytes;
  auto s = db.get(storage::column::resources, storage::keys::resource(svc, type, id), &bytes);
  return record_reply(s, bytes, [&] { return label(type, id); }, " was deleted");
}

fhir_reply read_version(const storage::store& db, std::uint32_t svc, std::uint16_t type,
                        std::string_view id, std::uint64_t version) {
  std::string bytes;
  auto s = stored_version(db, svc, type, id, version, &bytes);
  return record_reply(
    s, bytes, [&] { return label(type, id) + "/_history/" + std::to_string(version); },
    " is a deletion");
}

} // namespace atrium::actors
