// $reindex on the deterministic scheduler: a job started through the FHIR
// service actor re-indexes existing resources by a custom SearchParameter
// and switches searches to it when done; one job at a time; and a write
// whose entries were extracted before a job switched the write registry is
// indexed again by its partition.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "protocols/fhir/reindex_job.hpp"
#include "protocols/fhir/resource_json.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "storage/index_entries.hpp"
#include "storage/index_keys.hpp"
#include "storage/keyspace.hpp"

using namespace atrium;
using namespace atrium::actors;
using atrium::testing::actor_harness;
namespace fs = atrium::fhir::search;
namespace ix = atrium::storage::index;

namespace {

constexpr std::uint32_t svc = 9;
const std::string nickname_url = "http://example.org/sp/nickname";
const std::string nickname_param = R"({"resourceType":"SearchParameter","id":"nickname",)"
                                   R"("url":"http://example.org/sp/nickname","name":"nickname","description":"d",)"
                                   R"("status":"active","code":"nickname","base":["Patient"],)"
                                   R"("type":"string","expression":"Patient.name.where(use='nickname').given"})";

std::uint16_t type_of(const char* name) { return *fhir::find_resource_type(name); }

fhir_request put(const char* type, const std::string& id, const std::string& body) {
  auto t = fhir::prepare_resource(body, type, id, fhir::id_rule::must_match);
  REQUIRE(t);
  fhir_request r;
  r.op = fhir_op::update;
  r.service = svc;
  r.type = type_of(type);
  r.id = id;
  r.head = t->head;
  r.tail = t->tail;
  return r;
}

fhir_request patient(const std::string& id, const std::string& nickname) {
  return put("Patient", id,
             R"({"resourceType":"Patient","id":")" + id +
               R"(","name":[{"family":"Doe"},{"use":"nickname","given":[")" + nickname + R"("]}]})");
}

fhir_request service_op(fhir_op op, std::string id = {}) {
  fhir_request r;
  r.op = op;
  r.service = svc;
  r.id = std::move(id);
  return r;
}

struct reindex_fixture {
  actor_harness h;

  fhir_reply write(const fhir_request& r) {
    return h.ask<fhir_reply>(h.dir->fhir_partition(svc, r.type, r.id), r);
  }
  fhir_reply to_service(const fhir_request& r) {
    return h.ask<fhir_reply>(h.dir->fhir_service(svc), r);
  }
  /// Whether `id`'s manifest lists an entry of the nickname parameter.
  bool indexed_by_nickname(const std::string& id) {
    std::string manifest;
    REQUIRE(h.db().get(storage::column::manifests, ix::manifest_key(svc, type_of("Patient"), id),
                       &manifest).is_ok());
    auto keys = ix::decode_manifest(manifest, id);
    REQUIRE(keys);
    // A custom parameter's entries are named by its url and definition.
    auto param = fs::param_registry::parse_param(nickname_param);
    REQUIRE(param);
    CHECK(param->index_name() != nickname_url);
    auto prefix = ix::param_prefix(svc, type_of("Patient"), ix::param_id_of(param->index_name()));
    for (auto& k : *keys)
      if (k.starts_with(prefix)) return true;
    return false;
  }
};

} // namespace

TEST_CASE_METHOD(reindex_fixture, "reindex: a job indexes existing resources, then searches use it",
                 "[actors][reindex]") {
  REQUIRE(write(patient("a", "Bobby")).status.ok());
  REQUIRE(write(patient("b", "Kit")).status.ok());
  REQUIRE(write(put("SearchParameter", "nickname", nickname_param)).status.ok());
  CHECK_FALSE(indexed_by_nickname("a"));
  CHECK_FALSE(h.params.get(svc)->search->find("Patient", "nickname"));

  auto started = to_service(service_op(fhir_op::reindex_start));
  REQUIRE(started.status.ok());
  REQUIRE_FALSE(started.job_id.empty());
  // The scheduler ran the job to the end before ask() returned.
  CHECK(indexed_by_nickname("a"));
  CHECK(indexed_by_nickname("b"));
  auto params = h.params.get(svc);
  CHECK(params->running_job.empty());
  CHECK(params->search->find("Patient", "nickname"));
  CHECK(params->search == params->write);

  auto status = to_service(service_op(fhir_op::reindex_status, started.job_id));
  REQUIRE(status.status.ok());
  INFO(status.record.json);
  CHECK(status.record.json.find(R"("valueString":"Completed")") != std::string::npos);
  CHECK(status.record.json.find(R"("name":"resourcesSuccessfullyReindexed","valueDecimal":2)") !=
        std::string::npos);
  CHECK(status.record.json.find(R"("valueString":"Patient")") != std::string::npos);

  // Persisted: a fresh catalog on the same store loads the active set.
  param_catalog reloaded{&h.db()};
  CHECK(reloaded.get(svc)->search->find("Patient", "nickname"));

  CHECK(to_service(service_op(fhir_op::reindex_status, "nope")).status.code == errc::not_found);
}

TEST_CASE_METHOD(reindex_fixture, "reindex: one job at a time", "[actors][reindex]") {
  REQUIRE(write(put("SearchParameter", "nickname", nickname_param)).status.ok());
  auto box = h.post<fhir_reply>(h.dir->fhir_service(svc),
                                std::vector{service_op(fhir_op::reindex_start),
                                            service_op(fhir_op::reindex_start)});
  h.sched.run();
  REQUIRE(box->replies[0]);
  REQUIRE(box->replies[1]);
  CHECK(box->replies[0]->status.ok());
  CHECK(box->replies[1]->status.code == errc::conflict);
}

