// STOW-RS: store instances from a multipart/related or single-part
// application/dicom body, answering Azure's status codes and DICOM JSON.
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>

#include <caf/send.hpp>

#include "actors/dicom/query_tag_registry.hpp"
#include "actors/edge/dicom_http.hpp"
#include "protocols/dicom/instance.hpp"
#include "protocols/dicom/multipart.hpp"
#include "protocols/fhir/json_text.hpp"
#include "actors/edge/temp_file.hpp"
#include "actors/work_pool.hpp"
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

/// Whether the instance's PatientID is present but empty (it is required).
bool empty_patient_id(const dicom::instance& inst) {
  for (auto& a : inst.attributes)
    if (a.tag == dicom::tags::patient_id)
      return dicom::first_value_text(a).empty();
  return false;
}

/// The STOW response: 200 all stored, 202 some failed or (v2) any warning,
/// 409 none stored.
http::response answer(const std::vector<outcome>& outcomes, std::string_view study,
                      const std::string& root, bool v2) {
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
  unsigned status = stored.empty() ? 409 : (!failed.empty() || (warned && v2)) ? 202 : 200;
  return {status, std::string{dicom_json}, std::move(body), {}};
}

/// A spooled body read through a window, for locate_parts.
class spooled_reader {
public:
  explicit spooled_reader(const http::spooled_body& body) : body_(body) {}
  std::string_view operator()(std::uint64_t offset, std::size_t min) {
    if (offset < start_ || offset + min > start_ + window_.size()) {
      window_.resize(std::max<std::size_t>(min, 1u << 20));
      auto n = body_.read(offset, window_.data(), window_.size());
      if (n < 0)
        throw std::runtime_error("cannot read the spooled request body");
      window_.resize(static_cast<std::size_t>(n));
      start_ = offset;
    }
    return std::string_view{window_}.substr(static_cast<std::size_t>(offset - start_));
  }

private:
  const http::spooled_body& body_;
  std::string window_;
  std::uint64_t start_ = 0;
};

/// Parts are stored by up to this many threads at once.
constexpr std::size_t max_workers = 4;
/// Bytes of a spooled body's parts read into memory at once (DCMTK holds
/// another copy while it parses), so that a request of any size stores in
/// bounded memory. Larger parts are never read into memory (store_large).
constexpr std::uint64_t spooled_bytes_in_memory = 48u << 20;

/// One STOW request. Workers (the calling pool thread, plus a few more when
/// there are several parts) take parts in turn and store each; the study
/// partitions' replies count the parts down, and the last one answers the
/// client. A callback dropped unanswered (its actor stopped at shutdown)
/// still lets the client know.
struct stow_job {
  call c;
  std::string study;
  bool upsert = false;
  std::string body;                               // an in-memory body, or
  std::shared_ptr<const http::spooled_body> spooled; // a spooled one
  std::vector<dicom::part_extent> parts;
  std::vector<outcome> outcomes;
  http::responder respond;

  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> left{0};
  bool answered = false;
  // Spooled bodies: bytes of parts in memory, bounded.
  std::mutex memory_mutex;
  std::condition_variable memory_freed;
  std::uint64_t in_memory = 0;

  /// The service's extended query tags: checked like the searchable
  /// attributes, a malformed value a warning (Azure validates them all).
  std::vector<dicom::query_tag> checked;

  stow_job(call& call_, std::string_view study_, bool upsert_)
    : c(call_), study(study_), upsert(upsert_), checked(c.ctx.query_tags->of(c.svc.id)) {}

  void done() {
    if (left.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      answered = true;
      respond(answer(outcomes, study, c.root, c.v2));
    }
  }
  ~stow_job() {
    if (!answered && respond) // set once the parts are sent
      respond(error(503, "the service stopped before storing every instance"));
  }

  /// v1 refuses an instance whose searchable attributes fail their VR;
  /// v2 checks every attribute and warns.
  dicom::vr_checks checks() const {
    return c.v2 ? dicom::vr_checks::every : dicom::vr_checks::searchable;
  }

