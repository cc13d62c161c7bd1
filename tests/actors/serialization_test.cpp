// Every message of actors/messages.hpp must survive CAF's binary serializer,
// both on its own and inside a caf::message: that is what happens to it the
// day its sender and receiver live on different nodes. A field missing from
// an inspect function, or a type missing from register_message_types,
// compiles fine and only fails on the wire; these tests catch both on a
// single machine.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/message.hpp>

#include "actors/messages.hpp"
#include "actors/type_registry.hpp"

using namespace atrium;
using namespace atrium::actors;
using storage::resource_record;
using storage::write_op;

namespace {

// ---- sample values: every field differs from its default -------------------

write_op sample_op(int n) {
  write_op x;
  x.cf = storage::column::changes;
  x.erase = n % 2 == 0;
  x.erase_range = true;
  // Keys are binary: embedded NULs and high bytes must survive.
  x.key = std::string("k\0\xff", 3) + std::to_string(n);
  x.value = "end-" + std::to_string(n);
  return x;
}

resource_record sample_record(std::uint64_t version) {
  resource_record x;
  x.kind = storage::record_kind::update;
  x.version = version;
  x.last_updated_micros = -1234567890123; // negative: sign must survive
  x.json = R"({"resourceType":"Patient","name":[{"family":"Müller"}]})";
  return x;
}

reply_status sample_status() {
  return {errc::precondition_failed, "If-Match W/\"3\" does not match", "If-Match"};
}

history_query sample_query() {
  history_query x;
  x.count = 7;
  x.since = -5;
  x.at = 1795704378123456;
  x.at_end = 1795704378999999;
  x.cursor = "00ff10";
  return x;
}

history_item sample_item(int n) {
  history_item x;
  x.type = static_cast<std::uint16_t>(0xbe00 + n);
  x.id = "obs-" + std::to_string(n);
  x.record = sample_record(0x0102030405060708ull + n);
  return x;
}

fhir_request sample_fhir_request() {
  fhir_request x;
  x.op = fhir_op::history_type;
  x.service = 0xdeadbeef;
  x.type = 0xbeef;
  x.id = "pat-1.x";
  x.new_id = true;
  x.version = 42;
  x.if_match = 41;
  x.if_none_match = "*";
  x.head = R"({"resourceType":"Patient","id":"pat-1.x","meta":{"versionId":")";
  x.tail = R"("},"active":true})";
  x.index = {{std::string("k\0ey-1", 6), "Smith"}, {"key-2", ""}};
  x.history = sample_query();
  x.query = "name=x&_count=2";
  x.compartment = "Patient/pat-1";
  x.index_registry = 0x0a0b0c0d0e0full;
  x.ids = {"a", "b-2"};
  x.transaction = 0x1122334455667788ull;
  x.write = fhir_op::patch;
  x.bundle.type = "transaction";
  fhir::bundle_entry_request post;
  post.method = "POST";
  post.url = "Patient";
  post.full_url = "urn:uuid:1";
  post.resource = R"({"resourceType":"Patient"})";
  post.if_none_exist = "identifier=a|b";
  fhir::bundle_entry_request put;
  put.method = "PUT";
  put.url = "Patient/p";
  put.if_match = "W/\"2\"";
  put.if_none_match = "*";
  put.if_modified_since = "2026-01-01";
  fhir::bundle_entry_request refused;
  refused.refused = status{errc::invalid, "no request", "Bundle.entry.request"};
  x.bundle.entries = {post, put, refused};
  return x;
}

fhir_reply sample_fhir_reply() {
  fhir_reply x;
  x.status = sample_status();
  x.created = true;
  x.record = sample_record(9);
  x.history = {sample_item(1), sample_item(2)};
  x.next_cursor = "abcdef";
  x.previous_cursor = "p0123";
  x.hits = {{0x1234, "obs-1", R"({"resourceType":"Observation"})", false},
            {0x0042, "pat-1", R"({"resourceType":"Patient"})", true}};
  x.total = 0x0102030405ull;
  x.job_id = "job-7";
  x.id = "pat-9";
  x.ops = {{storage::column::index, true, false, "k1", ""},
           {storage::column::resources, false, false, "k2", "v2"}};
  x.entries = {{201, 0x0042, "pat-9", sample_record(3)}, {0, 0, "", {}}};
  return x;
}

