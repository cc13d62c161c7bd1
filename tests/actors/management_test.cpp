// The management plane: the catalog (workspaces) and workspace actors
// (services) behind one mgmt_request interface, with durable writes through
// the storage writer, and the directory the edge reads services from.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include "actors/management.hpp"
#include "harness.hpp"
#include "storage/keyspace.hpp"

using namespace atrium;
using namespace atrium::actors;
using atrium::testing::actor_harness;

namespace {

mgmt_request ws_req(mgmt_op op, std::string ws, std::string body = {}) {
  mgmt_request r;
  r.op = op;
  r.workspace = std::move(ws);
  r.body = std::move(body);
  return r;
}

mgmt_request svc_req(mgmt_op op, std::string ws, service_kind kind, std::string name,
                     std::string body = {}) {
  auto r = ws_req(op, std::move(ws), std::move(body));
  r.kind = kind;
  r.name = std::move(name);
  return r;
}

/// One string field of a JSON document ("" when absent).
std::string field(const std::string& json, const char* a, const char* b = nullptr) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
  auto e = doc[a];
  if (b)
    e = e[b];
  std::string_view s;
  if (e.get(s) != simdjson::SUCCESS)
    return {};
  return std::string{s};
}

std::uint64_t number_field(const std::string& json, const char* name) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
  std::uint64_t n = 0;
  REQUIRE(doc[name].get(n) == simdjson::SUCCESS);
  return n;
}

std::size_t list_size(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
  simdjson::dom::array items;
  REQUIRE(doc["value"].get(items) == simdjson::SUCCESS);
  return items.size();
}

struct management_fixture {
  actor_harness h;
  mgmt_actor catalog;

  management_fixture() { start_catalog(); }

  void start_catalog() {
    catalog = h.sys.spawn(catalog_actor, &h.ctx);
    h.keep(catalog);
  }

  mgmt_reply ask(const mgmt_request& r) { return h.ask<mgmt_reply>(catalog, r); }

  bool meta_has(const std::string& key) {
    return h.db().get(storage::column::meta, key, nullptr).is_ok();
  }
};

} // namespace

TEST_CASE_METHOD(management_fixture, "workspaces are created, replaced and listed") {
  auto created = ask(ws_req(mgmt_op::put_workspace, "clinic", R"({"properties":{"tier":"gold"}})"));
  REQUIRE(created.status.ok());
  CHECK(created.created); // 201
  CHECK(field(created.json, "name") == "clinic");
  CHECK(field(created.json, "id") == "/workspaces/clinic");
  CHECK(field(created.json, "properties", "tier") == "gold");
  CHECK(meta_has(storage::keys::workspace("clinic")));

  auto replaced = ask(ws_req(mgmt_op::put_workspace, "clinic", R"({"properties":{"tier":"tin"}})"));
  REQUIRE(replaced.status.ok());
  CHECK_FALSE(replaced.created); // 200
  CHECK(field(replaced.json, "properties", "tier") == "tin");
  // Replacing keeps the creation time and moves the modification time.
  CHECK(field(replaced.json, "systemData", "createdAt") ==
        field(created.json, "systemData", "createdAt"));

  auto got = ask(ws_req(mgmt_op::get_workspace, "clinic"));
  REQUIRE(got.status.ok());
  CHECK(got.json == replaced.json);

  REQUIRE(ask(ws_req(mgmt_op::put_workspace, "lab")).status.ok());
  auto list = ask(ws_req(mgmt_op::list_workspaces, ""));
  REQUIRE(list.status.ok());
  CHECK(list_size(list.json) == 2);

  CHECK(ask(ws_req(mgmt_op::get_workspace, "nowhere")).status.code == errc::not_found);
}

TEST_CASE_METHOD(management_fixture, "invalid workspace puts are refused and not stored") {
  for (std::string name : {"Bad_Name", "ab", "-lead", "healthz", "workspaces"}) {
    INFO(name);
    auto r = ask(ws_req(mgmt_op::put_workspace, name));
    CHECK(r.status.code == errc::invalid);
    CHECK(r.status.where == "workspace");
    CHECK_FALSE(meta_has(storage::keys::workspace(name)));
  }
  auto bad_body = ask(ws_req(mgmt_op::put_workspace, "fine", "[1,2]"));
  CHECK(bad_body.status.code == errc::invalid);
  CHECK(list_size(ask(ws_req(mgmt_op::list_workspaces, "")).json) == 0);
}

