// What a transaction's POST entries create, matched in memory against the
// identifier criteria R4 resolves after them.
#include <catch2/catch.hpp>

#include "actors/fhir/bundle_creations.hpp"

using atrium::actors::bundle_creations;

namespace {

std::vector<std::string> found(const bundle_creations& c, std::uint16_t type, std::string_view q) {
  auto m = c.find(type, q);
  REQUIRE(m);
  std::vector<std::string> out;
  for (auto& each : *m) out.push_back(each.reference);
  return out;
}

} // namespace

TEST_CASE("bundle creations match identifier criteria in each token form", "[transaction]") {
  const std::string a = R"({"resourceType":"Patient","identifier":[{"system":"urn:s","value":"1"}]})";
  const std::string b = R"({"resourceType":"Patient","identifier":[{"value":"1"}]})";
  const std::string other = R"({"resourceType":"Group","identifier":[{"system":"urn:s","value":"1"}]})";
  bundle_creations c;
  c.add(1, 0, "Patient/a", a);
  c.add(1, 1, "Patient/b", b);
  c.add(2, 2, "Group/g", other);
  using v = std::vector<std::string>;
  CHECK(found(c, 1, "identifier=urn:s|1") == v{"Patient/a"});
  CHECK(found(c, 1, "identifier=urn%3As%7C1") == v{"Patient/a"}); // as escaped in a URL
  CHECK(found(c, 1, "identifier=|1") == v{"Patient/b"});
  CHECK(found(c, 1, "identifier=1") == v{"Patient/a", "Patient/b"});
  CHECK(found(c, 1, "identifier=urn:s|") == v{"Patient/a"});
  CHECK(found(c, 1, "identifier=urn:s|2").empty());
  CHECK(found(c, 2, "identifier=urn:s|1") == v{"Group/g"});
  // One Identifier rather than a list (Composition), and a document's
  // masterIdentifier, as their identifier parameters see them.
  bundle_creations docs;
  docs.add(3, 0, "Composition/c", R"({"resourceType":"Composition","identifier":{"system":"urn:d","value":"7"}})");
  docs.add(4, 1, "DocumentReference/d", R"({"resourceType":"DocumentReference","masterIdentifier":{"system":"urn:d","value":"8"}})");
  CHECK(found(docs, 3, "identifier=urn:d|7") == v{"Composition/c"});
  CHECK(found(docs, 4, "identifier=urn:d|8") == v{"DocumentReference/d"});
  // Other criteria are the store's alone.
  CHECK_FALSE(c.find(1, "identifier=urn:s|1,urn:s|2"));
  CHECK_FALSE(c.find(1, "identifier=urn:s|1&active=true"));
  CHECK_FALSE(c.find(1, "name=x"));
  CHECK_FALSE(c.find(1, "identifier:of-type=a|b|c"));
}
