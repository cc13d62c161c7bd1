#include <catch2/catch.hpp>

#include "protocols/fhir/resource_types.hpp"

using namespace atrium::fhir;

TEST_CASE("resource types are the R4 list, found by name and id") {
  CHECK(resource_type_count() == 147);
  CHECK(resource_type_name(0) == "Account");
  CHECK(resource_type_name(1) == "ActivityDefinition");
  REQUIRE(find_resource_type("Patient"));
  CHECK(resource_type_name(*find_resource_type("Patient")) == "Patient");
  CHECK(find_resource_type("Account") == type_id{0});
  const auto last = static_cast<type_id>(resource_type_count() - 1);
  CHECK(find_resource_type(resource_type_name(last)) == last);
}

TEST_CASE("every type id maps back to itself") {
  for (std::size_t i = 0; i < resource_type_count(); ++i) {
    const auto id = static_cast<type_id>(i);
    CHECK(find_resource_type(resource_type_name(id)) == id);
  }
}

TEST_CASE("unknown names and ids are refused") {
  CHECK_FALSE(find_resource_type("patient"));
  CHECK_FALSE(find_resource_type(""));
  CHECK_FALSE(find_resource_type("Patients"));
  CHECK_FALSE(find_resource_type("Aaa"));
  CHECK_FALSE(find_resource_type("Zzz"));
  CHECK(resource_type_name(static_cast<type_id>(resource_type_count())).empty());
  CHECK(resource_type_name(65535).empty());
}
