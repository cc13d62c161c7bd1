// What a transaction's POST entries create, matched in memory by their own
// index entries against the criteria R4 resolves after them.
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <random>

#include "actors/fhir/bundle_creations.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "protocols/fhir/search/params.hpp"
#include "storage/store.hpp"

using atrium::actors::bundle_creations;
namespace fs = atrium::fhir::search;

namespace {

std::uint16_t type_of(const char* name) { return *atrium::fhir::find_resource_type(name); }

/// A store in a fresh directory, removed afterwards: the creations only
/// borrow its read view.
struct scratch_store {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("atrium-creations-" + std::to_string(std::random_device{}()));
  std::unique_ptr<atrium::storage::store> db;
  scratch_store() {
    auto s = atrium::storage::store::open(dir.string());
    REQUIRE(s);
    db = std::move(*s);
  }
  ~scratch_store() {
    db.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  bundle_creations creations() const {
    return bundle_creations(*db, 1, std::shared_ptr<const fs::param_registry>(
                                      &fs::param_registry::r4(), [](const fs::param_registry*) {}),
                            "/ws/fhir/");
  }
};

std::vector<std::string> found(const bundle_creations& c, std::uint16_t type, std::string_view q) {
  auto m = c.find(type, q);
  REQUIRE(m);
  std::vector<std::string> out;
  for (auto& each : *m) out.push_back(each.reference);
  return out;
}

using v = std::vector<std::string>;

} // namespace

TEST_CASE("bundle creations match identifier criteria in each token form", "[transaction]") {
  scratch_store s;
  const auto patient = type_of("Patient"), group = type_of("Group");
  const std::string a = R"({"resourceType":"Patient","identifier":[{"system":"urn:s","value":"1"}]})";
  const std::string b = R"({"resourceType":"Patient","identifier":[{"value":"1"}]})";
  const std::string other = R"({"resourceType":"Group","type":"person","actual":true,"identifier":[{"system":"urn:s","value":"1"}]})";
  auto c = s.creations();
  c.add(patient, 0, "Patient/a", a);
  c.add(patient, 1, "Patient/b", b);
  c.add(group, 2, "Group/g", other);
  CHECK(found(c, patient, "identifier=urn:s|1") == v{"Patient/a"});
  CHECK(found(c, patient, "identifier=urn%3As%7C1") == v{"Patient/a"}); // as escaped in a URL
  CHECK(found(c, patient, "identifier=|1") == v{"Patient/b"});
  CHECK(found(c, patient, "identifier=1") == v{"Patient/a", "Patient/b"});
  CHECK(found(c, patient, "identifier=urn:s|") == v{"Patient/a"});
  CHECK(found(c, patient, "identifier=urn:s|2").empty());
  CHECK(found(c, patient, "identifier=urn:s|2,urn:s|1") == v{"Patient/a"});
  CHECK(found(c, group, "identifier=urn:s|1") == v{"Group/g"});
  // One Identifier rather than a list (Composition), and a document's
  // masterIdentifier, as their identifier parameters see them.
  auto docs = s.creations();
  docs.add(type_of("Composition"), 0, "Composition/c", R"({"resourceType":"Composition","identifier":{"system":"urn:d","value":"7"}})");
  docs.add(type_of("DocumentReference"), 1, "DocumentReference/d", R"({"resourceType":"DocumentReference","masterIdentifier":{"system":"urn:d","value":"8"}})");
  CHECK(found(docs, type_of("Composition"), "identifier=urn:d|7") == v{"Composition/c"});
  CHECK(found(docs, type_of("DocumentReference"), "identifier=urn:d|8") == v{"DocumentReference/d"});
}

TEST_CASE("bundle creations match the other criteria a search decides per resource",
          "[transaction]") {
  scratch_store s;
  const auto patient = type_of("Patient"), observation = type_of("Observation");
  auto c = s.creations();
  c.add(patient, 0, "Patient/ann", R"({"resourceType":"Patient","active":true,"gender":"female",
    "birthDate":"1990-04-02","name":[{"family":"Smithers","given":["Ann"]}],
    "identifier":[{"system":"urn:s","value":"1"}]})");
  c.add(patient, 1, "Patient/bo", R"({"resourceType":"Patient","gender":"male",
    "birthDate":"2001-11-30","name":[{"family":"Bolt"}]})");
  c.add(observation, 2, "Observation/o", R"({"resourceType":"Observation","status":"final",
    "code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},
    "subject":{"reference":"Patient/known"},
    "valueQuantity":{"value":72,"system":"http://unitsofmeasure.org","code":"/min"}})");
  CHECK(found(c, patient, "family=smith") == v{"Patient/ann"}); // a string's prefix
  CHECK(found(c, patient, "gender=male") == v{"Patient/bo"});
  CHECK(found(c, patient, "birthdate=ge2000-01-01") == v{"Patient/bo"});
  CHECK(found(c, patient, "birthdate=1990-04") == v{"Patient/ann"});
  CHECK(found(c, patient, "identifier=urn:s|1&gender=female") == v{"Patient/ann"});
  CHECK(found(c, patient, "identifier=urn:s|1&gender=male").empty());
  CHECK(found(c, patient, "active:missing=true") == v{"Patient/bo"});
  CHECK(found(c, patient, "name=zz").empty());
  CHECK(found(c, observation, "subject=Patient/known") == v{"Observation/o"});
  CHECK(found(c, observation, "patient=Patient/known&code=http://loinc.org|8867-4") ==
        v{"Observation/o"});
  CHECK(found(c, observation, "value-quantity=gt70||/min") == v{"Observation/o"});
  CHECK(found(c, observation, "value-quantity=lt70").empty());
  // A type the Bundle creates none of: nothing here, whatever the criteria.
  CHECK(found(c, type_of("Group"), "member:Patient.name=x").empty());
}