dicom_request sample_dicom_request() {
  dicom_request x;
  x.op = dicom_op::remove;
  x.service = 0xcafe;
  x.upsert = true;
  x.study = "1.2";
  x.series = "1.2.3";
  x.sop = "1.2.3.4";
  x.instance.study_uid = "1.2";
  x.instance.series_uid = "1.2.3";
  x.instance.sop_uid = "1.2.3.4";
  x.instance.sop_class_uid = "1.2.840.10008.5.1.4.1.1.2";
  x.instance.transfer_syntax = "1.2.840.10008.1.2.1";
  x.instance.frames = 7;
  x.instance.attributes = {{0x00100010, "PN", R"({"vr":"PN","Value":[{"Alphabetic":"A^B"}]})"},
                           {0x00080020, "DA", R"({"vr":"DA"})"}};
  x.instance.warnings = {"(0008,0020) bad"};
  x.file = "00000009/ab/cd/0123456789abcdef";
  x.size = 0x0102030405ull;
  return x;
}

dicom_reply sample_dicom_reply() {
  dicom_reply x;
  x.status = sample_status();
  x.failure_reason = 45070;
  x.warning_reason = 1;
  x.removed = 20;
  return x;
}

mgmt_request sample_mgmt_request() {
  mgmt_request x;
  x.op = mgmt_op::delete_workspace;
  x.workspace = "clinic-a";
  x.kind = service_kind::iot;
  x.name = "devices";
  x.body = R"({"properties":{"tier":"gold"}})";
  x.cascade = true;
  return x;
}

mgmt_reply sample_mgmt_reply() {
  mgmt_reply x;
  x.status = {errc::conflict, "still has services", "cascade"};
  x.created = true;
  x.json = R"({"value":[]})";
  return x;
}

write_request sample_write_request() { return {{sample_op(1), sample_op(2)}}; }
write_ack sample_write_ack() { return {sample_status()}; }

// ---- field-by-field comparison ------------------------------------------------
// CHECKs per field, so a failure names the field that was lost.

void check_same(const write_op& a, const write_op& b) {
  CHECK(a.cf == b.cf);
  CHECK(a.erase == b.erase);
  CHECK(a.erase_range == b.erase_range);
  CHECK(a.key == b.key);
  CHECK(a.value == b.value);
}

void check_same(const resource_record& a, const resource_record& b) {
  CHECK(a.kind == b.kind);
  CHECK(a.version == b.version);
  CHECK(a.last_updated_micros == b.last_updated_micros);
  CHECK(a.json == b.json);
}

void check_same(const reply_status& a, const reply_status& b) {
  CHECK(a.code == b.code);
  CHECK(a.message == b.message);
  CHECK(a.where == b.where);
}

void check_same(const write_request& a, const write_request& b) {
  REQUIRE(a.ops.size() == b.ops.size());
  for (std::size_t i = 0; i < a.ops.size(); ++i)
    check_same(a.ops[i], b.ops[i]);
}

void check_same(const write_ack& a, const write_ack& b) { check_same(a.status, b.status); }

void check_same(const history_query& a, const history_query& b) {
  CHECK(a.count == b.count);
  CHECK(a.since == b.since);
  CHECK(a.at == b.at);
  CHECK(a.cursor == b.cursor);
}