  /// Takes parts until none is left.
  void work(const std::shared_ptr<stow_job>& self) {
    for (auto i = next.fetch_add(1); i < parts.size(); i = next.fetch_add(1)) {
      const auto& p = parts[i];
      if (!spooled) {
        auto bytes = std::string_view{body}.substr(p.offset, p.length);
        store(self, i, dicom::parse_instance(bytes, nullptr, checked, checks()), bytes);
      } else if (p.length > spooled_bytes_in_memory) {
        store_large(self, i);
      } else {
        reserve_memory(p.length);
        std::string bytes(p.length, '\0');
        if (spooled->read(p.offset, bytes.data(), bytes.size()) == static_cast<std::int64_t>(p.length))
          store(self, i, dicom::parse_instance(bytes, nullptr, checked, checks()), bytes);
        else
          refuse(i, 272, "cannot read the spooled request body");
        std::string{}.swap(bytes);
        release_memory(p.length);
      }
    }
  }

  void reserve_memory(std::uint64_t n) {
    std::unique_lock lock{memory_mutex};
    memory_freed.wait(lock, [&] { return in_memory + n <= spooled_bytes_in_memory; });
    in_memory += n;
  }
  void release_memory(std::uint64_t n) {
    std::lock_guard lock{memory_mutex};
    in_memory -= n;
    memory_freed.notify_all();
  }

  void refuse(std::size_t i, std::uint16_t reason, std::string message) {
    outcomes[i].failure = reason;
    outcomes[i].message = std::move(message);
    done();
  }