TEST_CASE_METHOD(management_fixture, "services are published to the directory") {
  REQUIRE(ask(ws_req(mgmt_op::put_workspace, "clinic")).status.ok());
  CHECK_FALSE(h.dir->find_service("clinic", "records"));

  auto created = ask(svc_req(mgmt_op::put_service, "clinic", service_kind::fhir, "records"));
  REQUIRE(created.status.ok());
  CHECK(created.created);
  CHECK(field(created.json, "type") == "fhirservices");
  CHECK(field(created.json, "id") == "/workspaces/clinic/fhirservices/records");
  CHECK(field(created.json, "serviceUrl") == "/clinic/records");
  auto id = number_field(created.json, "serviceId");

  auto found = h.dir->find_service("clinic", "records");
  REQUIRE(found);
  CHECK(found->id == id);
  CHECK(found->kind == service_kind::fhir);
  CHECK(found->workspace == "clinic");
  CHECK(found->name == "records");

  // A second PUT replaces it in place: same id, 200.
  auto replaced = ask(svc_req(mgmt_op::put_service, "clinic", service_kind::fhir, "records",
                              R"({"properties":{"x":1}})"));
  REQUIRE(replaced.status.ok());
  CHECK_FALSE(replaced.created);
  CHECK(number_field(replaced.json, "serviceId") == id);

  // Another service gets another id.
  auto images = ask(svc_req(mgmt_op::put_service, "clinic", service_kind::dicom, "images"));
  REQUIRE(images.status.ok());
  CHECK(number_field(images.json, "serviceId") != id);
  CHECK(h.dir->find_service("clinic", "images")->kind == service_kind::dicom);

  // Lists and gets are per kind.
  CHECK(list_size(ask(svc_req(mgmt_op::list_services, "clinic", service_kind::fhir, "")).json) == 1);
  CHECK(list_size(ask(svc_req(mgmt_op::list_services, "clinic", service_kind::iot, "")).json) == 0);
  CHECK(ask(svc_req(mgmt_op::get_service, "clinic", service_kind::fhir, "records")).status.ok());
  CHECK(ask(svc_req(mgmt_op::get_service, "clinic", service_kind::dicom, "records")).status.code ==
        errc::not_found);

  SECTION("a name is unique across kinds: 409") {
    auto clash = ask(svc_req(mgmt_op::put_service, "clinic", service_kind::dicom, "records"));
    CHECK(clash.status.code == errc::conflict);
    CHECK(h.dir->find_service("clinic", "records")->kind == service_kind::fhir);
  }

  SECTION("deleting a service retires it") {
    REQUIRE(ask(svc_req(mgmt_op::delete_service, "clinic", service_kind::fhir, "records"))
              .status.ok());
    CHECK_FALSE(h.dir->find_service("clinic", "records"));
    CHECK(h.dir->find_service("clinic", "images"));
    CHECK(ask(svc_req(mgmt_op::get_service, "clinic", service_kind::fhir, "records")).status.code ==
          errc::not_found);
    CHECK_FALSE(meta_has(storage::keys::service("clinic", "records")));
    // Deleting it again: 404.
    CHECK(ask(svc_req(mgmt_op::delete_service, "clinic", service_kind::fhir, "records"))
            .status.code == errc::not_found);
  }

  SECTION("deleting a workspace with services needs cascade") {
    auto refused = ask(ws_req(mgmt_op::delete_workspace, "clinic"));
    CHECK(refused.status.code == errc::conflict);
    CHECK(ask(ws_req(mgmt_op::get_workspace, "clinic")).status.ok());
    CHECK(h.dir->find_service("clinic", "records"));

    auto cascade = ws_req(mgmt_op::delete_workspace, "clinic");
    cascade.cascade = true;
    REQUIRE(ask(cascade).status.ok());
    CHECK(ask(ws_req(mgmt_op::get_workspace, "clinic")).status.code == errc::not_found);
    CHECK_FALSE(h.dir->find_service("clinic", "records"));
    CHECK_FALSE(h.dir->find_service("clinic", "images"));
    CHECK_FALSE(meta_has(storage::keys::workspace("clinic")));
    CHECK_FALSE(meta_has(storage::keys::service("clinic", "records")));
    // Service operations on the deleted workspace: 404 from the catalog.
    CHECK(ask(svc_req(mgmt_op::get_service, "clinic", service_kind::fhir, "records")).status.code ==
          errc::not_found);
  }
}

TEST_CASE_METHOD(management_fixture, "service requests are validated") {
  // No workspace yet.
  CHECK(ask(svc_req(mgmt_op::put_service, "clinic", service_kind::fhir, "records")).status.code ==
        errc::not_found);
  REQUIRE(ask(ws_req(mgmt_op::put_workspace, "clinic")).status.ok());
  auto bad = ask(svc_req(mgmt_op::put_service, "clinic", service_kind::fhir, "Records"));
  CHECK(bad.status.code == errc::invalid);
  CHECK(bad.status.where == "service");
  CHECK_FALSE(h.dir->find_service("clinic", "Records"));
  // An empty workspace is deleted without cascade.
  CHECK(ask(ws_req(mgmt_op::delete_workspace, "clinic")).status.ok());
  CHECK(ask(ws_req(mgmt_op::delete_workspace, "clinic")).status.code == errc::not_found);
}

TEST_CASE_METHOD(management_fixture, "a new catalog loads workspaces and services from the store") {
  REQUIRE(ask(ws_req(mgmt_op::put_workspace, "clinic")).status.ok());
  auto svc = ask(svc_req(mgmt_op::put_service, "clinic", service_kind::iot, "devices"));
  REQUIRE(svc.status.ok());
  auto id = number_field(svc.json, "serviceId");

  // A restart, as far as management goes: a fresh directory and catalog over
  // the same store.
  caf::anon_send_exit(catalog, caf::exit_reason::user_shutdown);
  h.sched.run();
  h.dir->stop_all();
  h.dir = std::make_unique<directory>(h.sys, h.ctx);
  h.ctx.dir = h.dir.get();
  start_catalog();

  auto got = ask(svc_req(mgmt_op::get_service, "clinic", service_kind::iot, "devices"));
  REQUIRE(got.status.ok());
  CHECK(got.json == svc.json);
  auto found = h.dir->find_service("clinic", "devices");
  REQUIRE(found);
  CHECK(found->id == id);
  CHECK(found->kind == service_kind::iot);
}
