#include <catch2/catch.hpp>

#include "storage/dicom_index.hpp"
#include "storage/dicom_records.hpp"
#include "storage/keyspace.hpp"

using namespace atrium::storage;

TEST_CASE("DICOM keys nest: an instance is inside its series' and study's ranges", "[dicom]") {
  auto inst = keys::dicom_instance(7, "1.2", "1.2.3", "1.2.3.4");
  for (auto prefix : {keys::dicom_instances_prefix(7), keys::dicom_instances_prefix(7, "1.2"),
                      keys::dicom_instances_prefix(7, "1.2", "1.2.3")}) {
    CHECK(inst.compare(0, prefix.size(), prefix) == 0);
    CHECK(inst < keys::prefix_end(prefix));
  }
  // Study "1.2" does not contain study "1.23"'s instances, nor service 8's.
  auto other = keys::dicom_instance(7, "1.23", "1.2.3", "1.2.3.4");
  auto p12 = keys::dicom_instances_prefix(7, "1.2");
  CHECK(other.compare(0, p12.size(), p12) != 0);
  CHECK(keys::dicom_instance(8, "1.2", "1.2.3", "1.2.3.4") >= keys::prefix_end(keys::service_scope(7)));
  CHECK(keys::dicom_change(7, 255) < keys::dicom_change(7, 256)); // numeric order
  CHECK(keys::dicom_series(7, "1.2", "1.3") < keys::prefix_end(keys::dicom_series_prefix(7, "1.2")));
  CHECK(keys::dicom_study(7, "1.2") < keys::prefix_end(keys::dicom_studies_prefix(7)));
}

TEST_CASE("an instance key gives its UIDs back; other keys do not parse", "[dicom]") {
  const auto key = keys::dicom_instance(7, "1.2", "1.2.3", "1.2.3.4");
  auto uids = keys::parse_dicom_instance(key); // views into key
  REQUIRE(uids);
  CHECK(uids->study == "1.2");
  CHECK(uids->series == "1.2.3");
  CHECK(uids->sop == "1.2.3.4");
  CHECK_FALSE(keys::parse_dicom_instance(keys::dicom_instances_prefix(7, "1.2")));
  CHECK_FALSE(keys::parse_dicom_instance(keys::dicom_series(7, "1.2", "1.2.3")));
  CHECK_FALSE(keys::parse_dicom_instance("abc"));
}

TEST_CASE("a tag error key nests in its instance's series' and study's ranges and parses back",
          "[dicom]") {
  const auto key = keys::dicom_tag_error(7, "1.2", "1.2.3", "1.2.3.4", 0x00101010);
  for (auto prefix : {keys::dicom_tag_errors_prefix(7), keys::dicom_tag_errors_prefix(7, "1.2"),
                      keys::dicom_tag_errors_prefix(7, "1.2", "1.2.3"),
                      keys::dicom_tag_errors_prefix(7, "1.2", "1.2.3", "1.2.3.4")}) {
    CHECK(key.compare(0, prefix.size(), prefix) == 0);
    CHECK(key < keys::prefix_end(prefix));
  }
  // Instance "1.2.3.4" does not contain instance "1.2.3.45"'s errors.
  auto p = keys::dicom_tag_errors_prefix(7, "1.2", "1.2.3", "1.2.3.4");
  auto other = keys::dicom_tag_error(7, "1.2", "1.2.3", "1.2.3.45", 0x00101010);
  CHECK(other.compare(0, p.size(), p) != 0);
  auto parsed = keys::parse_dicom_tag_error(key);
  REQUIRE(parsed);
  CHECK(parsed->study == "1.2");
  CHECK(parsed->series == "1.2.3");
  CHECK(parsed->sop == "1.2.3.4");
  CHECK(parsed->tag == 0x00101010);
  CHECK_FALSE(keys::parse_dicom_tag_error(keys::dicom_instance(7, "1.2", "1.2.3", "1.2.3.4")));
  CHECK_FALSE(keys::parse_dicom_tag_error(p));
}