  /// A part larger than the memory bound: copied to a file of its own that
  /// DCMTK reads without loading bulk data (mapped for the header walk,
  /// which touches headers only), then written to the file store a few MiB
  /// at a time from the spooled body.
  void store_large(const std::shared_ptr<stow_job>& self, std::size_t i) {
    const auto& p = parts[i];
    int fd = open_temp_file(c.ctx.spool_dir);
    if (fd < 0)
      return refuse(i, 272, "cannot make a temporary file in " + c.ctx.spool_dir.string());
    std::string chunk(1u << 20, '\0');
    bool copied = true;
    for (std::uint64_t at = 0; copied && at < p.length; at += chunk.size()) {
      auto n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), p.length - at));
      copied = spooled->read(p.offset + at, chunk.data(), n) == static_cast<std::int64_t>(n) &&
               write_all(fd, chunk.data(), n);
    }
    void* map = copied ? ::mmap(nullptr, p.length, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
    if (map == MAP_FAILED) {
      ::close(fd);
      return refuse(i, 272, "cannot copy the instance to " + c.ctx.spool_dir.string());
    }
    const auto path = "/proc/self/fd/" + std::to_string(fd);
    auto parsed = dicom::parse_instance({static_cast<const char*>(map), p.length}, path.c_str(),
                                        checked, checks());
    ::munmap(map, p.length);
    ::close(fd);
    store(self, i, std::move(parsed), {}, [this, &p](std::uint64_t at, char* into, std::size_t n) {
      return spooled->read(p.offset + at, into, n) == static_cast<std::int64_t>(n);
    });
  }

  /// Stores a parsed part: writes its bytes (`bytes`, or `size` bytes from
  /// `read`), then sends its record to its study's partition; done() once
  /// the partition answers, or at once on a refusal.
  void store(const std::shared_ptr<stow_job>& self, std::size_t i,
             std::variant<dicom::instance, dicom::failure> parsed, std::string_view bytes,
             const storage::file_store::source& read = {}) {
    if (auto* f = std::get_if<dicom::failure>(&parsed)) {
      // A validation failure says what failed, as Azure's do, in the
      // item's FailedAttributesSequence, and names the instance it read.
      if (f->reason == 43264) {
        outcomes[i].sop_class = f->sop_class_uid;
        outcomes[i].sop = f->sop_uid;
        outcomes[i].warnings = {f->message};
      }
      return refuse(i, f->reason, f->message);
    }
    auto& o = outcomes[i];
    auto& inst = std::get<dicom::instance>(parsed);
    o.sop_class = inst.sop_class_uid;
    o.sop = inst.sop_uid;
    o.series = inst.series_uid;
    o.study = inst.study_uid;
    if (!c.v2 && !inst.warnings.empty()) {
      o.warnings = inst.warnings;
      return refuse(i, 43264, "an attribute does not validate against its VR (v1 refuses it)");
    }
    // PatientID is required: v1 refuses it empty; v2 stores it with a
    // warning, as Azure's does.
    if (empty_patient_id(inst)) {
      if (!c.v2) {
        o.warnings = {"(0010,0020) - PatientID is empty (v1 requires a value)"};
        return refuse(i, 43264, "PatientID is empty");
      }
      inst.warnings.push_back("(0010,0020) - PatientID, a required attribute, is empty");
    }
    o.warnings = inst.warnings;
    if (!study.empty() && inst.study_uid != study)
      return refuse(i, 43265, "the instance belongs to study " + inst.study_uid + ", not " + study);
    auto dest = c.ctx.dir->dicom_partition(c.svc.id, inst.study_uid);
    if (!dest)
      return refuse(i, 272, "the node is shutting down");
    // The bytes are durable in their file before the study partition
    // commits the record that names it.
    const auto size = read ? parts[i].length : bytes.size();
    auto file = read ? c.ctx.files->put(c.svc.id, size, read) : c.ctx.files->put(c.svc.id, bytes);
    if (!file)
      return refuse(i, 272, file.error().message());
    dicom_request r;
    r.op = dicom_op::store;
    r.service = c.svc.id;
    r.upsert = upsert;
    r.file = *file;
    r.size = size;
    r.instance = std::move(inst);
    dicom_callback reply = [self, i, files = c.ctx.files, name = *file](dicom_reply rep) {
      auto& o = self->outcomes[i];
      o.failure = rep.failure_reason;
      o.warning = rep.warning_reason;
      if (!rep.status.ok() && !o.failure)
        o.failure = 272;
      o.message = rep.status.message;
      // Refused as a duplicate: nothing names the file. After any other
      // failure the record may be written but not known durable (a failed
      // sync), so the bytes stay: space, never a record without bytes.
      if (rep.status.code == errc::conflict)
        files->remove(name);
      self->done();
    };
    caf::anon_send(dest, std::move(r), std::move(reply));
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
  auto job = std::make_shared<stow_job>(c, study, upsert);
  job->body = std::move(req.body);
  job->spooled = std::move(req.spooled);
  const std::uint64_t size = job->spooled ? job->spooled->size() : job->body.size();
  if (media->type == "application/dicom") {
    if (size > 0)
      job->parts.push_back({"application/dicom", 0, size});
  } else if (media->type == "multipart/related") {
    auto type = media->param("type");
    if (type && *type != "application/dicom")
      return respond(error(415, "STOW-RS stores parts of type application/dicom only (no "
                                "DICOM JSON or XML with bulk data), not '" +
                                  std::string{*type} + "'"));
    auto boundary = media->param("boundary");
    if (!boundary)
      return respond(error(415, "the multipart Content-Type has no boundary parameter"));
    result<std::vector<dicom::part_extent>> split = std::vector<dicom::part_extent>{};
    try {
      if (job->spooled) {
        spooled_reader reader{*job->spooled};
        split = dicom::locate_parts(*boundary, std::ref(reader));
      } else {
        std::string_view body = job->body;
        split = dicom::locate_parts(*boundary, [body](std::uint64_t offset, std::size_t) {
          return offset < body.size() ? body.substr(offset) : std::string_view{};
        });
      }
    } catch (const std::runtime_error& e) {
      return respond(error(500, e.what()));
    }
    if (!split)
      return respond(error(400, split.error().message()));
    job->parts = std::move(*split);
    // Every part is an instance or the request is refused whole, before
    // anything is stored, as Azure's is.
    for (std::size_t i = 0; i < job->parts.size(); ++i) {
      const auto& type = job->parts[i].content_type;
      auto ct = type.empty() ? std::nullopt : dicom::parse_media_type(type);
      if (!type.empty() && (!ct || ct->type != "application/dicom"))
        return respond(error(415, "part " + std::to_string(i + 1) + " is of type '" + type +
                                    "'; STOW-RS stores parts of type application/dicom only"));
    }
  } else {
    return respond(error(415, "STOW-RS takes multipart/related; type=\"application/dicom\" or "
                              "application/dicom, not '" + media->type + "'"));
  }
  if (job->parts.empty())
    return respond({204, {}, {}, {}});

  job->outcomes.resize(job->parts.size());
  job->left = job->parts.size();
  job->respond = std::move(respond);
  const auto helpers = std::min(max_workers, job->parts.size()) - 1;
  for (std::size_t h = 0; h < helpers; ++h)
    if (!c.ctx.ingest->submit([job] { job->work(job); }))
      break; // the pool is busy: fewer workers
  job->work(job);
}

} // namespace atrium::actors::dicomweb