void check_same(const fhir_request& a, const fhir_request& b) {
  CHECK(a.op == b.op);
  CHECK(a.service == b.service);
  CHECK(a.type == b.type);
  CHECK(a.id == b.id);
  CHECK(a.new_id == b.new_id);
  CHECK(a.version == b.version);
  CHECK(a.if_match == b.if_match);
  CHECK(a.if_none_match == b.if_none_match);
  CHECK(a.head == b.head);
  CHECK(a.tail == b.tail);
  CHECK(a.index == b.index);
  check_same(a.history, b.history);
  CHECK(a.query == b.query);
  CHECK(a.compartment == b.compartment);
  CHECK(a.index_registry == b.index_registry);
  CHECK(a.ids == b.ids);
  CHECK(a.transaction == b.transaction);
  CHECK(a.write == b.write);
  CHECK(a.bundle.type == b.bundle.type);
  REQUIRE(a.bundle.entries.size() == b.bundle.entries.size());
  for (std::size_t i = 0; i < a.bundle.entries.size(); ++i) {
    const auto& x = a.bundle.entries[i];
    const auto& y = b.bundle.entries[i];
    CHECK(x.method == y.method);
    CHECK(x.url == y.url);
    CHECK(x.full_url == y.full_url);
    CHECK(x.resource == y.resource);
    CHECK(x.if_match == y.if_match);
    CHECK(x.if_none_exist == y.if_none_exist);
    CHECK(x.if_none_match == y.if_none_match);
    CHECK(x.if_modified_since == y.if_modified_since);
    REQUIRE(x.refused.has_value() == y.refused.has_value());
    if (x.refused) {
      CHECK(x.refused->code() == y.refused->code());
      CHECK(x.refused->message() == y.refused->message());
      CHECK(x.refused->where() == y.refused->where());
    }
  }
}

void check_same(const history_item& a, const history_item& b) {
  CHECK(a.type == b.type);
  CHECK(a.id == b.id);
  check_same(a.record, b.record);
}

void check_same(const fhir_reply& a, const fhir_reply& b) {
  check_same(a.status, b.status);
  CHECK(a.created == b.created);
  check_same(a.record, b.record);
  REQUIRE(a.history.size() == b.history.size());
  for (std::size_t i = 0; i < a.history.size(); ++i)
    check_same(a.history[i], b.history[i]);
  CHECK(a.next_cursor == b.next_cursor);
  CHECK(a.previous_cursor == b.previous_cursor);
  REQUIRE(a.hits.size() == b.hits.size());
  for (std::size_t i = 0; i < a.hits.size(); ++i) {
    CHECK(a.hits[i].type == b.hits[i].type);
    CHECK(a.hits[i].id == b.hits[i].id);
    CHECK(a.hits[i].json == b.hits[i].json);
    CHECK(a.hits[i].included == b.hits[i].included);
  }
  CHECK(a.total == b.total);
  CHECK(a.job_id == b.job_id);
  CHECK(a.id == b.id);
  REQUIRE(a.ops.size() == b.ops.size());
  for (std::size_t i = 0; i < a.ops.size(); ++i) {
    CHECK(a.ops[i].cf == b.ops[i].cf);
    CHECK(a.ops[i].erase == b.ops[i].erase);
    CHECK(a.ops[i].key == b.ops[i].key);
    CHECK(a.ops[i].value == b.ops[i].value);
  }
  REQUIRE(a.entries.size() == b.entries.size());
  for (std::size_t i = 0; i < a.entries.size(); ++i) {
    CHECK(a.entries[i].status == b.entries[i].status);
    CHECK(a.entries[i].type == b.entries[i].type);
    CHECK(a.entries[i].id == b.entries[i].id);
    check_same(a.entries[i].record, b.entries[i].record);
  }
}

void check_same(const dicom_request& a, const dicom_request& b) {
  CHECK(a.op == b.op);
  CHECK(a.service == b.service);
  CHECK(a.upsert == b.upsert);
  CHECK(a.study == b.study);
  CHECK(a.series == b.series);
  CHECK(a.sop == b.sop);
  CHECK(a.instance.study_uid == b.instance.study_uid);
  CHECK(a.instance.series_uid == b.instance.series_uid);
  CHECK(a.instance.sop_uid == b.instance.sop_uid);
  CHECK(a.instance.sop_class_uid == b.instance.sop_class_uid);
  CHECK(a.instance.transfer_syntax == b.instance.transfer_syntax);
  CHECK(a.instance.frames == b.instance.frames);
  REQUIRE(a.instance.attributes.size() == b.instance.attributes.size());
  for (std::size_t i = 0; i < a.instance.attributes.size(); ++i) {
    CHECK(a.instance.attributes[i].tag == b.instance.attributes[i].tag);
    CHECK(a.instance.attributes[i].vr == b.instance.attributes[i].vr);
    CHECK(a.instance.attributes[i].json == b.instance.attributes[i].json);
  }
  CHECK(a.instance.warnings == b.instance.warnings);
  CHECK(a.file == b.file);
  CHECK(a.size == b.size);
}

