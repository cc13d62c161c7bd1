// WADO-RS: instances as stored or transcoded (protocols/dicom/pixels), and
// metadata (DICOM JSON as stored, ETag and 304).
#include <charconv>

#include <algorithm>
#include <functional>
#include <memory>
#include <utility>
#include <variant>

#include "actors/edge/dicom_http.hpp"
#include "actors/work_pool.hpp"
#include "protocols/dicom/multipart.hpp"
#include "protocols/dicom/pixels.hpp"
#include "protocols/http/preconditions.hpp"
#include "protocols/http/query.hpp"
#include "storage/dicom_records.hpp"
#include "storage/file_store.hpp"
#include "storage/store.hpp"

namespace atrium::actors::dicomweb {

namespace {

using storage::column;
namespace keys = storage::keys;

constexpr std::string_view explicit_vr_little_endian = "1.2.840.10008.1.2.1";


struct stored_instance {
  std::string series, sop;
  storage::dicom_instance_record record;
};

/// The instances of a study, a series or one instance, in key order.
std::vector<stored_instance> find_instances(const call& c, std::string_view study,
                                            std::string_view series, std::string_view sop) {
  std::vector<stored_instance> out;
  auto& db = *c.ctx.db;
  const auto svc = c.svc.id;
  if (!sop.empty()) {
    std::string bytes;
    if (db.get(column::dicom, keys::dicom_instance(svc, study, series, sop), &bytes).is_ok())
      if (auto rec = storage::decode_dicom_instance(bytes))
        out.push_back({std::string{series}, std::string{sop}, std::move(*rec)});
    return out;
  }
  auto prefix = keys::dicom_instances_prefix(svc, study, series);
  for (auto cur = db.scan(column::dicom, prefix, keys::prefix_end(prefix)); cur.valid(); cur.next()) {
    auto uids = keys::parse_dicom_instance(cur.key());
    auto rec = storage::decode_dicom_instance(cur.value());
    if (!uids || !rec)
      continue;
    out.push_back({std::string{uids->series}, std::string{uids->sop}, std::move(*rec)});
  }
  return out;
}

std::string what(std::string_view study, std::string_view series, std::string_view sop) {
  if (!sop.empty())
    return "instance " + std::string{sop};
  if (!series.empty())
    return "series " + std::string{series};
  return "study " + std::string{study};
}

/// What the client accepts for instances: single-part or multipart, and
/// the transfer syntax ("*" for as stored).
struct instance_media {
  bool multipart = true;
  std::string transfer_syntax;
};

/// Every form of answer the client accepts, most preferred first (its
/// order among equal q-values); empty: none this service produces. The
/// first that can be produced is answered (RFC 9110 12.5.1), so a list
/// such as "JPEG baseline, else RLE" gets RLE for 16-bit pixels.
std::vector<instance_media> negotiate(const http::request& req, bool single_allowed) {
  auto accept = req.header("accept");
  if (!accept || accept->empty())
    return {instance_media{true, "*"}};
  std::vector<instance_media> out;
  for (auto& m : dicom::parse_accept(*accept)) {
    if (m.q <= 0)
      continue;
    if (m.type == "*/*") {
      out.push_back({true, "*"});
      continue;
    }
    auto ts = std::string{m.param("transfer-syntax").value_or(explicit_vr_little_endian)};
    if (m.type == "multipart/related") {
      auto type = m.param("type");
      if (!type || *type == "application/dicom")
        out.push_back({true, ts});
    } else if (m.type == "application/dicom" && single_allowed) {
      out.push_back({false, ts});
    }
  }
  return out;
}

/// Answers larger than this are streamed from the files (stored_body).
constexpr std::uint64_t streamed_answer = 16u << 20;
/// What one piece of a streamed answer holds at most.
constexpr std::uint64_t piece_size = 1u << 20;

/// An as-stored answer of many megabytes (a whole study) read from the file
/// store a piece at a time on the work pool: memory holds one piece, not
/// the study.
class stored_body final : public http::body_source,
                          public std::enable_shared_from_this<stored_body> {
public:
  /// Literal text (multipart framing), or a stored file's bytes.
  struct segment {
    std::string text;
    std::string file;
    std::uint64_t length = 0;
  };

  stored_body(edge_context& ctx, std::vector<segment> segments)
    : ctx_(ctx), segments_(std::move(segments)) {
    for (auto& s : segments_)
      size_ += s.length;
  }

  std::optional<std::uint64_t> size() const override { return size_; }

  void next(std::function<void(std::string, bool)> deliver) override {
    auto self = shared_from_this();
    if (!ctx_.work->submit([self, deliver] { self->produce(deliver); }))
      deliver({}, false);
  }

private:
  void produce(const std::function<void(std::string, bool)>& deliver) {
    std::string piece;
    while (at_ < segments_.size() && piece.size() < piece_size) {
      auto& s = segments_[at_];
      const auto n = std::min<std::uint64_t>(s.length - offset_, piece_size - piece.size());
      if (s.file.empty())
        piece.append(s.text, offset_, n);
      else if (!ctx_.files->append_range(s.file, offset_, n, piece))
        return deliver({}, false); // deleted meanwhile: the answer ends short
      offset_ += n;
      if (offset_ == s.length) {
        ++at_;
        offset_ = 0;
      }
    }
    deliver(std::move(piece), true);
  }

  edge_context& ctx_;
  std::vector<segment> segments_;
  std::uint64_t size_ = 0;
  // Where the next piece starts; only one piece is produced at a time.
  std::size_t at_ = 0;
  std::uint64_t offset_ = 0;
};

stored_body::segment text_segment(std::string text) {
  const auto n = text.size();
  return {std::move(text), {}, n};
}

/// Instances as stored, streamed: single-part for one, else multipart.
http::response stream_stored(call& c, const std::vector<stored_instance>& found, bool multipart) {
  std::vector<stored_body::segment> segments;
  auto file = [](const stored_instance& i) {
    return stored_body::segment{{}, i.record.file, i.record.size};
  };
  if (!multipart) {
    segments.push_back(file(found.front()));
    http::response r{200, "application/dicom; transfer-syntax=" + found.front().record.transfer_syntax, {}};
    r.source = std::make_shared<stored_body>(c.ctx, std::move(segments));
    return r;
  }
  dicom::multipart_writer framing;
  std::string text;
  for (auto& i : found) {
    text += framing.opening("application/dicom; transfer-syntax=" + i.record.transfer_syntax);
    segments.push_back(text_segment(std::exchange(text, {})));
    segments.push_back(file(i));
    text = "\r\n";
  }
  segments.push_back(text_segment(text + framing.closing()));
  http::response r{200, "multipart/related; type=\"application/dicom\"; boundary=" + framing.boundary(), {}};
  r.source = std::make_shared<stored_body>(c.ctx, std::move(segments));
  return r;
}

http::response gone(const stored_instance& i) {
  return error(404, "instance " + i.sop + " was deleted meanwhile");
}

/// Whether instance `i` is too large to convert; its answer then is 406.
bool too_large_to_convert(const stored_instance& i) { return i.record.size > max_codec_input; }
http::response too_large(const stored_instance& i) {
  return error(406, "instance " + i.sop + " is over 100 MB: ask for transfer-syntax=*");
}

/// Instance `i`'s bytes in transfer syntax `want` (as stored when it is in
/// it already), or the error answer.
std::variant<std::string, http::response> convert(const call& c, const stored_instance& i,
                                                  const std::string& want) {
  std::string bytes;
  if (!c.ctx.files->append_to(i.record.file, bytes))
    return gone(i);
  if (i.record.transfer_syntax == want)
    return bytes;
  if (too_large_to_convert(i))
    return too_large(i);
  auto out = dicom::transcode(bytes, want);
  if (auto* e = std::get_if<dicom::pixel_error>(&out))
    return error(e->status, "instance " + i.sop + " (" + i.record.transfer_syntax + "): " + e->message);
  return std::move(std::get<std::string>(out));
}

/// A transcoded multipart answer of many megabytes, an instance at a time on
/// the work pool (chunked: the sizes are known only once converted). The
/// first instance is converted before answering, so that an impossible
/// conversion still gets its status; a later failure ends the answer short.
class converted_body final : public http::body_source,
                             public std::enable_shared_from_this<converted_body> {
public:
  converted_body(call c, std::vector<stored_instance> found, std::string want, std::string first)
    : c_(std::move(c)), found_(std::move(found)), want_(std::move(want)), first_(std::move(first)) {}

  const std::string& boundary() const { return framing_.boundary(); }
  std::optional<std::uint64_t> size() const override { return std::nullopt; }

  void next(std::function<void(std::string, bool)> deliver) override {
    auto self = shared_from_this();
    if (!c_.ctx.work->submit([self, deliver] { self->produce(deliver); }))
      deliver({}, false);
  }

private:
  void produce(const std::function<void(std::string, bool)>& deliver) {
    if (at_ == found_.size())
      return deliver({}, true);
    std::string bytes;
    if (at_ == 0) {
      bytes = std::move(first_);
    } else {
      auto converted = convert(c_, found_[at_], want_);
      if (std::holds_alternative<http::response>(converted))
        return deliver({}, false);
      bytes = std::move(std::get<std::string>(converted));
    }
    auto piece = framing_.opening("application/dicom; transfer-syntax=" + want_);
    piece += bytes;
    piece += "\r\n";
    if (++at_ == found_.size())
      piece += framing_.closing();
    deliver(std::move(piece), true);
  }

  call c_;
  std::vector<stored_instance> found_;
  std::string want_;
  std::string first_;
  dicom::multipart_writer framing_;
  std::size_t at_ = 0; // the next instance; one piece is produced at a time
};

http::response stream_converted(call& c, std::vector<stored_instance> found, const std::string& want,
                                std::optional<std::string> front) {
  auto first = front ? std::variant<std::string, http::response>{std::move(*front)}
                     : convert(c, found.front(), want);
  if (auto* failed = std::get_if<http::response>(&first))
    return std::move(*failed);
  auto body = std::make_shared<converted_body>(c, std::move(found), want,
                                               std::move(std::get<std::string>(first)));
  http::response r{200, "multipart/related; type=\"application/dicom\"; boundary=" + body->boundary(), {}};
  r.source = std::move(body);
  return r;
}

/// HEAD of a transcoded answer: its status and media type as GET's would
/// be, short of what only converting can tell (a codec refusing one
/// instance's pixels) and of the length.
http::response converted_head(const std::vector<stored_instance>& found, const std::string& want,
                              const std::string& part_type, bool multipart) {
  for (auto& i : found)
    if (i.record.transfer_syntax != want && too_large_to_convert(i))
      return too_large(i);
  http::response r{200, part_type, {}};
  if (multipart)
    r.content_type = "multipart/related; type=\"application/dicom\"; boundary=" +
                     dicom::multipart_writer{}.boundary();
  r.source = std::make_shared<http::unproduced_body>();
  return r;
}

/// The answer in `media` (a choice retrieve made); `front`: the first
/// instance already converted to it, when retrieve had to try that.
void answer(call& c, const http::request& req, std::vector<stored_instance> found,
            const instance_media& media, std::optional<std::string> front,
            http::responder respond) {
  const auto& want = media.transfer_syntax;
  const bool transcoding = std::any_of(found.begin(), found.end(), [&](auto& i) {
    return want != "*" && want != i.record.transfer_syntax;
  });
  std::uint64_t total = 0;
  for (auto& i : found)
    total += i.record.size;
  if (transcoding) {
    const auto part_type = "application/dicom; transfer-syntax=" + want;
    if (req.head_only) // the head GET would send, without converting anything
      return respond(converted_head(found, want, part_type, media.multipart));
    if (media.multipart && total > streamed_answer)
      return respond(stream_converted(c, std::move(found), want, std::move(front)));
    // Every instance converted first, so a failure answers before any part.
    std::vector<std::string> converted;
    for (auto& i : found) {
      if (front) {
        converted.push_back(std::move(*std::exchange(front, std::nullopt)));
        continue;
      }
      auto bytes = convert(c, i, want);
      if (auto* failed = std::get_if<http::response>(&bytes))
        return respond(std::move(*failed));
      converted.push_back(std::move(std::get<std::string>(bytes)));
    }
    if (!media.multipart)
      return respond({200, part_type, std::move(converted.front()), {}});
    dicom::multipart_writer out;
    for (auto& bytes : converted)
      out.add(part_type, bytes);
    return respond({200, "multipart/related; type=\"application/dicom\"; boundary=" + out.boundary(),
                    out.finish(), {}});
  }
  if (total > streamed_answer)
    return respond(stream_stored(c, found, media.multipart));
  if (!media.multipart) {
    auto& i = found.front();
    std::string bytes;
    if (!c.ctx.files->append_to(i.record.file, bytes))
      return respond(gone(i));
    return respond({200, "application/dicom; transfer-syntax=" + i.record.transfer_syntax,
                    std::move(bytes), {}});
  }
  // Each file is read straight into the answer.
  dicom::multipart_writer out;
  for (auto& i : found)
    if (!c.ctx.files->append_to(i.record.file,
                                out.begin("application/dicom; transfer-syntax=" + i.record.transfer_syntax,
                                          i.record.size)))
      return respond(gone(i));
  auto content_type = "multipart/related; type=\"application/dicom\"; boundary=" + out.boundary();
  respond({200, std::move(content_type), out.finish(), {}});
}


} // namespace

void retrieve(call& c, const http::request& req, std::string_view study, std::string_view series,
              std::string_view sop, http::responder respond) {
  auto choices = negotiate(req, !sop.empty());
  if (choices.empty())
    return respond(error(406, sop.empty()
                                ? "studies and series are retrieved as multipart/related; "
                                  "type=\"application/dicom\""
                                : "an instance is retrieved as application/dicom or "
                                  "multipart/related; type=\"application/dicom\""));
  auto found = find_instances(c, study, series, sop);
  if (found.empty())
    return respond(error(404, what(study, series, sop) + " is not stored"));
  // The first choice this service can produce. Whether a conversion can is
  // known only by trying (a codec may refuse the pixels, as JPEG baseline
  // refuses 16 bits): the first instance needing one is converted here, and
  // a refusal (406) moves on to the next choice; the last refusal answers.
  http::response refused = error(406, "no transfer syntax asked for can be produced");
  for (auto& media : choices) {
    const auto& want = media.transfer_syntax;
    if (want != "*" && !dicom::can_produce(want)) {
      refused = error(406, "this service cannot produce transfer syntax " + want);
      continue;
    }
    auto needing = std::find_if(found.begin(), found.end(), [&](auto& i) {
      return want != "*" && want != i.record.transfer_syntax;
    });
    std::optional<std::string> front;
    if (needing != found.end() && !req.head_only) {
      auto bytes = convert(c, *needing, want);
      if (auto* failed = std::get_if<http::response>(&bytes)) {
        if (failed->status != 406)
          return respond(std::move(*failed));
        refused = std::move(*failed);
        continue;
      }
      if (needing == found.begin()) // else converted again in turn: kept simple
        front = std::move(std::get<std::string>(bytes));
    }
    return answer(c, req, std::move(found), media, std::move(front), std::move(respond));
  }
  respond(std::move(refused));
}

void metadata(call& c, const http::request& req, std::string_view study, std::string_view series,
              std::string_view sop, http::responder respond) {
  if (!accepts_dicom_json(req))
    return respond(error(406, "metadata is answered as application/dicom+json only"));
  auto found = find_instances(c, study, series, sop);
  if (found.empty())
    return respond(error(404, what(study, series, sop) + " is not stored"));
  // The ETag names the last change inside the scope: any store or delete
  // in it changes the answer and the tag.
  std::uint64_t last = 0;
  for (auto& i : found)
    last = std::max(last, i.record.sequence);
  if (sop.empty()) {
    std::string bytes;
    auto key = series.empty() ? keys::dicom_study(c.svc.id, study)
                              : keys::dicom_series(c.svc.id, study, series);
    if (c.ctx.db->get(column::dicom, key, &bytes).is_ok())
      if (auto rec = storage::decode_dicom_group(bytes))
        last = std::max(last, rec->last_sequence);
  }
  auto etag = "\"" + std::to_string(last) + "-" + std::to_string(found.size()) + "\"";
  if (auto inm = req.header("if-none-match"); inm && http::none_match_names(*inm, etag)) {
    http::response r{304, {}, {}, {}};
    r.add_header("ETag", etag);
    return respond(std::move(r));
  }
  std::string body = "[";
  for (auto& i : found) {
    if (body.size() > 1)
      body += ',';
    body += i.record.dataset;
  }
  body += ']';
  http::response r{200, std::string{dicom_json}, std::move(body), {}};
  r.add_header("ETag", etag);
  respond(std::move(r));
}

} // namespace atrium::actors::dicomweb
