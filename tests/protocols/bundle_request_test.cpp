// Bundle requests: entries read once, references rewritten in place (and
// nothing else touched), patches carried by Binary or Parameters.
#include <catch2/catch.hpp>

#include "protocols/fhir/bundle_request.hpp"
#include "protocols/fhir/link_values.hpp"

using namespace atrium;
using namespace atrium::fhir;

namespace {

reference_mapper map_of(std::string from, std::string to) {
  return [from, to](std::string_view ref) -> result<std::optional<std::string>> {
    if (ref == from) return std::optional<std::string>{to};
    return std::optional<std::string>{};
  };
}

} // namespace

TEST_CASE("rewrite_references: every Reference.reference, at any depth", "[bundle]") {
  const std::string in =
    R"({"resourceType":"Observation","subject":{"reference":"urn:uuid:a"},)"
    R"("note":[{"text":"\"reference\":\"urn:uuid:a\""}],"valueQuantity":{"value":1.50},)"
    R"("contained":[{"resourceType":"Provenance","target":[{"reference":"urn:uuid:a"}]}],)"
    R"("extension":[{"url":"x","valueReference":{"reference":"urn:uuid:a","display":"A"}}]})";
  auto out = rewrite_references(in, "Observation", map_of("urn:uuid:a", "Patient/1"));
  REQUIRE(out);
  CHECK(*out ==
        R"({"resourceType":"Observation","subject":{"reference":"Patient/1"},)"
        R"("note":[{"text":"\"reference\":\"urn:uuid:a\""}],"valueQuantity":{"value":1.50},)"
        R"("contained":[{"resourceType":"Provenance","target":[{"reference":"Patient/1"}]}],)"
        R"("extension":[{"url":"x","valueReference":{"reference":"Patient/1","display":"A"}}]})");
}

TEST_CASE("rewrite_references: escaped references are decoded before mapping", "[bundle]") {
  auto out = rewrite_references(R"({"subject":{"reference":"\u0075rn:uuid:a"},"a":{"reference":"x\/y"}})", {},
                                [](std::string_view ref) -> result<std::optional<std::string>> {
                                  if (ref == "urn:uuid:a") return std::optional<std::string>{"P/1"};
                                  if (ref == "x/y") return std::optional<std::string>{"Q/\"2"};
                                  return std::optional<std::string>{};
                                });
  REQUIRE(out);
  CHECK(*out == R"({"subject":{"reference":"P/1"},"a":{"reference":"Q/\"2"}})");
}

TEST_CASE("rewrite_references: a value's end is its first unescaped quote", "[bundle]") {
  std::vector<std::string> seen;
  auto out = rewrite_references(
    R"({"a":{"reference":"x\"y"},"b":{"reference":"plain"},"c":"back\\slash"})", {},
    [&](std::string_view ref) -> result<std::optional<std::string>> {
      seen.emplace_back(ref);
      return std::optional<std::string>{};
    });
  REQUIRE(out);
  CHECK(seen == std::vector<std::string>{"x\"y", "plain"});
}

TEST_CASE("rewrite_references: unchanged text and mapper errors", "[bundle]") {
  const std::string in = R"({"subject":{"reference":"Patient/9"}})";
  auto same = rewrite_references(in, {}, map_of("urn:uuid:a", "Patient/1"));
  REQUIRE(same);
  CHECK(*same == in);
  auto failed = rewrite_references(in, {}, [](std::string_view) -> result<std::optional<std::string>> {
    return status{errc::not_found, "no such"};
  });
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code() == errc::not_found);
}