void check_same(const dicom_reply& a, const dicom_reply& b) {
  check_same(a.status, b.status);
  CHECK(a.failure_reason == b.failure_reason);
  CHECK(a.warning_reason == b.warning_reason);
  CHECK(a.removed == b.removed);
}

void check_same(const mgmt_request& a, const mgmt_request& b) {
  CHECK(a.op == b.op);
  CHECK(a.workspace == b.workspace);
  CHECK(a.kind == b.kind);
  CHECK(a.name == b.name);
  CHECK(a.body == b.body);
  CHECK(a.cascade == b.cascade);
}

void check_same(const mgmt_reply& a, const mgmt_reply& b) {
  check_same(a.status, b.status);
  CHECK(a.created == b.created);
  CHECK(a.json == b.json);
}

// ---- serialization ------------------------------------------------------------

caf::actor_system_config& configure(caf::actor_system_config& cfg, bool registered) {
  if (registered)
    register_message_types(cfg);
  // No scheduler threads are needed to serialize.
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  return cfg;
}

struct system_fixture {
  explicit system_fixture(bool registered = true) : sys(configure(cfg, registered)) {}
  caf::actor_system_config cfg;
  caf::actor_system sys;
};

/// Serializes x alone and reads it back into a default-constructed T.
template <class T>
T value_round_trip(caf::actor_system& sys, T x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto err = sink(x);
  INFO("serialize: " << sys.render(err));
  REQUIRE_FALSE(err);
  REQUIRE_FALSE(buf.empty());
  T y;
  caf::binary_deserializer source{sys, buf};
  err = source(y);
  INFO("deserialize: " << sys.render(err));
  REQUIRE_FALSE(err);
  CHECK(source.remaining() == 0); // nothing written that was not read back
  return y;
}

/// Serializes a caf::message holding x, as the middleman does, and reads it
/// back; returns the error of whichever step failed.
caf::error message_round_trip(caf::actor_system& sys, const caf::message& in,
                              caf::message& out) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  auto msg = in;
  if (auto err = sink(msg))
    return err;
  caf::binary_deserializer source{sys, buf};
  return source(out);
}

template <class T>
void check_message_round_trip(caf::actor_system& sys, const T& x) {
  caf::message out;
  auto err = message_round_trip(sys, caf::make_message(x), out);
  INFO(sys.render(err));
  REQUIRE_FALSE(err);
  REQUIRE(out.size() == 1);
  REQUIRE(out.match_element<T>(0));
  check_same(out.get_as<T>(0), x);
}

} // namespace

TEST_CASE("every message type survives the binary serializer field by field") {
  system_fixture f;
  auto& sys = f.sys;

  SECTION("write_op") { check_same(value_round_trip(sys, sample_op(3)), sample_op(3)); }
  SECTION("resource_record") {
    check_same(value_round_trip(sys, sample_record(7)), sample_record(7));
  }
  SECTION("reply_status") { check_same(value_round_trip(sys, sample_status()), sample_status()); }
  SECTION("write_request") {
    check_same(value_round_trip(sys, sample_write_request()), sample_write_request());
  }
  SECTION("write_ack") { check_same(value_round_trip(sys, sample_write_ack()), sample_write_ack()); }
  SECTION("history_query") { check_same(value_round_trip(sys, sample_query()), sample_query()); }
  SECTION("fhir_request") {
    check_same(value_round_trip(sys, sample_fhir_request()), sample_fhir_request());
  }
  SECTION("history_item") { check_same(value_round_trip(sys, sample_item(5)), sample_item(5)); }
  SECTION("fhir_reply") {
    check_same(value_round_trip(sys, sample_fhir_reply()), sample_fhir_reply());
  }
  SECTION("dicom_request") {
    check_same(value_round_trip(sys, sample_dicom_request()), sample_dicom_request());
  }
  SECTION("dicom_reply") {
    check_same(value_round_trip(sys, sample_dicom_reply()), sample_dicom_reply());
  }
  SECTION("mgmt_request") {
    check_same(value_round_trip(sys, sample_mgmt_request()), sample_mgmt_request());
  }
  SECTION("mgmt_reply") {
    check_same(value_round_trip(sys, sample_mgmt_reply()), sample_mgmt_reply());
  }
}

