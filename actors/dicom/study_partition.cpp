#include "actors/dicom/study_partition.hpp"

#include <algorithm>
#include <iterator>
#include <map>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/dicom/change_sequences.hpp"
#include "actors/dicom/query_tag_registry.hpp"
#include "actors/node_context.hpp"
#include "protocols/dicom/instance.hpp"
#include "protocols/dicom/levels.hpp"
#include "protocols/fhir/instant.hpp"
#include "protocols/fhir/json_text.hpp"
#include "protocols/dicom/qido.hpp"
#include "actors/work_pool.hpp"
#include "storage/dicom_index.hpp"
#include "storage/file_store.hpp"
#include "storage/store.hpp"

namespace atrium::actors {

namespace {

using self_ptr = dicom_actor::stateful_pointer<study_partition_state>;
using storage::column;
using storage::write_op;
namespace keys = storage::keys;

dicom_reply failed(errc code, std::string message, std::uint16_t reason = 0) {
  dicom_reply r;
  r.status = {code, std::move(message), {}};
  r.failure_reason = reason;
  return r;
}

/// The attributes of one level, as a DICOM JSON object: the built-in ones
/// and the service's extended query tags of that level, a private one
/// under its tag as registered (whichever block its creator has here).
std::string level_attributes(self_ptr self, const std::vector<dicom::attribute>& attrs,
                             dicom::level l) {
  auto extended = self->state.ctx->query_tags ? self->state.ctx->query_tags->of(self->state.service)
                                              : std::vector<dicom::query_tag>{};
  std::vector<dicom::attribute> picked;
  for (auto& a : attrs)
    if (auto known = dicom::find_attribute(a.tag); known && known->level == l)
      picked.push_back(a);
  for (auto& t : extended)
    if (t.level == l)
      if (auto* a = dicom::find_tag_value(attrs, t)) {
        picked.push_back(*a);
        picked.back().tag = t.tag;
      }
  std::sort(picked.begin(), picked.end(), [](auto& x, auto& y) { return x.tag < y.tag; });
  return dicom::dataset_json(picked);
}

std::string modality_of(const dicom::instance& inst) {
  for (auto& a : inst.attributes)
    if (a.tag == dicom::tags::modality)
      return dicom::first_value_text(a);
  return {};
}

/// "CT\MR" with `m` added when absent.
std::string with_modality(std::string list, const std::string& m) {
  if (m.empty())
    return list;
  for (auto v : dicom::split_values(list))
    if (v == m)
      return list;
  return list.empty() ? m : list + "\\" + m;
}

/// A study or series record as the next write must see it: in flight, or
/// stored, or none yet.
std::optional<storage::dicom_group_record> current_record(self_ptr self, const std::string& key) {
  auto& st = self->state;
  if (auto it = st.records.find(key); it != st.records.end())
    return it->second.record;
  std::string bytes;
  if (!st.ctx->db->get(column::dicom, key, &bytes).is_ok())
    return std::nullopt;
  return storage::decode_dicom_group(bytes);
}

/// Moves a study's QIDO index entries from what `before` indexed to what
/// `after` does (nullopt: no record), in the same batch as the record.
void reindex_study(std::vector<write_op>& ops, std::uint32_t svc, const std::string& study,
                   const std::optional<storage::dicom_group_record>& before,
                   const std::optional<storage::dicom_group_record>& after) {
  auto old_keys = before ? storage::dicom_index_keys(svc, study, *before) : std::vector<std::string>{};
  auto new_keys = after ? storage::dicom_index_keys(svc, study, *after) : std::vector<std::string>{};
  std::vector<std::string> gone, added;
  std::set_difference(old_keys.begin(), old_keys.end(), new_keys.begin(), new_keys.end(),
                      std::back_inserter(gone));
  std::set_difference(new_keys.begin(), new_keys.end(), old_keys.begin(), old_keys.end(),
                      std::back_inserter(added));
  for (auto& k : gone)
    ops.push_back({column::dicom, true, false, std::move(k), {}});
  for (auto& k : added)
    ops.push_back({column::dicom, false, false, std::move(k), {}});
}

/// The file of the instance as the next write must see it (in flight or
/// stored); nullopt when there is no such instance.
std::optional<std::string> current_file(self_ptr self, const std::string& key) {
  auto& st = self->state;
  if (auto it = st.instances.find(key); it != st.instances.end())
    return it->second.file;
  std::string bytes;
  if (!st.ctx->db->get(column::dicom, key, &bytes).is_ok())
    return std::nullopt;
  auto rec = storage::decode_dicom_instance(bytes);
  return rec ? rec->file : std::string{};
}

/// Deletes the re-index error records under `prefix` (an instance's,
/// series' or study's, keys::dicom_tag_errors_prefix): the values they name
/// are gone or replaced. Re-index jobs, which write them, run with the
/// study alone, so none is in flight.
void drop_tag_errors(self_ptr self, const std::string& prefix, std::vector<write_op>& ops) {
  const auto svc = self->state.service;
  for (auto cur = self->state.ctx->db->scan(column::dicom, prefix, keys::prefix_end(prefix));
       cur.valid(); cur.next())
    if (auto k = keys::parse_dicom_tag_error(cur.key()))
      storage::erase_tag_error(ops, svc, *k);
}

/// Unlinks files whose records are gone, off the actor thread when it can.
void remove_files(self_ptr self, std::vector<std::string> names) {
  auto* files = self->state.ctx->files;
  if (!files || names.empty())
    return;
  auto job = [files, names] {
    for (auto& n : names)
      files->remove(n);
  };
  auto* pool = self->state.ctx->background;
  if (!pool || !pool->submit(job))
    job();
}

void handle(self_ptr self, dicom_request& req, dicom_callback reply);

/// Runs what waited for `study` once nothing of it is in flight.
void release_study(self_ptr self, const std::string& study) {
  auto it = self->state.studies.find(study);
  if (it == self->state.studies.end() || it->second.stores > 0 || it->second.removing)
    return;
  auto waiting = std::move(it->second.waiting);
  self->state.studies.erase(it);
  for (auto& run : waiting)
    run();
}

/// Queues the request when its study is busy in a way it must not overlap:
/// a store waits for a delete or re-index, those wait for everything.
bool wait_for_study(self_ptr self, dicom_request& req, dicom_callback& reply) {
  auto it = self->state.studies.find(req.op == dicom_op::store ? req.instance.study_uid
                                                               : req.study);
  if (it == self->state.studies.end())
    return false;
  auto& w = it->second;
  bool busy = w.removing || !w.waiting.empty() || (req.op != dicom_op::store && w.stores > 0);
  if (!busy)
    return false;
  w.waiting.push_back([self, req = std::move(req), reply = std::move(reply)]() mutable {
    handle(self, req, std::move(reply));
  });
  return true;
}

void send_to_writer(self_ptr self, std::vector<write_op> ops,
                    std::function<void(reply_status)> done) {
  auto shard = (std::uint64_t{self->state.service} << 32) | 0xD1C0u;
  // No timeout: the local writer answers every batch (see fhir partitions).
  self->request(self->state.ctx->writer_for(shard), caf::infinite, write_request{std::move(ops)})
    .then([done](write_ack& ack) { done(std::move(ack.status)); },
          [done](caf::error& err) {
            done({errc::unavailable, "the storage writer failed: " + caf::to_string(err), {}});
          });
}

void store_instance(self_ptr self, dicom_request& req, dicom_callback reply) {
  auto& st = self->state;
  auto& inst = req.instance;
  const auto svc = st.service;
  auto instance_key = keys::dicom_instance(svc, inst.study_uid, inst.series_uid, inst.sop_uid);
  const auto replaced = current_file(self, instance_key);
  const bool existed = replaced.has_value();
  if (existed && !req.upsert)
    return reply(failed(errc::conflict, "instance " + inst.sop_uid + " is already stored", 45070));

  const auto seq = st.ctx->sequences->begin(svc);
  const auto now = st.ctx->clock.now_micros();
  std::vector<write_op> ops;
  storage::dicom_instance_record rec;
  rec.sequence = seq;
  rec.stored_micros = now;
  rec.size = req.size;
  rec.file = req.file;
  rec.frames = inst.frames;
  rec.transfer_syntax = inst.transfer_syntax;
  rec.sop_class_uid = inst.sop_class_uid;
  rec.dataset = dicom::dataset_json(inst.attributes);
  ops.push_back({column::dicom, false, false, instance_key, storage::encode(rec)});
  if (existed)
    drop_tag_errors(self, keys::dicom_tag_errors_prefix(svc, inst.study_uid, inst.series_uid,
                                                        inst.sop_uid), ops);

  // The latest instance's attributes win at its series and study level.
  const auto modality = modality_of(inst);
  auto series_key = keys::dicom_series(svc, inst.study_uid, inst.series_uid);
  auto series = current_record(self, series_key);
  const bool new_series = !series;
  storage::dicom_group_record s = series.value_or(storage::dicom_group_record{});
  s.last_sequence = seq;
  s.instances += existed ? 0 : 1;
  s.modalities = modality; // a series has one modality
  s.attributes = level_attributes(self, inst.attributes, dicom::level::series);
  auto study_key = keys::dicom_study(svc, inst.study_uid);
  const auto study_before = current_record(self, study_key);
  storage::dicom_group_record t = study_before.value_or(storage::dicom_group_record{});
  t.last_sequence = seq;
  t.instances += existed ? 0 : 1;
  t.series += new_series ? 1 : 0;
  t.modalities = with_modality(std::move(t.modalities), modality);
  t.attributes = level_attributes(self, inst.attributes, dicom::level::study);
  ops.push_back({column::dicom, false, false, series_key, storage::encode(s)});
  ops.push_back({column::dicom, false, false, study_key, storage::encode(t)});
  reindex_study(ops, svc, inst.study_uid, study_before, t);

  storage::dicom_change_record change{existed ? storage::dicom_action::update
                                              : storage::dicom_action::create,
                                      now, inst.study_uid, inst.series_uid, inst.sop_uid};
  ops.push_back({column::dicom, false, false, keys::dicom_change(svc, seq), storage::encode(change)});

  // In flight: later writes of this study build on these records.
  for (auto* r : {&series_key, &study_key}) {
    auto& p = st.records[*r];
    p.record = r == &series_key ? s : t;
    ++p.count;
  }
  auto& pending = st.instances[instance_key];
  ++pending.count;
  pending.file = req.file;
  ++st.studies[inst.study_uid].stores;
  const auto warning = dicom::stow_warning_reason(inst);
  // An upsert's old file goes once the record naming the new one is durable.
  auto old_file = existed ? *replaced : std::string{};
  send_to_writer(self, std::move(ops),
                 [self, seq, series_key, study_key, instance_key, study = inst.study_uid, warning,
                  old_file, reply = std::move(reply)](reply_status status) {
                   auto& st = self->state;
                   st.ctx->sequences->end(st.service, seq);
                   for (auto* k : {&series_key, &study_key}) {
                     auto it = st.records.find(*k);
                     // A failed write leaves the store as it was: forget what
                     // was built on it, the next write reads the store.
                     if (it != st.records.end() && (--it->second.count == 0 || !status.ok()))
                       st.records.erase(it);
                   }
                   if (auto it = st.instances.find(instance_key);
                       it != st.instances.end() && (--it->second.count == 0 || !status.ok()))
                     st.instances.erase(it);
                   if (status.ok() && !old_file.empty())
                     remove_files(self, {old_file});
                   --st.studies[study].stores;
                   dicom_reply r;
                   r.status = std::move(status);
                   if (!r.status.ok())
                     r.failure_reason = 272;
                   else
                     r.warning_reason = warning;
                   reply(std::move(r));
                   release_study(self, study);
                 });
}

struct doomed_instance {
  std::string series, sop, file;
};

void remove(self_ptr self, dicom_request& req, dicom_callback reply) {
  auto& st = self->state;
  const auto svc = st.service;
  // What the request names, from the store (nothing of the study is in flight).
  std::vector<doomed_instance> doomed;
  auto prefix = req.sop.empty() ? keys::dicom_instances_prefix(svc, req.study, req.series)
                                : keys::dicom_instance(svc, req.study, req.series, req.sop);
  auto upper = req.sop.empty() ? keys::prefix_end(prefix) : prefix + '\0';
  for (auto cur = st.ctx->db->scan(column::dicom, prefix, upper); cur.valid(); cur.next()) {
    auto uids = keys::parse_dicom_instance(cur.key());
    if (!uids)
      continue;
    auto rec = storage::decode_dicom_instance(cur.value());
    doomed.push_back({std::string{uids->series}, std::string{uids->sop}, rec ? rec->file : std::string{}});
  }
  if (doomed.empty()) {
    std::string what = !req.sop.empty() ? "instance " + req.sop
                       : !req.series.empty() ? "series " + req.series
                                             : "study " + req.study;
    return reply(failed(errc::not_found, what + " is not stored"));
  }
  const auto now = st.ctx->clock.now_micros();
  std::vector<write_op> ops;
  std::vector<std::uint64_t> seqs;
  std::uint64_t last_seq = 0;
  for (auto& d : doomed) {
    last_seq = st.ctx->sequences->begin(svc);
    seqs.push_back(last_seq);
    ops.push_back({column::dicom, true, false, keys::dicom_instance(svc, req.study, d.series, d.sop), {}});
    storage::dicom_change_record change{storage::dicom_action::remove, now, req.study, d.series, d.sop};
    ops.push_back({column::dicom, false, false, keys::dicom_change(svc, last_seq), storage::encode(change)});
  }

  drop_tag_errors(self, keys::dicom_tag_errors_prefix(svc, req.study, req.series, req.sop), ops);

  // Series and study records: counts down, gone when empty.
  std::unordered_map<std::string, std::uint32_t> removed_per_series;
  for (auto& d : doomed)
    ++removed_per_series[d.series];
  auto study_key = keys::dicom_study(svc, req.study);
  auto study = current_record(self, study_key);
  std::string modalities;
  std::uint32_t series_left = 0, instances_left = 0;
  {
    auto series_prefix = keys::dicom_series_prefix(svc, req.study);
    auto cur = st.ctx->db->scan(column::dicom, series_prefix, keys::prefix_end(series_prefix));
    for (; cur.valid(); cur.next()) {
      auto rec = storage::decode_dicom_group(cur.value());
      if (!rec)
        continue;
      std::string uid{cur.key().substr(series_prefix.size())};
      auto gone = removed_per_series.find(uid);
      auto left = rec->instances - std::min(rec->instances,
                                            gone == removed_per_series.end() ? 0u : gone->second);
      if (left == 0) {
        ops.push_back({column::dicom, true, false, std::string{cur.key()}, {}});
        continue;
      }
      if (gone != removed_per_series.end()) {
        rec->instances = left;
        rec->last_sequence = last_seq;
        ops.push_back({column::dicom, false, false, std::string{cur.key()}, storage::encode(*rec)});
      }
      ++series_left;
      instances_left += left;
      modalities = with_modality(std::move(modalities), rec->modalities);
    }
  }
  const auto study_before = study;
  if (instances_left == 0 || !study) {
    ops.push_back({column::dicom, true, false, study_key, {}});
    study.reset();
  } else {
    study->instances = instances_left;
    study->series = series_left;
    study->modalities = modalities;
    study->last_sequence = last_seq;
    ops.push_back({column::dicom, false, false, study_key, storage::encode(*study)});
  }
  reindex_study(ops, svc, req.study, study_before, study);
  st.studies[req.study].removing = true;
  auto count = static_cast<std::uint32_t>(doomed.size());
  std::vector<std::string> files;
  for (auto& d : doomed)
    files.push_back(std::move(d.file));
  send_to_writer(self, std::move(ops),
                 [self, seqs, count, files, study = req.study, reply = std::move(reply)](reply_status status) {
                   auto& st = self->state;
                   for (auto s : seqs)
                     st.ctx->sequences->end(st.service, s);
                   st.studies[study].removing = false;
                   if (status.ok())
                     remove_files(self, files);
                   dicom_reply r;
                   r.status = std::move(status);
                   if (r.status.ok())
                     r.removed = count;
                   reply(std::move(r));
                   release_study(self, study);
                 });
}

/// Rebuilds a study's study and series records from their latest
/// instances, so attributes of newly added extended query tags are in them,
/// and records each instance whose value of such a tag fails its VR.
void reindex(self_ptr self, dicom_request& req, dicom_callback reply) {
  auto& st = self->state;
  const auto svc = st.service;
  std::vector<dicom::query_tag> adding;
  for (auto& t : st.ctx->query_tags->of(svc))
    if (!t.ready)
      adding.push_back(std::move(t));
  std::vector<write_op> ops;
  const auto found = fhir::format_instant(st.ctx->clock.now_micros());
  struct latest {
    std::uint64_t sequence = 0;
    std::string dataset;
  };
  std::map<std::string, latest> per_series;
  latest overall;
  auto prefix = keys::dicom_instances_prefix(svc, req.study);
  for (auto cur = st.ctx->db->scan(column::dicom, prefix, keys::prefix_end(prefix)); cur.valid();
       cur.next()) {
    auto uids = keys::parse_dicom_instance(cur.key());
    auto rec = storage::decode_dicom_instance(cur.value());
    if (!uids || !rec)
      continue;
    if (std::any_of(adding.begin(), adding.end(),
                    [&](auto& t) { return rec->sequence < t.validate_below; })) {
      const auto attrs = dicom::parse_dataset(rec->dataset);
      for (auto& t : adding) {
        const auto* a = rec->sequence < t.validate_below ? dicom::find_tag_value(attrs, t) : nullptr;
        auto problem = a ? dicom::value_problem(*a, t.vr) : std::nullopt;
        if (!problem)
          continue;
        std::string json = R"({"CreatedTime":")" + found + R"(","ErrorMessage":)";
        fhir::append_json_string(json, *problem);
        storage::put_tag_error(ops, svc, {uids->study, uids->series, uids->sop, t.tag},
                               json + '}');
      }
    }
    auto& s = per_series[std::string{uids->series}];
    if (rec->sequence >= s.sequence)
      s = {rec->sequence, rec->dataset};
    if (rec->sequence >= overall.sequence)
      overall = {rec->sequence, std::move(rec->dataset)};
  }
  for (auto& [series, l] : per_series) {
    auto key = keys::dicom_series(svc, req.study, series);
    if (auto rec = current_record(self, key)) {
      rec->attributes = level_attributes(self, dicom::parse_dataset(l.dataset), dicom::level::series);
      ops.push_back({column::dicom, false, false, key, storage::encode(*rec)});
    }
  }
  auto study_key = keys::dicom_study(svc, req.study);
  auto before = current_record(self, study_key);
  if (before && overall.sequence) {
    auto after = *before;
    after.attributes = level_attributes(self, dicom::parse_dataset(overall.dataset), dicom::level::study);
    ops.push_back({column::dicom, false, false, study_key, storage::encode(after)});
    reindex_study(ops, svc, req.study, before, after);
  }
  if (ops.empty())
    return reply(dicom_reply{});
  st.studies[req.study].removing = true; // alone, like a delete
  send_to_writer(self, std::move(ops), [self, study = req.study, reply = std::move(reply)](reply_status status) {
    self->state.studies[study].removing = false;
    dicom_reply r;
    r.status = std::move(status);
    reply(std::move(r));
    release_study(self, study);
  });
}

void handle(self_ptr self, dicom_request& req, dicom_callback reply) {
  if (wait_for_study(self, req, reply))
    return;
  switch (req.op) {
    case dicom_op::store:
      return store_instance(self, req, std::move(reply));
    case dicom_op::remove:
      return remove(self, req, std::move(reply));
    case dicom_op::reindex:
      return reindex(self, req, std::move(reply));
  }
  reply(failed(errc::internal, "operation not handled by a study partition"));
}

} // namespace

dicom_actor::behavior_type
dicom_study_partition_actor(dicom_actor::stateful_pointer<study_partition_state> self,
                            node_context* ctx, std::uint32_t service) {
  self->state.ctx = ctx;
  self->state.service = service;
  return {
    [=](dicom_request& req) -> caf::result<dicom_reply> {
      auto rp = self->make_response_promise<dicom_reply>();
      handle(self, req, [rp](dicom_reply r) mutable { rp.deliver(std::move(r)); });
      return rp;
    },
    [=](dicom_request& req, dicom_callback& reply) { handle(self, req, std::move(reply)); },
  };
}

} // namespace atrium::actors
