// A DICOM study partition through the real writer and store, on the
// deterministic scheduler: stores that overlap in its mailbox build on each
// other's records, duplicates are refused, and a delete waits for them.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "actors/dicom/change_sequences.hpp"
#include "actors/dicom/study_partition.hpp"
#include "storage/dicom_records.hpp"
#include "storage/file_store.hpp"
#include "storage/keyspace.hpp"

using namespace atrium;
using namespace atrium::actors;
using atrium::testing::actor_harness;

namespace {

constexpr std::uint32_t svc = 9;

dicom_request store(storage::file_store& files, const std::string& study, const std::string& series,
                    const std::string& sop, const std::string& modality = "CT") {
  dicom_request r;
  r.op = dicom_op::store;
  r.service = svc;
  r.instance.study_uid = study;
  r.instance.series_uid = series;
  r.instance.sop_uid = sop;
  r.instance.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
  r.instance.transfer_syntax = "1.2.840.10008.1.2.1";
  r.instance.attributes = {
    {0x00080018, "UI", R"({"vr":"UI","Value":[")" + sop + R"("]})"},
    {0x00080060, "CS", R"({"vr":"CS","Value":[")" + modality + R"("]})"},
    {0x00100010, "PN", R"({"vr":"PN","Value":[{"Alphabetic":"Doe^John"}]})"},
    {0x0020000D, "UI", R"({"vr":"UI","Value":[")" + study + R"("]})"},
    {0x0020000E, "UI", R"({"vr":"UI","Value":[")" + series + R"("]})"},
  };
  auto bytes = "DICM bytes of " + sop;
  auto name = files.put(svc, bytes);
  REQUIRE(name);
  r.file = *name;
  r.size = bytes.size();
  return r;
}

dicom_request remove(const std::string& study, const std::string& series = {},
                     const std::string& sop = {}) {
  dicom_request r;
  r.op = dicom_op::remove;
  r.service = svc;
  r.study = study;
  r.series = series;
  r.sop = sop;
  return r;
}

struct study_fixture {
  actor_harness h;
  change_sequences sequences{h.db()};
  atrium::testing::temp_dir file_dir;
  storage::file_store files{file_dir.path};
  study_fixture() {
    h.ctx.sequences = &sequences;
    h.ctx.files = &files;
  }
  dicom_request store(const std::string& study, const std::string& series, const std::string& sop,
                      const std::string& modality = "CT") {
    return ::store(files, study, series, sop, modality);
  }
  std::string file_of(const std::string& study, const std::string& series, const std::string& sop) {
    std::string bytes;
    REQUIRE(h.db().get(storage::column::dicom, storage::keys::dicom_instance(svc, study, series, sop), &bytes)
              .is_ok());
    auto rec = storage::decode_dicom_instance(bytes);
    REQUIRE(rec);
    return rec->file;
  }

  dicom_actor partition(const std::string& study) { return h.dir->dicom_partition(svc, study); }

  storage::dicom_group_record group(const std::string& key) {
    std::string bytes;
    REQUIRE(h.db().get(storage::column::dicom, key, &bytes).is_ok());
    auto rec = storage::decode_dicom_group(bytes);
    REQUIRE(rec);
    return *rec;
  }
};

} // namespace

TEST_CASE_METHOD(study_fixture, "overlapping stores of one study build on each other") {
  auto p = partition("1.1");
  auto box = h.post<dicom_reply>(p, std::vector{store("1.1", "1.1.1", "a"), store("1.1", "1.1.1", "b"),
                                                store("1.1", "1.1.2", "c", "MR"),
                                                store("1.1", "1.1.1", "a")});
  h.sched.run();
  REQUIRE(box->errors.empty());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(box->replies[i]);
    CHECK(box->replies[i]->status.ok());
  }
  REQUIRE(box->replies[3]);
  CHECK(box->replies[3]->failure_reason == 45070); // "a" was in flight, not yet stored
  auto study = group(storage::keys::dicom_study(svc, "1.1"));
  CHECK(study.instances == 3);
  CHECK(study.series == 2);
  CHECK(study.modalities == "CT\\MR");
  CHECK(group(storage::keys::dicom_series(svc, "1.1", "1.1.1")).instances == 2);
  // Every change has its entry, numbered in order.
  CHECK(sequences.visible_end(svc) == 4);
  std::string bytes;
  for (std::uint64_t seq = 1; seq <= 3; ++seq)
    CHECK(h.db().get(storage::column::dicom, storage::keys::dicom_change(svc, seq), &bytes).is_ok());
  // The record names the file that holds the bytes.
  auto stored = files.get(file_of("1.1", "1.1.1", "b"));
  REQUIRE(stored);
  CHECK(stored.value() == "DICM bytes of b");
}

TEST_CASE_METHOD(study_fixture, "an upsert replaces, a delete waits for stores in flight") {
  auto p = partition("2.1");
  REQUIRE(h.ask<dicom_reply>(p, store("2.1", "2.1.1", "a")).status.ok());
  auto first_file = file_of("2.1", "2.1.1", "a");
  auto again = store("2.1", "2.1.1", "a");
  again.upsert = true;
  auto box = h.post<dicom_reply>(p, std::vector{again, store("2.1", "2.1.1", "b"),
                                                remove("2.1", "2.1.1", "a")});
  h.sched.run();
  REQUIRE(box->replies[0]);
  CHECK(box->replies[0]->status.ok());
  REQUIRE(box->replies[2]);
  CHECK(box->replies[2]->status.ok());
  CHECK(box->replies[2]->removed == 1);
  CHECK_FALSE(h.db().get(storage::column::dicom, storage::keys::dicom_instance(svc, "2.1", "2.1.1", "a"),
                         nullptr).is_ok());
  // The replaced bytes and the deleted ones are given back (read as zeros).
  auto first = files.get(first_file);
  REQUIRE(first);
  CHECK(first.value().find("DICM") == std::string::npos);
  auto second = files.get(again.file);
  REQUIRE(second);
  CHECK(second.value().find("DICM") == std::string::npos);
  auto study = group(storage::keys::dicom_study(svc, "2.1"));
  CHECK(study.instances == 1); // b
  CHECK(study.series == 1);

  auto gone = h.ask<dicom_reply>(p, remove("2.1"));
  CHECK(gone.removed == 1);
  CHECK_FALSE(h.db().get(storage::column::dicom, storage::keys::dicom_study(svc, "2.1"), nullptr).is_ok());
  CHECK(h.ask<dicom_reply>(p, remove("2.1")).status.code == errc::not_found);
}