TEST_CASE_METHOD(reindex_fixture,
                 "reindex: a write extracted by an older registry is indexed again by its partition",
                 "[actors][reindex]") {
  // The edge extracted by R4's registry...
  auto r = patient("late", "Bobby");
  r.op = fhir_op::update;
  auto body = R"({"resourceType":"Patient","id":"late","name":[{"family":"Doe"},)"
              R"({"use":"nickname","given":["Bobby"]}]})";
  auto entries = ix::index_resource(fs::param_registry::r4(), svc, type_of("Patient"), "late", body);
  REQUIRE(entries);
  r.index = *entries;
  r.index_registry = fs::param_registry::r4().uid();
  // ...but a job switched the service's writes to the custom set meanwhile.
  auto with_custom = param_catalog::registry_with({nickname_param}, nullptr);
  REQUIRE(with_custom->find("Patient", "nickname"));
  h.params.set(svc, {h.params.get(svc)->search, with_custom, "job", {}});
  REQUIRE(write(r).status.ok());
  CHECK(indexed_by_nickname("late"));
}

TEST_CASE_METHOD(reindex_fixture,
                 "reindex: a write in flight when a job switches the registry is indexed again "
                 "once durable",
                 "[actors][reindex]") {
  auto r = patient("inflight", "Bobby");
  auto body = R"({"resourceType":"Patient","id":"inflight","name":[{"family":"Doe"},)"
              R"({"use":"nickname","given":["Bobby"]}]})";
  auto entries =
    ix::index_resource(fs::param_registry::r4(), svc, type_of("Patient"), "inflight", body);
  REQUIRE(entries);
  r.index = *entries;
  r.index_registry = fs::param_registry::r4().uid(); // what the service writes by now
  auto partition = h.dir->fhir_partition(svc, r.type, r.id);
  auto box = h.post<fhir_reply>(partition, std::vector{r});
  // The partition takes the write and hands it to the writer, which waits.
  h.run_except(h.ctx.writers.front());
  REQUIRE_FALSE(box->replies[0]);
  // Now a job switches the writes to the custom set; the job's walk of the
  // store cannot see this version yet.
  auto with_custom = param_catalog::registry_with({nickname_param}, nullptr);
  h.params.set(svc, {h.params.get(svc)->search, with_custom, "job", {}});
  h.sched.run();
  REQUIRE(box->replies[0]);
  REQUIRE(box->replies[0]->status.ok());
  CHECK(indexed_by_nickname("inflight"));
}

TEST_CASE_METHOD(reindex_fixture,
                 "reindex: while a job runs, writes are indexed by the old and the new set",
                 "[actors][reindex]") {
  // The job changes nickname's definition: the search set has the old one.
  auto changed = nickname_param;
  changed.replace(changed.find("use='nickname'"), 14, "use='usual'");
  auto old_set = param_catalog::registry_with({nickname_param}, nullptr);
  auto new_set = param_catalog::registry_with({changed}, nullptr);
  h.params.set(svc, {old_set, new_set, "job", {nickname_param}});
  REQUIRE(write(put("Patient", "both",
                    R"({"resourceType":"Patient","id":"both","name":[)"
                    R"({"use":"nickname","given":["Bobby"]},{"use":"usual","given":["Robert"]}]})"))
            .status.ok());
  // Both definitions' entries, each under its own parameter id.
  auto id_of = [](const std::string& json) {
    auto p = fs::param_registry::parse_param(json);
    REQUIRE(p);
    return ix::param_id_of(p->index_name());
  };
  REQUIRE(id_of(nickname_param) != id_of(changed));
  std::string manifest;
  REQUIRE(h.db().get(storage::column::manifests, ix::manifest_key(svc, type_of("Patient"), "both"),
                     &manifest).is_ok());
  auto keys = ix::decode_manifest(manifest, "both");
  REQUIRE(keys);
  auto has = [&](ix::param_id pid, std::string_view value) {
    auto prefix = ix::prefix(svc, type_of("Patient"), pid, ix::kind::string) + std::string{value};
    for (auto& k : *keys)
      if (k.starts_with(prefix)) return true;
    return false;
  };
  CHECK(has(id_of(nickname_param), "bobby"));
  CHECK(has(id_of(changed), "robert"));
  CHECK_FALSE(has(id_of(changed), "bobby"));
}

TEST_CASE_METHOD(reindex_fixture,
                 "reindex: a job walks a type up to its last id when it reached it, not the "
                 "creates after",
                 "[actors][reindex]") {
  REQUIRE(write(patient("a", "Bobby")).status.ok());
  REQUIRE(write(patient("b", "Bobby")).status.ok());
  REQUIRE(write(patient("c", "Bobby")).status.ok());
  // A job interrupted after it reached Patient when "b" was the last id; "c"
  // came later (by then indexed by the job's set, not here, so it shows).
  fhir::reindex_job job;
  job.id = "job-bound";
  job.types = {"Patient"};
  job.until_id = "b";
  job.params = {nickname_param};
  REQUIRE(h.db()
            .write({{storage::column::meta, false, false,
                     storage::keys::reindex_job(svc, job.id), fhir::encode_reindex_job(job)}},
                   true)
            .is_ok());
  auto current = h.params.get(svc);
  h.params.set(svc, {current->search, param_catalog::registry_with(job.params, nullptr), job.id,
                     current->active_params});

  REQUIRE(to_service(service_op(fhir_op::reindex_resume)).status.ok());
  CHECK(indexed_by_nickname("a"));
  CHECK(indexed_by_nickname("b"));
  CHECK_FALSE(indexed_by_nickname("c"));
  auto status = to_service(service_op(fhir_op::reindex_status, job.id));
  REQUIRE(status.status.ok());
  INFO(status.record.json);
  CHECK(status.record.json.find(R"("name":"resourcesSuccessfullyReindexed","valueDecimal":2)") !=
        std::string::npos);
}
