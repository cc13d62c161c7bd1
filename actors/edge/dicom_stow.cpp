// STOW-RS: store instances from a multipart/related or single-part
// application/dicom body, answering Azure's status codes and DICOM JSON.
#include <atomic>
#include <memory>

#include <caf/send.hpp>

#include "actors/edge/dicom_http.hpp"
#include "protocols/dicom/instance.hpp"
#include "protocols/dicom/multipart.hpp"
#include "protocols/fhir/json_text.hpp"
#include "storage/file_store.hpp"

namespace atrium::actors::dicomweb {

namespace {

/// What became of one part of the request.
struct outcome {
  std::string sop_class, sop;        // empty when the part did not parse
  std::string series, study;
  std::uint16_t failure = 0;          // FailureReason, 0 when stored
  std::uint16_t warning = 0;          // WarningReason
  std::vector<std::string> warnings;  // FailedAttributesSequence comments
  std::string message;                // why it failed, for the log of people
};

void append_element(std::string& out, std::string_view tag, std::string_view vr,
                    std::string_view value_json) {
  if (out.back() != '{')
    out += ',';
  out += '"';
  out += tag;
  out += R"(":{"vr":")";
  out += vr;
  out += R"(","Value":[)";
  out += value_json;
  out += "]}";
}

std::string json_string(std::string_view s) {
  std::string out;
  fhir::append_json_string(out, s);
  return out;
}

std::string sop_item(const outcome& o, const std::string& root) {
  std::string item = "{";
  if (!o.sop_class.empty())
    append_element(item, "00081150", "UI", json_string(o.sop_class));
  if (!o.sop.empty())
    append_element(item, "00081155", "UI", json_string(o.sop));
  if (o.failure) {
    append_element(item, "00081197", "US", std::to_string(o.failure));
  } else {
    append_element(item, "00081190", "UR",
                   json_string(root + "/studies/" + o.study + "/series/" + o.series + "/instances/" +
                          o.sop));
    if (o.warning)
      append_element(item, "00081196", "US", std::to_string(o.warning));
  }
  if (!o.warnings.empty()) {
    std::string comments;
    for (auto& w : o.warnings) {
      if (!comments.empty())
        comments += ',';
      comments += R"({"00000902":{"vr":"LO","Value":[)" + json_string(w) + "]}}";
    }
    append_element(item, "00741048", "SQ", comments);
  }
  item += '}';
  return item;
}

/// The STOW response: 200 all stored, 202 some failed or any warning,
/// 409 none stored.
http::response answer(const std::vector<outcome>& outcomes, std::string_view study,
                      const std::string& root) {
  std::string stored, failed;
  bool warned = false;
  for (auto& o : outcomes) {
    auto& list = o.failure ? failed : stored;
    if (!list.empty())
      list += ',';
    list += sop_item(o, root);
    warned = warned || o.warning;
  }
  std::string body = "{";
  if (!study.empty() && !stored.empty())
    append_element(body, "00081190", "UR", json_string(root + "/studies/" + std::string{study}));
  if (!failed.empty())
    append_element(body, "00081198", "SQ", failed);
  if (!stored.empty())
    append_element(body, "00081199", "SQ", stored);
  body += '}';
  unsigned status = stored.empty() ? 409 : (!failed.empty() || warned) ? 202 : 200;
  return {status, std::string{dicom_json}, std::move(body), {}};
}

/// Counts the parts down; the last one answers the client. Replies arrive
/// on actor threads, each writing its own outcome. A callback dropped
/// unanswered (its actor stopped at shutdown) still lets the client know.
struct gather {
  std::vector<outcome> outcomes;
  std::atomic<std::size_t> left{0};
  std::string study;
  std::string root;
  http::responder respond;
  bool answered = false;
  void done() {
    if (left.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      answered = true;
      respond(answer(outcomes, study, root));
    }
  }
  ~gather() {
    if (!answered)
      respond(error(503, "the service stopped before storing every instance"));
  }
};

} // namespace

void stow(call& c, http::request&& req, std::string_view study, bool upsert,
          http::responder respond) {
  auto content_type = req.header("content-type");
  auto media = content_type ? dicom::parse_media_type(*content_type) : std::nullopt;
  if (!media)
    return respond(error(415, "STOW-RS takes multipart/related; type=\"application/dicom\" or "
                              "application/dicom"));
  if (!accepts_dicom_json(req))
    return respond(error(406, "STOW-RS answers application/dicom+json only"));
  // The parts, as views into the body, which lives as long as the request.
  auto body = std::make_shared<std::string>(std::move(req.body));
  std::vector<dicom::part> parts;
  if (media->type == "application/dicom") {
    if (!body->empty())
      parts.push_back({"application/dicom", *body});
  } else if (media->type == "multipart/related") {
    auto type = media->param("type");
    if (type && *type != "application/dicom")
      return respond(error(415, "STOW-RS stores parts of type application/dicom only (no "
                                "DICOM JSON or XML with bulk data), not '" +
                                  std::string{*type} + "'"));
    auto boundary = media->param("boundary");
    if (!boundary)
      return respond(error(400, "the multipart Content-Type has no boundary parameter"));
    auto split = dicom::parse_multipart(*body, *boundary);
    if (!split)
      return respond(error(400, split.error().message()));
    parts = std::move(*split);
  } else {
    return respond(error(415, "STOW-RS takes multipart/related; type=\"application/dicom\" or "
                              "application/dicom, not '" + media->type + "'"));
  }
  if (parts.empty())
    return respond({204, {}, {}, {}});

  auto g = std::make_shared<gather>();
  g->outcomes.resize(parts.size());
  g->left = parts.size() + 1; // +1 until every part is sent
  g->study = std::string{study};
  g->root = c.root;
  g->respond = std::move(respond);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto& o = g->outcomes[i];
    auto ct = parts[i].content_type.empty() ? std::nullopt
                                            : dicom::parse_media_type(parts[i].content_type);
    if (ct && ct->type != "application/dicom") {
      o.failure = 272;
      o.message = "a part of type " + ct->type + " is not a DICOM instance";
      g->done();
      continue;
    }
    auto parsed = dicom::parse_instance(parts[i].body);
    if (auto* f = std::get_if<dicom::failure>(&parsed)) {
      o.failure = f->reason;
      o.message = f->message;
      g->done();
      continue;
    }
    auto& inst = std::get<dicom::instance>(parsed);
    o.sop_class = inst.sop_class_uid;
    o.sop = inst.sop_uid;
    o.series = inst.series_uid;
    o.study = inst.study_uid;
    o.warnings = inst.warnings;
    if (!study.empty() && inst.study_uid != study) {
      o.failure = 43265;
      o.message = "the instance belongs to study " + inst.study_uid + ", not " + std::string{study};
      g->done();
      continue;
    }
    auto dest = c.ctx.dir->dicom_partition(c.svc.id, inst.study_uid);
    if (!dest) {
      o.failure = 272;
      o.message = "the node is shutting down";
      g->done();
      continue;
    }
    // The bytes are durable in their file before the study partition
    // commits the record that names it.
    auto file = c.ctx.files->put(c.svc.id, parts[i].body);
    if (!file) {
      o.failure = 272;
      o.message = file.error().message();
      g->done();
      continue;
    }
    dicom_request r;
    r.op = dicom_op::store;
    r.service = c.svc.id;
    r.upsert = upsert;
    r.file = *file;
    r.size = parts[i].body.size();
    r.instance = std::move(inst);
    dicom_callback reply = [g, i, files = c.ctx.files, name = *file](dicom_reply rep) {
      auto& o = g->outcomes[i];
      o.failure = rep.failure_reason;
      o.warning = rep.warning_reason;
      if (!rep.status.ok() && !o.failure)
        o.failure = 272;
      o.message = rep.status.message;
      if (o.failure) // refused or not stored: nothing names the file
        files->remove(name);
      g->done();
    };
    caf::anon_send(dest, std::move(r), std::move(reply));
  }
  g->done();
}

} // namespace atrium::actors::dicomweb
