// Composite parameters: each component's value must come from the same item
// (the Observation, or one of its components). One node of its own with the
// shared dataset (search_data.hpp) and two blood pressure panels.
#include <string>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"
#include "tests/e2e/search_data.hpp"

using namespace e2e;
using namespace e2e::search_data;

namespace {

std::string blood_pressure(const std::string& id, int systolic, int diastolic) {
  auto component = [](const std::string& code, int value) {
    return R"({"code":{"coding":[{"system":"http://loinc.org","code":")" + code +
           R"("}]},"valueQuantity":{"value":)" + std::to_string(value) +
           R"(,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}})";
  };
  return R"({"resourceType":"Observation","id":")" + id +
         R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},)"
         R"("subject":{"reference":"Patient/pat-01"},"component":[)" +
         component("8480-6", systolic) + "," + component("8462-4", diastolic) + "]}";
}

struct composite_node : loaded_node {
  composite_node() {
    auto c = n.client();
    put(*c, "Observation", "bp-1", blood_pressure("bp-1", 150, 95));
    put(*c, "Observation", "bp-2", blood_pressure("bp-2", 110, 150)); // high, but diastolic
  }
};

id_set run(http_client& c, const std::string& param, const std::string& value) {
  return checked_search(c, "Observation", {{param, value}}).match_set();
}

} // namespace

TEST_CASE("composite: code and value of one Observation", "[e2e][search]") {
  auto c = fixture<composite_node>().n.client();
  auto glucose_where = [](auto value_ok) {
    return observations_where([&](const observation_spec& o) {
      return o.code == "2339-0" && o.code_system == loinc && o.value && value_ok(*o.value, o);
    });
  };
  CHECK(run(*c, "code-value-quantity", "http://loinc.org|2339-0$gt100") ==
        glucose_where([](double v, auto&) { return v > 100; }));
  // eq honours the precision written: 100 is [99.5, 100.5).
  CHECK(run(*c, "code-value-quantity", "2339-0$100") ==
        glucose_where([](double v, auto&) { return v >= 99.5 && v < 100.5; }));
  CHECK(run(*c, "code-value-quantity", "2339-0$le150|http://unitsofmeasure.org|mg/dL") ==
        glucose_where([](double v, const observation_spec& o) {
          return v <= 150 && o.unit_code == "mg/dL" && o.unit_system == ucum;
        }));
  // Another code's values never match.
  CHECK(run(*c, "code-value-quantity", "http://loinc.org|8867-4$gt100").empty());
  CHECK_FALSE(run(*c, "code-value-quantity", "http://loinc.org|8867-4$gt70").empty());
}

TEST_CASE("composite: components pair with their own values", "[e2e][search]") {
  auto c = fixture<composite_node>().n.client();
  CHECK(run(*c, "component-code-value-quantity", "http://loinc.org|8480-6$gt140") == ids({"bp-1"}));
  CHECK(run(*c, "component-code-value-quantity", "8462-4$gt140") == ids({"bp-2"}));
  CHECK(run(*c, "combo-code-value-quantity", "8462-4$gt90") == ids({"bp-1", "bp-2"}));
  // OR of two composite values.
  CHECK(run(*c, "component-code-value-quantity", "8480-6$gt140,8462-4$gt140") ==
        ids({"bp-1", "bp-2"}));
  // The panel itself has no value: code-value-quantity does not see the components.
  CHECK(run(*c, "code-value-quantity", "85354-9$gt0").empty());
  // An update replaces the entries.
  put(*c, "Observation", "bp-1", blood_pressure("bp-1", 120, 80));
  CHECK(run(*c, "component-code-value-quantity", "8480-6$gt140").empty());
  put(*c, "Observation", "bp-1", blood_pressure("bp-1", 150, 95));
}

TEST_CASE("combo parameters match the Observation's own values or a component's",
          "[e2e][search]") {
  // combo-* are stored as nothing of their own: each reads its two halves
  // (code and component-code, and so on; param_registry::union_of).
  auto c = fixture<composite_node>().n.client();
  auto glucose = observations_where([](const observation_spec& o) { return o.code == "2339-0"; });
  REQUIRE_FALSE(glucose.empty());
  CHECK(run(*c, "combo-code", "http://loinc.org|8480-6") == ids({"bp-1", "bp-2"})); // components
  CHECK(run(*c, "combo-code", "85354-9") == ids({"bp-1", "bp-2"}));                 // the panel's own
  CHECK(run(*c, "combo-code", "2339-0") == glucose);
  auto both = glucose;
  both.insert({"bp-1", "bp-2"}); // both have a diastolic component
  CHECK(run(*c, "combo-code", "2339-0,8462-4") == both);

  auto above = [](double limit) {
    return observations_where([&](const observation_spec& o) { return o.value && *o.value > limit; });
  };
  auto high = above(145);
  high.insert({"bp-1", "bp-2"}); // 150 systolic, 150 diastolic
  CHECK(run(*c, "combo-value-quantity", "gt145") == high);

  // What they lack: neither half has a value.
  auto everything = observations_where([](const observation_spec&) { return true; });
  everything.insert({"bp-1", "bp-2"});
  auto without_value = observations_where([](const observation_spec& o) { return !o.value; });
  CHECK(run(*c, "combo-value-quantity:missing", "true") == without_value);
  auto with_value = everything;
  for (auto& id : without_value) with_value.erase(id);
  CHECK(run(*c, "combo-value-quantity:missing", "false") == with_value);
  auto not_systolic = everything;
  not_systolic.erase("bp-1");
  not_systolic.erase("bp-2");
  CHECK(run(*c, "combo-code:not", "8480-6") == not_systolic);

  // Sorted by the first value of either half: bp-1's lowest is 95, bp-2's 110.
  auto sorted = checked_search(*c, "Observation",
                               {{"combo-code", "85354-9"}, {"_sort", "combo-value-quantity"}});
  CHECK(sorted.matches == std::vector<std::string>{"bp-1", "bp-2"});
  // An update replaces what either half holds.
  put(*c, "Observation", "bp-2", blood_pressure("bp-2", 90, 60));
  auto still_high = above(145);
  still_high.insert("bp-1");
  CHECK(run(*c, "combo-value-quantity", "gt145") == still_high);
  put(*c, "Observation", "bp-2", blood_pressure("bp-2", 110, 150));
}

TEST_CASE("composite: malformed values are 400", "[e2e][search]") {
  auto c = fixture<composite_node>().n.client();
  for (std::string q : {"code-value-quantity=2339-0", "code-value-quantity=2339-0$abc",
                        "code-value-quantity=2339-0$1$2", "code-value-quantity:exact=2339-0$1"}) {
    INFO(q);
    CHECK(c->get(base + "/Observation?" + q).status == 400);
  }
}