TEST_CASE("parse_bundle_request: entries, refusals and the limit", "[bundle]") {
  auto b = parse_bundle_request(
    R"({"resourceType":"Bundle","type":"transaction","entry":[
         {"fullUrl":"urn:uuid:a","resource":{"resourceType":"Patient","x":1.50},
          "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=a|b"}},
         {"request":{"method":"GET","url":"Patient/1","ifNoneMatch":"W/\"1\""}},
         {"request":{"method":"PUT","url":"Patient?identifier=a|b"}},
         {"request":{"method":"GET","url":"http://elsewhere/Patient/1"}},
         {"resource":{"resourceType":"Patient"}}]})",
    10);
  REQUIRE(b);
  CHECK(b->type == "transaction");
  REQUIRE(b->entries.size() == 5);
  CHECK(b->entries[0].full_url == "urn:uuid:a");
  CHECK(b->entries[0].resource == R"({"resourceType":"Patient","x":1.50})");
  CHECK(b->entries[0].is_conditional());
  CHECK(b->entries[1].is_read());
  CHECK(b->entries[1].if_none_match == "W/\"1\"");
  CHECK_FALSE(b->entries[1].is_conditional());
  CHECK(b->entries[2].is_conditional());
  CHECK(b->entries[3].refused);
  CHECK(b->entries[4].refused);
  // A method that is no R4 http-verb makes the Bundle invalid: a
  // transaction whole, a batch in that entry alone.
  const std::string entries =
    R"("entry":[{"request":{"method":"GET","url":"Patient/1"}},{"request":{"method":"FETCH","url":"Patient"}}]})";
  auto fetch = parse_bundle_request(R"({"resourceType":"Bundle","type":"transaction",)" + entries, 10);
  REQUIRE_FALSE(fetch);
  CHECK(fetch.error().where() == "Bundle.entry[1].request.method");
  auto batch = parse_bundle_request(R"({"resourceType":"Bundle","type":"batch",)" + entries, 10);
  REQUIRE(batch);
  REQUIRE(batch->entries.size() == 2);
  CHECK_FALSE(batch->entries[0].refused);
  REQUIRE(batch->entries[1].refused);
  CHECK(batch->entries[1].refused->where() == "Bundle.entry[1].request.method");
  // The batch's own members are still checked, and its entry array.
  CHECK_FALSE(parse_bundle_request(R"({"resourceType":"Bundle","type":"batch","total":-1})", 10));
  CHECK_FALSE(parse_bundle_request(R"({"resourceType":"Bundle","type":"batch","entry":{}})", 10));
  CHECK_FALSE(parse_bundle_request(R"({"resourceType":"Bundle","type":"batch","entry":[]})", 10));

  CHECK_FALSE(parse_bundle_request(R"({"resourceType":"Bundle","type":"batch","entry":[{},{}]})", 1));
  CHECK_FALSE(parse_bundle_request(R"({"resourceType":"Patient"})", 10));
  CHECK_FALSE(parse_bundle_request("{", 10));
}

TEST_CASE("patch_of: Binary JSON Patch, Parameters, and what is neither", "[bundle]") {
  bundle_entry_request e;
  e.method = "PATCH";
  // [{"op":"remove","path":"/active"}]
  e.resource = R"({"resourceType":"Binary","contentType":"application/json-patch+json","data":"W3sib3AiOiJyZW1vdmUiLCJwYXRoIjoiL2FjdGl2ZSJ9XQ=="})";
  auto p = patch_of(e);
  REQUIRE(p);
  CHECK(p->content_type == "application/json-patch+json");
  CHECK(p->body == R"([{"op":"remove","path":"/active"}])");

  e.resource = R"({"resourceType":"Parameters","parameter":[]})";
  p = patch_of(e);
  REQUIRE(p);
  CHECK(p->content_type == "application/fhir+json");

  e.resource = R"({"resourceType":"Binary","contentType":"text/plain","data":"eA=="})";
  CHECK(patch_of(e).error().code() == errc::unsupported_media);
  e.resource = R"({"resourceType":"Binary","contentType":"application/json-patch+json","data":"!!"})";
  CHECK(patch_of(e).error().code() == errc::invalid);
  e.resource = R"({"resourceType":"Patient"})";
  CHECK_FALSE(patch_of(e));
  e.resource.clear();
  CHECK_FALSE(patch_of(e));
}

TEST_CASE("rewrite_urns without a type: every string that is a known urn, and narrative links", "[bundle]") {
  auto map = [](std::string_view urn) -> std::optional<std::string> {
    if (urn == "urn:uuid:a") return std::string{"Patient/1"};
    return std::nullopt;
  };
  std::string text =
    R"({"text":{"div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"urn:uuid:a\">p</a>)"
    R"(<img src=\"urn:uuid:b\"/></div>"},"url":"urn:uuid:a","identifier":[{"system":"urn:oid:1.2",)"
    R"("value":"urn:uuid:a-not"}],"list":["urn:uuid:a"],"note":"see urn:uuid:a"})";
  rewrite_urns(text, {}, map);
  CHECK(text ==
        R"({"text":{"div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"Patient/1\">p</a>)"
        R"(<img src=\"urn:uuid:b\"/></div>"},"url":"Patient/1","identifier":[{"system":"urn:oid:1.2",)"
        R"("value":"urn:uuid:a-not"}],"list":["Patient/1"],"note":"see urn:uuid:a"})");
  std::string unmapped = R"({"a":"b"})";
  rewrite_urns(unmapped, {}, map);
  CHECK(unmapped == R"({"a":"b"})");
}

TEST_CASE("rewrite_urns of a resource: only elements of type uri, url, canonical, oid, uuid",
          "[bundle]") {
  auto map = [](std::string_view urn) -> std::optional<std::string> {
    if (urn == "urn:uuid:a") return std::string{"Patient/1"};
    return std::nullopt;
  };
  std::string text =
    R"({"resourceType":"DocumentReference","masterIdentifier":{"value":"urn:uuid:a"},)"
    R"("status":"current","description":"urn:uuid:a","content":[{"attachment":{"url":"urn:uuid:a"}}],)"
    R"("extension":[{"url":"urn:uuid:a","valueString":"urn:uuid:a"}]})";
  rewrite_urns(text, "DocumentReference", map);
  CHECK(text ==
        R"({"resourceType":"DocumentReference","masterIdentifier":{"value":"urn:uuid:a"},)"
        R"("status":"current","description":"urn:uuid:a","content":[{"attachment":{"url":"Patient/1"}}],)"
        R"("extension":[{"url":"Patient/1","valueString":"urn:uuid:a"}]})");
}

