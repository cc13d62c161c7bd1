#include "actors/dicom/fhir_mirror.hpp"

#include <chrono>
#include <cstdio>
#include <future>
#include <map>

#include <simdjson.h>

#include "actors/dicom/change_sequences.hpp"
#include "actors/directory.hpp"
#include "actors/edge/router.hpp"
#include "protocols/dicom/fhir_mapping.hpp"
#include "protocols/dicom/qido.hpp"
#include "storage/dicom_records.hpp"
#include "storage/store.hpp"

namespace atrium::actors {

namespace {

namespace keys = storage::keys;
using storage::column;

/// Changes per Bundle: a few hundred resources at most (the Bundle limit is
/// 500 entries; a study is 2 entries).
constexpr std::uint64_t batch_changes = 100;
constexpr auto idle_wait = std::chrono::milliseconds(200);
constexpr auto failure_wait = std::chrono::seconds(2);

/// The FHIR service a DICOM service mirrors into, from its properties.
std::string linked_fhir(const service_info& dicom) {
  simdjson::dom::parser parser;
  std::string_view name;
  if (parser.parse(dicom.properties).at_key("fhirService").get(name))
    return {};
  return std::string{name};
}

std::uint64_t read_cursor(const storage::store& db, std::uint32_t svc) {
  std::string bytes;
  if (!db.get(column::meta, keys::dicom_mirror_cursor(svc), &bytes).is_ok() || bytes.size() != 8)
    return 0;
  return keys::read_u64(bytes.data());
}

/// The study as it is now: its instances, the one stored last at the end.
dicom::mirrored_study load_study(const storage::store& db, std::uint32_t svc, const std::string& uid) {
  dicom::mirrored_study study{uid, {}};
  std::vector<std::pair<std::uint64_t, dicom::mirrored_instance>> found;
  auto prefix = keys::dicom_instances_prefix(svc, uid);
  for (auto cur = db.scan(column::dicom, prefix, keys::prefix_end(prefix)); cur.valid(); cur.next()) {
    auto uids = keys::parse_dicom_instance(cur.key());
    auto rec = storage::decode_dicom_instance(cur.value());
    if (!uids || !rec)
      continue;
    found.push_back({rec->sequence,
                     {std::string{uids->series}, std::string{uids->sop}, rec->sop_class_uid,
                      dicom::parse_dataset(rec->dataset)}});
  }
  std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.first < b.first; });
  for (auto& [seq, inst] : found)
    study.instances.push_back(std::move(inst));
  return study;
}

} // namespace

fhir_mirror::fhir_mirror(edge_context& edge, storage::store& db, change_sequences& sequences,
                         std::string base_url)
  : edge_(edge), db_(db), sequences_(sequences), base_url_(std::move(base_url)) {}

fhir_mirror::~fhir_mirror() { stop(); }

void fhir_mirror::start() { thread_ = std::thread([this] { run(); }); }

void fhir_mirror::stop() {
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

void fhir_mirror::run() {
  for (;;) {
    bool busy = false, failed = false;
    for (auto& dicom : edge_.dir->services()) {
      if (dicom.kind != service_kind::dicom)
        continue;
      auto fhir_name = linked_fhir(dicom);
      if (fhir_name.empty())
        continue;
      auto fhir = edge_.dir->find_service(dicom.workspace, fhir_name);
      if (!fhir || fhir->kind != service_kind::fhir)
        continue;
      {
        std::lock_guard lock{mutex_};
        if (stopping_)
          return;
      }
      switch (mirror_batch(dicom, *fhir)) {
        case outcome::progress: busy = true; break; // there may be more
        case outcome::failed: failed = true; break;
        case outcome::idle: break;
      }
    }
    std::unique_lock lock{mutex_};
    if (stopping_)
      return;
    if (!busy)
      wake_.wait_for(lock, failed ? failure_wait : idle_wait);
  }
}

fhir_mirror::outcome fhir_mirror::mirror_batch(const service_info& dicom, const service_info& fhir) {
  const auto svc = dicom.id;
  const auto cursor = read_cursor(db_, svc);
  const auto end = std::min(sequences_.visible_end(svc), cursor + 1 + batch_changes);
  if (end <= cursor + 1)
    return outcome::idle;
  std::vector<std::string> studies;
  std::uint64_t last = cursor;
  for (auto cur = db_.scan(column::dicom, keys::dicom_change(svc, cursor + 1), keys::dicom_change(svc, end));
       cur.valid(); cur.next()) {
    last = keys::read_u64(cur.key().data() + cur.key().size() - 8);
    if (auto ch = storage::decode_dicom_change(cur.value()))
      if (std::find(studies.begin(), studies.end(), ch->study) == studies.end())
        studies.push_back(ch->study);
  }
  if (last == cursor)
    return outcome::idle;
  std::vector<dicom::mirrored_study> state;
  for (auto& uid : studies)
    state.push_back(load_study(db_, svc, uid));
  auto log = [&](const std::string& what, const http::response& r) {
    std::fprintf(stderr, "atrium: DICOM→FHIR mirror of %s/%s into %s%s: HTTP %u %s\n",
                 dicom.workspace.c_str(), dicom.name.c_str(), fhir.name.c_str(), what.c_str(),
                 r.status, r.body.substr(0, 300).c_str());
  };
  // A refusal is the FHIR service's answer to what was sent; anything else
  // (no answer, 5xx, 429) may pass.
  auto refused = [](const http::response& r) {
    return r.status >= 400 && r.status < 500 && r.status != 408 && r.status != 429;
  };
  auto r = send(dicom, fhir, state);
  if (!r)
    return outcome::failed;
  if (r->status != 200) {
    log("", *r);
    if (!refused(*r))
      return outcome::failed;
    for (auto& study : state) {
      auto alone = send(dicom, fhir, {study});
      if (!alone || (alone->status != 200 && !refused(*alone)))
        return outcome::failed;
      if (alone->status != 200)
        log(" (study " + study.study_uid + " passed over)", *alone);
    }
  }
  std::string next;
  keys::append_u64(next, last);
  return db_.write({{column::meta, false, false, keys::dicom_mirror_cursor(svc), next}}, true).is_ok()
           ? outcome::progress
           : outcome::failed;
}

std::optional<http::response> fhir_mirror::send(const service_info& dicom,
                                                const service_info& fhir,
                                                const std::vector<dicom::mirrored_study>& studies) {
  http::request req;
  req.method = "POST";
  req.target = "/" + fhir.workspace + "/" + fhir.name;
  req.headers = {{"content-type", "application/fhir+json"}, {"prefer", "return=minimal"}};
  req.body = dicom::mirror_bundle(studies, dicom.workspace + "/" + dicom.name,
                                  base_url_ + "/" + dicom.workspace + "/" + dicom.name + "/v2");
  auto answered = std::make_shared<std::promise<http::response>>();
  auto response = answered->get_future();
  serve_fhir_bundle(edge_, fhir, std::move(req),
                    [answered](http::response r) { answered->set_value(std::move(r)); });
  if (response.wait_for(std::chrono::seconds(60)) != std::future_status::ready)
    return std::nullopt;
  return response.get();
}

} // namespace atrium::actors