TEST_CASE("a tag-first error key lies in its tag's range only and parses back", "[dicom]") {
  const auto key = keys::dicom_tag_error_by_tag(7, 0x00101010, "1.2", "1.2.3", "1.2.3.4");
  const auto mine = keys::dicom_tag_errors_by_tag_prefix(7, 0x00101010);
  CHECK(key.compare(0, mine.size(), mine) == 0);
  CHECK(key < keys::prefix_end(mine));
  for (auto other : {keys::dicom_tag_errors_by_tag_prefix(7, 0x00101011),
                     keys::dicom_tag_errors_by_tag_prefix(8, 0x00101010),
                     keys::dicom_tag_errors_prefix(7)})
    CHECK(key.compare(0, other.size(), other) != 0);
  auto parsed = keys::parse_dicom_tag_error_by_tag(key);
  REQUIRE(parsed);
  CHECK(parsed->study == "1.2");
  CHECK(parsed->series == "1.2.3");
  CHECK(parsed->sop == "1.2.3.4");
  CHECK(parsed->tag == 0x00101010);
  CHECK_FALSE(keys::parse_dicom_tag_error_by_tag(mine));
  CHECK_FALSE(keys::parse_dicom_tag_error_by_tag(
    keys::dicom_tag_error(7, "1.2", "1.2.3", "1.2.3.4", 0x00101010)));
}

TEST_CASE("DICOM records round trip and refuse truncation", "[dicom]") {
  dicom_instance_record i;
  i.sequence = 42;
  i.stored_micros = 1'700'000'000'000'000;
  i.size = 123456;
  i.file = "00000007/ab/cd/ef";
  i.frames = 3;
  i.transfer_syntax = "1.2.840.10008.1.2.1";
  i.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
  i.dataset = R"({"00080018":{"vr":"UI","Value":["1.2"]}})";
  auto bytes = encode(i);
  auto back = decode_dicom_instance(bytes);
  REQUIRE(back);
  CHECK(back->sequence == 42);
  CHECK(back->stored_micros == i.stored_micros);
  CHECK(back->size == i.size);
  CHECK(back->frames == 3);
  CHECK(back->file == i.file);
  CHECK(back->transfer_syntax == i.transfer_syntax);
  CHECK(back->sop_class_uid == i.sop_class_uid);
  CHECK(back->dataset == i.dataset);
  CHECK_FALSE(decode_dicom_instance(bytes.substr(0, 20)));
  CHECK_FALSE(decode_dicom_instance(""));

  dicom_group_record g{9, 20, 2, "CT\\MR", R"({"x":1})"};
  auto gb = decode_dicom_group(encode(g));
  REQUIRE(gb);
  CHECK(gb->last_sequence == 9);
  CHECK(gb->instances == 20);
  CHECK(gb->series == 2);
  CHECK(gb->modalities == "CT\\MR");
  CHECK(gb->attributes == g.attributes);

  dicom_change_record ch{dicom_action::remove, -5, "1.2", "1.2.3", "1.2.3.4"};
  auto cb = decode_dicom_change(encode(ch));
  REQUIRE(cb);
  CHECK(cb->action == dicom_action::remove);
  CHECK(cb->micros == -5);
  CHECK(cb->sop == "1.2.3.4");
  CHECK(std::string{to_string(cb->action)} == "delete");
  auto bad = encode(ch);
  bad[1] = 9; // no such action
  CHECK_FALSE(decode_dicom_change(bad));
}

TEST_CASE("QIDO index values fold case and Latin accents, ASCII as before", "[dicom]") {
  CHECK(dicom_index_value("Doe^John") == "DOE^JOHN"); // what earlier builds indexed
  CHECK(dicom_index_value("Müller^Jörg") == "MULLER^JORG");
  CHECK(dicom_index_value("Straße") == "STRASSE");
  CHECK(dicom_index_value(std::string_view{"a\0b", 3}) == "A B"); // 0x00 ends a key's value
  CHECK(dicom_index_value("山田^太郎") == "山田^太郎");                // other scripts as written
}
