// The R4 element shapes FHIRPath Patch relies on: cardinality, choice
// elements, and the type to look in next (data types, backbone paths,
// content references, resources).
#include <catch2/catch.hpp>

#include "protocols/fhir/element_shapes.hpp"

using atrium::fhir::element_shape;
using atrium::fhir::find_element_shape;
using kind = element_shape::kind;

TEST_CASE("element shapes: cardinality and types of a resource's elements", "[element-shapes]") {
  const auto* telecom = find_element_shape("Patient", "telecom");
  REQUIRE(telecom);
  CHECK(telecom->repeats);
  CHECK(telecom->k == kind::complex);
  CHECK(telecom->type == "ContactPoint");

  const auto* birth_date = find_element_shape("Patient", "birthDate");
  REQUIRE(birth_date);
  CHECK_FALSE(birth_date->repeats);
  CHECK(birth_date->k == kind::primitive);

  const auto* deceased = find_element_shape("Patient", "deceased");
  REQUIRE(deceased);
  CHECK(deceased->k == kind::choice);
  CHECK_FALSE(find_element_shape("Patient", "deceasedBoolean"));

  const auto* contact = find_element_shape("Patient", "contact");
  REQUIRE(contact);
  CHECK(contact->k == kind::backbone);
  CHECK(contact->repeats);
  CHECK(contact->type == "Patient.contact");
  const auto* contact_telecom = find_element_shape(contact->type, "telecom");
  REQUIRE(contact_telecom);
  CHECK(contact_telecom->repeats);
  const auto* contact_name = find_element_shape(contact->type, "name");
  REQUIRE(contact_name);
  CHECK_FALSE(contact_name->repeats);
  CHECK(contact_name->type == "HumanName");
}

TEST_CASE("element shapes: data types, content references and resources", "[element-shapes]") {
  const auto* given = find_element_shape("HumanName", "given");
  REQUIRE(given);
  CHECK(given->repeats);
  CHECK(given->k == kind::primitive);

  const auto* nested = find_element_shape("Questionnaire.item", "item");
  REQUIRE(nested);
  CHECK(nested->k == kind::backbone);
  CHECK(nested->type == "Questionnaire.item");

  const auto* contained = find_element_shape("Patient", "contained");
  REQUIRE(contained);
  CHECK(contained->k == kind::resource);
  CHECK(contained->type.empty());
  const auto* outcome = find_element_shape("Bundle.entry.response", "outcome");
  REQUIRE(outcome);
  CHECK(outcome->k == kind::resource);
  CHECK(outcome->type == "OperationOutcome");

  // Every element has id and extensions; SimpleQuantity prohibits comparator.
  REQUIRE(find_element_shape("Patient.contact", "extension"));
  CHECK(find_element_shape("Patient.contact", "extension")->repeats);
  CHECK(find_element_shape("Quantity", "comparator"));
  CHECK_FALSE(find_element_shape("SimpleQuantity", "comparator"));
  CHECK_FALSE(find_element_shape("Patient", "nickname"));
  CHECK_FALSE(find_element_shape("Nonsense", "id"));
}