TEST_CASE("bundle creations leave to the store what they cannot decide", "[transaction]") {
  scratch_store s;
  const auto patient = type_of("Patient"), observation = type_of("Observation");
  auto c = s.creations();
  c.add(patient, 0, "Patient/a", R"({"resourceType":"Patient","name":[{"family":"Ames"}]})");
  c.add(observation, 1, "Observation/o", R"({"resourceType":"Observation","status":"final",
    "code":{"text":"x"},"subject":{"reference":"urn:uuid:00000000-0000-4000-8000-000000000001"}})");
  CHECK_FALSE(c.find(patient, "identifier:of-type=a|b|c"));  // a modifier only scans serve
  CHECK_FALSE(c.find(patient, "family:exact=Ames"));
  CHECK_FALSE(c.find(patient, "_id=a"));
  CHECK_FALSE(c.find(patient, "_lastUpdated=gt2000-01-01")); // set at commit
  CHECK_FALSE(c.find(patient, "general-practitioner.name=x")); // a chain
  CHECK_FALSE(c.find(patient, "_has:Observation:patient:code=x"));
  CHECK_FALSE(c.find(patient, "unknown=1"));                  // the store's search says why
  CHECK_FALSE(c.find(patient, "_count=1"));                   // no criteria at all
  // Its reference still names a urn:uuid fullUrl, not the resource it becomes.
  CHECK_FALSE(c.find(observation, "subject=Patient/a"));
  CHECK(found(c, observation, "status=final") == v{"Observation/o"});
  // A urn elsewhere (an identifier's system) leaves its references decided here.
  auto by_oid = s.creations();
  by_oid.add(observation, 0, "Observation/p", R"({"resourceType":"Observation","status":"final",
    "identifier":[{"system":"urn:oid:1.2.3","value":"9"}],"code":{"text":"x"},
    "subject":{"reference":"Patient/a"}})");
  CHECK(found(by_oid, observation, "subject=Patient/a") == v{"Observation/p"});
}
