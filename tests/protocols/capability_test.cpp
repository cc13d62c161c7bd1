#include <catch2/catch.hpp>

#include <set>
#include <simdjson.h>

#include "protocols/fhir/capability.hpp"
#include "protocols/fhir/instant.hpp"
#include "protocols/fhir/resource_types.hpp"

using namespace atrium::fhir;

namespace {

std::string text(simdjson::dom::element e) { return std::string(std::string_view(e)); }

std::set<std::string> codes(simdjson::dom::array interactions) {
  std::set<std::string> out;
  for (auto i : interactions) out.insert(text(i["code"]));
  return out;
}

struct statement {
  simdjson::dom::parser parser;
  simdjson::padded_string padded;
  simdjson::dom::element doc;
  explicit statement(const capabilities& caps)
      : padded(capability_statement("http://h/fhir", "1.2.3", caps, search::param_registry::r4())), doc(parser.parse(padded)) {}

  simdjson::dom::object resource(std::string_view type) {
    for (simdjson::dom::object r : simdjson::dom::array(doc["rest"].at(0)["resource"]))
      if (text(r["type"]) == type) return r;
    FAIL("no resource " << type);
    return {};
  }
};

} // namespace

TEST_CASE("the capability statement claims the basics") {
  statement s(capabilities{});
  auto& doc = s.doc;
  CHECK(text(doc["resourceType"]) == "CapabilityStatement");
  CHECK(text(doc["status"]) == "active");
  CHECK(text(doc["kind"]) == "instance");
  CHECK(text(doc["fhirVersion"]) == "4.0.1");
  CHECK(text(doc["format"].at(0)) == "json");
  CHECK(text(doc["software"]["name"]) == "Atrium");
  CHECK(text(doc["software"]["version"]) == "1.2.3");
  CHECK(text(doc["implementation"]["url"]) == "http://h/fhir");
  CHECK(parse_fhir_datetime(text(doc["date"])));

  auto rest = doc["rest"].at(0);
  CHECK(text(rest["mode"]) == "server");
  CHECK(simdjson::dom::array(rest["resource"]).size() == resource_type_count());
  CHECK(codes(rest["interaction"]) == std::set<std::string>{"history-system"});
}

TEST_CASE("every type lists exactly the supported interactions") {
  statement s(capabilities{});
  auto patient = s.resource("Patient");
  CHECK(codes(patient["interaction"]) ==
        std::set<std::string>{"read", "vread", "update", "delete", "create", "history-instance",
                              "history-type"});
  CHECK(text(patient["versioning"]) == "versioned");
  CHECK(bool(patient["readHistory"]));
  CHECK(bool(patient["updateCreate"]));
  CHECK_FALSE(bool(patient["conditionalCreate"]));
  CHECK_FALSE(bool(patient["conditionalUpdate"]));
  CHECK(text(patient["conditionalDelete"]) == "not-supported");
  CHECK(codes(s.resource("VisionPrescription")["interaction"]).count("read") == 1);
}

TEST_CASE("optional features appear only when enabled") {
  capabilities caps;
  caps.search = true;
  caps.patch = true;
  caps.conditional_create = true;
  caps.conditional_update = true;
  caps.conditional_delete = true;
  caps.transaction = true;
  caps.batch = true;
  statement s(caps);
  auto account = s.resource("Account");
  CHECK(codes(account["interaction"]).count("search-type") == 1);
  CHECK(codes(account["interaction"]).count("patch") == 1);
  CHECK(bool(account["conditionalCreate"]));
  CHECK(bool(account["conditionalUpdate"]));
  CHECK(text(account["conditionalDelete"]) == "multiple");
  CHECK(codes(s.doc["rest"].at(0)["interaction"]) ==
        std::set<std::string>{"history-system", "search-system", "transaction", "batch"});

  const std::string without = capability_statement("http://h", "1", capabilities{}, search::param_registry::r4());
  CHECK(without.find("search-type") == std::string::npos);
  CHECK(without.find("\"patch\"") == std::string::npos);
  CHECK(without.find("transaction") == std::string::npos);
}