TEST_CASE("a Bundle inside a resource keeps its own links", "[bundle]") {
  // A document or collection Bundle stored by a transaction resolves its
  // references among its own entries, not the transaction's.
  const std::string bundle =
    R"({"resourceType":"Bundle","type":"collection","identifier":{"assigner":{"reference":"urn:uuid:a"}},)"
    R"("entry":[{"fullUrl":"urn:uuid:a","resource":{"resourceType":"Observation","status":"final",)"
    R"("code":{"text":"x"},"subject":{"reference":"urn:uuid:a"}}}]})";
  auto out = rewrite_references(bundle, "Bundle", map_of("urn:uuid:a", "Patient/1"));
  REQUIRE(out);
  CHECK(*out ==
        R"({"resourceType":"Bundle","type":"collection","identifier":{"assigner":{"reference":"Patient/1"}},)"
        R"("entry":[{"fullUrl":"urn:uuid:a","resource":{"resourceType":"Observation","status":"final",)"
        R"("code":{"text":"x"},"subject":{"reference":"urn:uuid:a"}}}]})");
  std::string urns = bundle;
  rewrite_urns(urns, "Bundle", [](std::string_view) { return std::optional<std::string>{"X/1"}; });
  CHECK(urns == bundle); // entry.fullUrl is a uri, but of the inner Bundle

  const std::string parameters =
    R"({"resourceType":"Parameters","parameter":[{"name":"b","resource":)" + bundle +
    R"(},{"name":"r","valueReference":{"reference":"urn:uuid:a"}}]})";
  out = rewrite_references(parameters, "Parameters", map_of("urn:uuid:a", "Patient/1"));
  REQUIRE(out);
  CHECK(out->find(R"("valueReference":{"reference":"Patient/1"})") != std::string::npos);
  CHECK(out->find(R"("subject":{"reference":"urn:uuid:a"})") != std::string::npos);
  // However its resourceType is spelt.
  std::string escaped = parameters;
  escaped.replace(escaped.find(R"("Bundle")"), 8, R"("B\u0075ndle")");
  out = rewrite_references(escaped, "Parameters", map_of("urn:uuid:a", "Patient/1"));
  REQUIRE(out);
  CHECK(out->find(R"("subject":{"reference":"urn:uuid:a"})") != std::string::npos);
  CHECK(out->find(R"("valueReference":{"reference":"Patient/1"})") != std::string::npos);
}

TEST_CASE("link_values: references, uris and narrative by R4's types", "[bundle]") {
  const std::string text =
    R"({"resourceType":"Patient","implicitRules":"urn:x","text":{"status":"generated",)"
    R"("div":"<div/>"},"identifier":[{"system":"urn:s","value":"v"}],)"
    R"("managingOrganization":{"reference":"Organization/1","type":"Organization"},)"
    R"("_gender":{"extension":[{"url":"u","valueCanonical":"c"}]},"gender":"other",)"
    R"("unknownElement":{"reference":"nope"},)"
    R"("contained":[{"resourceType":"Basic","code":{"text":"t"},"subject":{"reference":"#p"}}]})";
  std::vector<std::pair<std::string, link_kind>> seen;
  for (const auto& l : link_values(text, "Patient"))
    seen.emplace_back(text.substr(l.begin, l.end - l.begin), l.kind);
  using k = link_kind;
  CHECK(seen == std::vector<std::pair<std::string, link_kind>>{
                  {"urn:x", k::uri},      {"<div/>", k::narrative},  {"urn:s", k::uri},
                  {"Organization/1", k::reference}, {"Organization", k::uri}, {"u", k::uri},
                  {"c", k::uri},          {"#p", k::reference}});
  CHECK(link_values(text, "NoSuchType").empty());
}

TEST_CASE("the same criteria however written hold the same lock key", "[fhir][bundle]") {
  const auto key = criteria_lock_key("Patient", "identifier=http://s|v&active=true");
  CHECK(criteria_lock_key("Patient", "active=true&identifier=http://s|v") == key);
  CHECK(criteria_lock_key("Patient", "identifier=http%3A%2F%2Fs%7Cv&active=true") == key);
  CHECK(criteria_lock_key("Patient", "identifier=http://s|w&active=true") != key);
  CHECK(criteria_lock_key("Observation", "identifier=http://s|v&active=true") != key);
  // An ifNoneExist entry and a conditional PUT with those criteria too.
  bundle_entry_request create;
  create.method = "POST";
  create.url = "Patient";
  create.if_none_exist = "active=true&identifier=http%3A//s|v";
  CHECK(create.criteria_key() == key);
  bundle_entry_request update;
  update.method = "PUT";
  update.url = "Patient?identifier=http://s%7Cv&active=true";
  CHECK(update.criteria_key() == key);
}
