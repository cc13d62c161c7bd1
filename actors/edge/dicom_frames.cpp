// WADO-RS frames and rendered images of an instance, through the codecs of
// protocols/dicom/pixels (DCMTK, OpenJPEG). Runs on the edge's work pool.
#include <algorithm>
#include <charconv>

#include "actors/edge/dicom_http.hpp"
#include "protocols/dicom/levels.hpp"
#include "protocols/dicom/multipart.hpp"
#include "protocols/dicom/pixels.hpp"
#include "protocols/http/query.hpp"
#include "storage/dicom_records.hpp"
#include "storage/file_store.hpp"
#include "storage/store.hpp"

namespace atrium::actors::dicomweb {

namespace {

namespace keys = storage::keys;
using storage::column;

/// "1,3,5" → {1, 3, 5}; nullopt on anything else (0 is left to the codec).
/// A frame asked twice is refused too: else a URL of a few kilobytes could
/// ask for thousands of copies of a large frame, all held to be answered.
std::optional<std::vector<std::uint32_t>> parse_frame_list(std::string_view list) {
  std::vector<std::uint32_t> out;
  for (auto item : dicom::split_values(list, ",")) {
    std::uint32_t n = 0;
    auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
    if (ec != std::errc{} || p != item.data() + item.size() ||
        std::find(out.begin(), out.end(), n) != out.end())
      return std::nullopt;
    out.push_back(n);
  }
  if (out.empty())
    return std::nullopt;
  return out;
}

/// What frames are wanted as: part media type and transfer syntax.
struct frame_media {
  bool multipart = true;
  std::string type = "application/octet-stream";
  std::string transfer_syntax{dicom::transfer_syntaxes::explicit_little};
};

std::optional<frame_media> negotiate_frames(const http::request& req, bool one_frame) {
  auto accept = req.header("accept");
  if (!accept || accept->empty())
    return frame_media{};
  for (auto& m : dicom::parse_accept(*accept)) {
    if (m.q <= 0)
      continue;
    if (m.type == "*/*")
      return frame_media{true, "application/octet-stream", "*"};
    auto ts = [&](std::string_view fallback) { return std::string{m.param("transfer-syntax").value_or(fallback)}; };
    if (m.type == "multipart/related") {
      auto type = std::string{m.param("type").value_or("application/octet-stream")};
      if (type == "application/octet-stream")
        return frame_media{true, type, ts(dicom::transfer_syntaxes::explicit_little)};
      if (type == "image/jp2")
        return frame_media{true, type, ts(dicom::transfer_syntaxes::j2k_lossless)};
    } else if (m.type == "application/octet-stream" && one_frame) {
      return frame_media{false, "application/octet-stream", ts(dicom::transfer_syntaxes::explicit_little)};
    }
  }
  return std::nullopt;
}

/// The record of the one instance a request names; answers 404 itself.
std::optional<storage::dicom_instance_record> load_record(const call& c, std::string_view study,
                                                          std::string_view series,
                                                          std::string_view sop,
                                                          http::responder& respond) {
  std::string value;
  std::optional<storage::dicom_instance_record> rec;
  if (c.ctx.db->get(column::dicom, keys::dicom_instance(c.svc.id, study, series, sop), &value).is_ok())
    rec = storage::decode_dicom_instance(value);
  if (!rec)
    respond(error(404, "instance " + std::string{sop} + " is not stored"));
  return rec;
}

/// The one instance a request names, and its bytes; answers 404 itself.
std::optional<std::pair<storage::dicom_instance_record, std::string>>
load(const call& c, std::string_view study, std::string_view series, std::string_view sop,
     http::responder& respond) {
  auto rec = load_record(c, study, series, sop, respond);
  if (!rec)
    return std::nullopt;
  std::string bytes;
  if (!c.ctx.files->append_to(rec->file, bytes)) {
    respond(error(404, "instance " + std::string{sop} + " is not stored"));
    return std::nullopt;
  }
  return std::pair{std::move(*rec), std::move(bytes)};
}

/// HEAD of a frame or rendered answer: GET's status and media type,
/// decided from the instance's record without reading or decoding its
/// pixels, and no length (RFC 9110 9.3.2).
http::response unproduced(std::string content_type) {
  http::response r{200, std::move(content_type), {}};
  r.source = std::make_shared<http::unproduced_body>();
  return r;
}

std::string frames_content_type(const frame_media& media, const std::string& part_type,
                                const std::string& boundary) {
  return media.multipart ? "multipart/related; type=\"" + media.type + "\"; boundary=" + boundary
                         : part_type;
}

} // namespace

void frames(call& c, const http::request& req, std::string_view study, std::string_view series,
            std::string_view sop, std::string_view list, http::responder respond) {
  auto numbers = parse_frame_list(list);
  if (!numbers)
    return respond(error(400, "frames are a comma-separated list of distinct numbers from 1, not '" +
                                std::string{list} + "'"));
  auto media = negotiate_frames(req, numbers->size() == 1);
  if (!media)
    return respond(error(406, "frames are retrieved as multipart/related; type=\"application/octet-stream\" "
                              "(or image/jp2), or one frame as application/octet-stream"));
  if (req.head_only) {
    auto rec = load_record(c, study, series, sop, respond);
    if (!rec)
      return;
    if (media->transfer_syntax != "*" && media->transfer_syntax != rec->transfer_syntax &&
        rec->size > max_codec_input)
      return respond(error(406, "the instance is over 100 MB: ask for transfer-syntax=*"));
    auto outcome = dicom::frames_outcome(*numbers, rec->frames, rec->transfer_syntax,
                                         media->transfer_syntax);
    if (auto* e = std::get_if<dicom::pixel_error>(&outcome))
      return respond(error(e->status, e->message));
    const auto part_type = media->type + "; transfer-syntax=" + std::get<std::string>(outcome);
    return respond(
      unproduced(frames_content_type(*media, part_type, dicom::multipart_writer{}.boundary())));
  }
  auto loaded = load(c, study, series, sop, respond);
  if (!loaded)
    return;
  auto& [rec, bytes] = *loaded;
  if (media->transfer_syntax != "*" && media->transfer_syntax != rec.transfer_syntax &&
      rec.size > max_codec_input)
    return respond(error(406, "the instance is over 100 MB: ask for transfer-syntax=*"));
  std::string produced;
  auto got = dicom::frames(bytes, *numbers, media->transfer_syntax, &produced);
  if (auto* e = std::get_if<dicom::pixel_error>(&got))
    return respond(error(e->status, e->message));
  auto& out_frames = std::get<std::vector<std::string>>(got);
  auto part_type = media->type + "; transfer-syntax=" + produced;
  if (!media->multipart)
    return respond({200, part_type, std::move(out_frames.front()), {}});
  dicom::multipart_writer out;
  for (auto& f : out_frames)
    out.add(part_type, f);
  respond({200, frames_content_type(*media, part_type, out.boundary()), out.finish(), {}});
}

void rendered(call& c, const http::request& req, std::string_view study, std::string_view series,
              std::string_view sop, std::uint32_t frame, http::responder respond) {
  auto format = dicom::image_format::jpeg;
  if (auto accept = req.header("accept"); accept && !accept->empty()) {
    bool ok = false;
    for (auto& m : dicom::parse_accept(*accept)) {
      if (m.q <= 0)
        continue;
      if (m.type == "image/png") {
        format = dicom::image_format::png;
        ok = true;
        break;
      }
      if (m.type == "image/jpeg" || m.type == "image/*" || m.type == "*/*") {
        ok = true;
        break;
      }
    }
    if (!ok)
      return respond(error(406, "rendered images are image/jpeg or image/png"));
  }
  int quality = 100;
  auto params = http::parse_query(http::split_target(req.target).second);
  if (!params)
    return respond(error(400, "the query string has a malformed percent-escape"));
  if (auto q = http::find_param_nocase(*params, "quality")) {
    auto [p, ec] = std::from_chars(q->data(), q->data() + q->size(), quality);
    if (ec != std::errc{} || p != q->data() + q->size() || quality < 1 || quality > 100)
      return respond(error(400, "quality is a whole number from 1 to 100"));
  }
  const std::string content_type = format == dicom::image_format::png ? "image/png" : "image/jpeg";
  if (req.head_only) {
    auto rec = load_record(c, study, series, sop, respond);
    if (!rec)
      return;
    if (rec->size > max_codec_input)
      return respond(error(406, "the instance is over 100 MB; it is not rendered"));
    if (auto e = dicom::render_outcome(frame, rec->frames, rec->transfer_syntax))
      return respond(error(e->status, e->message));
    return respond(unproduced(content_type));
  }
  auto loaded = load(c, study, series, sop, respond);
  if (!loaded)
    return;
  auto& [rec, bytes] = *loaded;
  if (rec.size > max_codec_input)
    return respond(error(406, "the instance is over 100 MB; it is not rendered"));
  auto image = dicom::render(bytes, frame, format, quality);
  if (auto* e = std::get_if<dicom::pixel_error>(&image))
    return respond(error(e->status, e->message));
  respond({200, content_type, std::move(std::get<std::string>(image)), {}});
}

} // namespace atrium::actors::dicomweb