TEST_CASE("the samples really differ from default values") {
  // Otherwise a field the inspector skips would come back equal by accident.
  fhir_request r;
  auto s = sample_fhir_request();
  CHECK(s.op != r.op);
  CHECK(s.service != r.service);
  CHECK(s.type != r.type);
  CHECK(s.version != r.version);
  CHECK(s.if_match != r.if_match);
  CHECK(s.history.count != r.history.count);
  CHECK(s.history.since != r.history.since);
  CHECK(s.history.at != r.history.at);
  dicom_request dr;
  auto ds = sample_dicom_request();
  CHECK(ds.op != dr.op);
  CHECK(ds.upsert != dr.upsert);
  CHECK(ds.instance.frames != dr.instance.frames);
  mgmt_request m;
  auto t = sample_mgmt_request();
  CHECK(t.op != m.op);
  CHECK(t.kind != m.kind);
  CHECK(t.cascade != m.cascade);
  resource_record d;
  auto rec = sample_record(1);
  CHECK(rec.kind != d.kind);
  CHECK(rec.last_updated_micros != d.last_updated_micros);
  write_op o;
  auto op = sample_op(1);
  CHECK(op.cf != o.cf);
  CHECK(op.erase_range != o.erase_range);
  CHECK(sample_op(2).erase != o.erase);
}

TEST_CASE("registered message types cross the wire inside a caf::message") {
  system_fixture f;
  auto& sys = f.sys;

  SECTION("write_op") { check_message_round_trip(sys, sample_op(4)); }
  SECTION("std::vector<write_op>") {
    caf::message out;
    std::vector<write_op> ops{sample_op(1), sample_op(2)};
    REQUIRE_FALSE(message_round_trip(sys, caf::make_message(ops), out));
    REQUIRE(out.match_element<std::vector<write_op>>(0));
    auto& back = out.get_as<std::vector<write_op>>(0);
    REQUIRE(back.size() == 2);
    check_same(back[1], ops[1]);
  }
  SECTION("resource_record") { check_message_round_trip(sys, sample_record(11)); }
  SECTION("reply_status") { check_message_round_trip(sys, sample_status()); }
  SECTION("write_request") { check_message_round_trip(sys, sample_write_request()); }
  SECTION("write_ack") { check_message_round_trip(sys, sample_write_ack()); }
  SECTION("history_query") { check_message_round_trip(sys, sample_query()); }
  SECTION("fhir_request") { check_message_round_trip(sys, sample_fhir_request()); }
  SECTION("history_item") { check_message_round_trip(sys, sample_item(8)); }
  SECTION("fhir_reply") { check_message_round_trip(sys, sample_fhir_reply()); }
  SECTION("dicom_request") { check_message_round_trip(sys, sample_dicom_request()); }
  SECTION("dicom_reply") { check_message_round_trip(sys, sample_dicom_reply()); }
  SECTION("mgmt_request") { check_message_round_trip(sys, sample_mgmt_request()); }
  SECTION("mgmt_reply") { check_message_round_trip(sys, sample_mgmt_reply()); }
}

TEST_CASE("without registration a message does not cross the wire") {
  // The control for the test above: the same round trip loses the value when
  // the type is unknown to the actor system, so a type dropped from
  // register_message_types would be caught there. CAF 0.17 does not even
  // report an error: it logs "cannot serialize message because a type was not
  // added to the types list" and writes an empty message, which the receiver
  // then rejects as unexpected.
  system_fixture f{/*registered=*/false};
  caf::message out;
  auto err = message_round_trip(f.sys, caf::make_message(sample_fhir_reply()), out);
  bool arrived = !err && out.size() == 1 && out.match_element<fhir_reply>(0);
  CHECK_FALSE(arrived);
}
