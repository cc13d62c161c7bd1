#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>

#include "storage/index_entries.hpp"
#include "storage/index_keys.hpp"
#include "allocation_count.hpp"

using namespace atrium::storage;
namespace ix = atrium::storage::index;

TEST_CASE("doubles encode in numeric order") {
  std::vector<double> values{-std::numeric_limits<double>::infinity(), -1e300, -2.5, -1, -1e-300,
                             0, 1e-300, 0.5, 1, 2.5, 1e300,
                             std::numeric_limits<double>::infinity()};
  std::vector<std::string> encoded;
  for (double v : values) {
    std::string s;
    ix::append_double(s, v);
    CHECK(ix::read_double(s.data()) == v);
    encoded.push_back(s);
  }
  CHECK(std::is_sorted(encoded.begin(), encoded.end()));
  std::string neg_zero, zero;
  ix::append_double(neg_zero, -0.0);
  ix::append_double(zero, 0.0);
  CHECK(neg_zero == zero);
}

TEST_CASE("a remembered parameter id follows the name, not where it lives") {
  // One buffer holding one name and then another of the same length, as a
  // registry freed and another allocated in its place could.
  std::string name = "http://hl7.org/fhir/SearchParameter/individual-family";
  const auto* at = name.data();
  CHECK(ix::remembered_param_id(name) == ix::param_id_of(name));
  CHECK(ix::remembered_param_id(name) == ix::param_id_of(name)); // from the table
  name.replace(name.size() - 6, 6, "given.");
  REQUIRE(name.data() == at);
  CHECK(ix::remembered_param_id(name) == ix::param_id_of(name));
  CHECK(ix::remembered_param_id(name) != ix::param_id_of("http://hl7.org/fhir/SearchParameter/individual-family"));
  // A different address for a name already held reads the same id.
  const std::string copy = name;
  CHECK(ix::remembered_param_id(copy) == ix::param_id_of(name));
}

TEST_CASE("entries of one parameter share a prefix per kind and give back their id") {
  auto p = ix::param_id_of("http://hl7.org/fhir/SearchParameter/individual-family");
  CHECK(p == ix::param_id_of("http://hl7.org/fhir/SearchParameter/individual-family"));
  CHECK(p != ix::param_id_of("http://hl7.org/fhir/SearchParameter/individual-given"));

  auto s = ix::string_entry(7, 3, p, "chalmers", 0, "pat-1");
  CHECK(s.rfind(ix::prefix(7, 3, p, ix::kind::string), 0) == 0);
  CHECK(ix::entry_id(s) == "pat-1");
  CHECK(ix::entry_part(s) == 0);
  // A string from a text field carries its tag before the id.
  auto tagged = ix::string_entry(7, 3, p, "chalmers", 1, "pat-1");
  CHECK(tagged.size() == s.size() + 1);
  CHECK(ix::entry_id(tagged) == "pat-1");
  CHECK(ix::entry_part(tagged) == 1);
  CHECK(tagged.starts_with(s.substr(0, s.size() - 5))); // same value prefix

  auto c = ix::token_code_entry(7, 3, p, "1234-5", "http://loinc.org", 0, "obs.9");
  CHECK(ix::entry_id(c) == "obs.9");
  CHECK(c.find(std::string("1234-5\0http://loinc.org\0", 24)) != std::string::npos);
  CHECK(ix::entry_id(ix::token_text_entry(7, 3, p, "glucose", "y")) == "y");

  auto n = ix::number_entry(7, 3, p, 42.5, "n1");
  CHECK(ix::entry_id(n) == "n1");
  CHECK(ix::entry_number(n) == 42.5);

  auto q = ix::quantity_entry(7, 3, p, "http://unitsofmeasure.org", "mg", 5.25, "q1");
  CHECK(ix::entry_id(q) == "q1");
  CHECK(ix::entry_number(q) == 5.25);
  auto qv = ix::quantity_value_entry(7, 3, p, -3, "q2");
  CHECK(ix::entry_id(qv) == "q2");
  CHECK(ix::entry_number(qv) == -3);

  auto r = ix::reference_entry(7, 3, p, "Patient/123", "obs-1");
  CHECK(ix::entry_id(r) == "obs-1");
  CHECK(ix::entry_target(r) == "Patient/123");

  CHECK(ix::entry_id(ix::uri_entry(7, 3, p, "http://x/y", "u1")) == "u1");
  CHECK(s.rfind(ix::param_prefix(7, 3, p), 0) == 0);
  CHECK(c.rfind(ix::param_prefix(7, 3, p), 0) == 0);
  CHECK_FALSE(ix::entry_id(ix::prefix(7, 3, p, ix::kind::string)));
}

TEST_CASE("date entries order by start and by end, and keep both") {
  auto p = ix::param_id_of("birthdate");
  auto early = ix::date_start_entry(1, 1, p, -1000, 5000, "a");
  auto late = ix::date_start_entry(1, 1, p, 2000, 3000, "b");
  CHECK(early < late);
  auto d = ix::entry_dates(late);
  REQUIRE(d);
  CHECK(d->start == 2000);
  CHECK(d->end == 3000);
  CHECK(ix::entry_id(late) == "b");
  // By end, b (3000) comes before a (5000).
  auto a_end = ix::date_end_entry(1, 1, p, -1000, 5000, "a");
  auto b_end = ix::date_end_entry(1, 1, p, 2000, 3000, "b");
  CHECK(b_end < a_end);
  auto e = ix::entry_dates(a_end);
  REQUIRE(e);
  CHECK(e->start == -1000);
  CHECK(e->end == 5000);
}

TEST_CASE("dates: only ranges of a day or longer are ordered by end as well") {
  atrium::fhir::search::search_param birthdate;
  birthdate.url = "http://hl7.org/fhir/SearchParameter/individual-birthdate";
  birthdate.type = atrium::fhir::search::param_type::date;
  auto p = ix::param_id_of(birthdate.url);
  auto kinds = [&](std::int64_t start, std::int64_t end) {
    atrium::fhir::search::index_value v;
    v.param = &birthdate;
    v.k = atrium::fhir::search::index_value::kind::date;
    v.start = start, v.end = end;
    std::string out;
    for (const auto& e : ix::entries_for(1, 2, "a", {v}))
      out += e.key[ix::prefix(1, 2, p, ix::kind::date_start).size() - 1];
    return out;
  };
  const std::int64_t day = ix::narrow_date_span;
  CHECK(kinds(0, 0) == "d");             // an instant
  CHECK(kinds(0, day - 1) == "d");       // a date: one day less a microsecond
  CHECK(kinds(0, day) == "de");          // a day and a microsecond
  CHECK(kinds(0, 31 * day - 1) == "de"); // a month
  constexpr auto min = std::numeric_limits<std::int64_t>::min();
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  CHECK(kinds(min, 0) == "de");          // open at the start
  CHECK(kinds(0, max) == "de");          // open at the end
  CHECK(kinds(min, max) == "de");
  // _lastUpdated: one instant, one entry.
  std::vector<ix::entry> out;
  ix::add_last_updated(out, 1, 2, "a", 123456);
  REQUIRE(out.size() == 1);
  CHECK(ix::entry_dates(out[0].key)->end == 123456);
}

TEST_CASE("a value that is a prefix of another does not capture its entries") {
  auto p = ix::param_id_of("name");
  auto smith = ix::string_entry(1, 1, p, "smith", 0, "z");
  auto smithers = ix::string_entry(1, 1, p, "smithers", 0, "a");
  auto exact = ix::prefix(1, 1, p, ix::kind::string) + std::string("smith") + '\0';
  CHECK(smith.rfind(exact, 0) == 0);
  CHECK(smithers.rfind(exact, 0) != 0);
}

TEST_CASE("manifests round-trip and reject truncation") {
  std::vector<std::string> entries{ix::uri_entry(1, 2, 3, "u", "a"), std::string("x\0y", 3), ""};
  auto bytes = ix::encode_manifest(entries, "a");
  CHECK(ix::decode_manifest(bytes, "a") == entries);
  for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
    auto shorter = ix::decode_manifest(bytes.substr(0, cut), "a");
    CHECK((!shorter || shorter->size() < entries.size()));
  }
  CHECK_FALSE(ix::decode_manifest(bytes.substr(0, bytes.size() - 1), "a"));
  CHECK(ix::manifest_key(1, 2, "a") == atrium::storage::keys::resource(1, 2, "a"));
}

TEST_CASE("a manifest leaves out the id and what each key shares with the one before") {
  const std::string id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  auto p = ix::param_id_of("name");
  ix::composite_parts parts;
  parts.text("8480-6");
  // Sorted, as the partition writes them: an id at the end, an id before a
  // trailing byte (composites), a key without the id, and the id's text
  // inside a value as well as at the end.
  std::vector<std::string> entries{
    ix::string_entry(1, 2, p, "ann", 0, id),
    ix::string_entry(1, 2, p, "anna", 1, id),
    ix::string_entry(1, 2, p, id, 0, id),
    ix::composite_entry(1, 2, p, parts.bytes, id) + '\x03',
    ix::composite_entry(1, 2, p, parts.bytes, id) + '\x04',
    ix::param_prefix(1, 2, p + 1),
  };
  std::sort(entries.begin(), entries.end());
  auto bytes = ix::encode_manifest(entries, id);
  CHECK(ix::decode_manifest(bytes, id) == entries);
  std::size_t whole = 0;
  for (auto& e : entries) whole += 2 + e.size();
  CHECK(bytes.size() < whole / 2);
}

TEST_CASE("a manifest stores of each key only what it does not share, whatever its length") {
  // Shared starts are found 8 bytes at a time: a key that parts from the one
  // before at byte k, for k within and across words, costs three one-byte
  // varints and its one byte after the shared start.
  const std::string before = "abcdefghijklmnopqrstuvwxyz";
  const auto alone = ix::encode_manifest({before}, "id").size();
  for (std::size_t shared = 0; shared < 24; ++shared) {
    std::vector<std::string> entries{before, before.substr(0, shared) + "~"};
    auto bytes = ix::encode_manifest(entries, "id");
    CHECK(bytes.size() - alone == 4);
    CHECK(ix::decode_manifest(bytes, "id") == entries);
  }
  // A key that is the start of the one after it.
  std::vector<std::string> nested{before.substr(0, 9), before};
  CHECK(ix::encode_manifest(nested, "id").size() - ix::encode_manifest({nested[0]}, "id").size() ==
        3 + before.size() - 9);
  CHECK(ix::decode_manifest(ix::encode_manifest(nested, "id"), "id") == nested);
}

TEST_CASE("manifests of the first layout still decode") {
  std::vector<std::string> entries{ix::uri_entry(1, 2, 3, "u", "a"), std::string("x\0y", 3)};
  std::string first_layout;
  for (auto& k : entries) {
    atrium::storage::keys::append_u16(first_layout, static_cast<std::uint16_t>(k.size()));
    first_layout += k;
  }
  CHECK(ix::decode_manifest(first_layout, "a") == entries);
  CHECK(ix::decode_manifest("", "a") == std::vector<std::string>{});
  // A first key of 65,024 bytes or more starts the manifest with 0xFE, the
  // compact layout's mark; it does not decode as compact and reads as it was.
  std::vector<std::string> long_first{std::string(65100, 'v') + "a"};
  std::string old_long;
  atrium::storage::keys::append_u16(old_long, static_cast<std::uint16_t>(long_first[0].size()));
  old_long += long_first[0];
  REQUIRE(static_cast<unsigned char>(old_long[0]) == 0xFE);
  CHECK(ix::decode_manifest(old_long, "a") == long_first);
  // The compact layout has no such limit.
  CHECK(ix::decode_manifest(ix::encode_manifest(long_first, "a"), "a") == long_first);
  CHECK_FALSE(ix::decode_manifest(first_layout.substr(0, first_layout.size() - 1), "a"));
}

TEST_CASE("composite entries read back part by part and give back their id") {
  ix::composite_parts parts;
  parts.text("8480-6");
  parts.text("http://loinc.org");
  parts.number(120.5);
  parts.text("http://unitsofmeasure.org");
  parts.text("mm[Hg]");
  parts.instant(-5);
  parts.instant(0); // fixed-width parts may hold 0x00 bytes
  for (std::string id : {std::string("o1"), std::string(64, 'x')}) {
    auto key = ix::composite_entry(7, 3, 99, parts.bytes, id);
    CHECK(key.starts_with(ix::prefix(7, 3, 99, ix::kind::composite)));
    CHECK(ix::entry_id(key) == std::optional<std::string_view>{id});
    ix::composite_reader r(key);
    CHECK(r.text() == std::optional<std::string_view>{"8480-6"});
    CHECK(r.text() == std::optional<std::string_view>{"http://loinc.org"});
    CHECK(r.number() == 120.5);
    CHECK(r.text() == std::optional<std::string_view>{"http://unitsofmeasure.org"});
    CHECK(r.text() == std::optional<std::string_view>{"mm[Hg]"});
    CHECK(r.instant() == -5);
    CHECK(r.instant() == 0);
    CHECK_FALSE(r.number()); // the id is not a part
  }
}

TEST_CASE("entry_pair reads the two 0x00-terminated parts of token, identifier and quantity entries") {
  using pair = std::optional<std::pair<std::string_view, std::string_view>>;
  CHECK(ix::entry_pair(ix::token_code_entry(1, 2, 3, "8480-6", "http://loinc.org", 0, "o1")) ==
        pair{{"8480-6", "http://loinc.org"}});
  CHECK(ix::entry_pair(ix::token_code_entry(1, 2, 3, "final", "", 0, "o1")) == pair{{"final", ""}});
  CHECK(ix::entry_pair(ix::reference_identifier_entry(1, 2, 3, "111", "urn:x", "o1")) ==
        pair{{"111", "urn:x"}});
  CHECK(ix::entry_pair(ix::quantity_entry(1, 2, 3, "http://unitsofmeasure.org", "mg", 5, "o1")) ==
        pair{{"http://unitsofmeasure.org", "mg"}});
  CHECK_FALSE(ix::entry_pair(ix::prefix(1, 2, 3, ix::kind::token_code) + "no-terminator"));
}

TEST_CASE("an index key is allocated once") {
  // Dozens of keys per resource: a key that outgrows what was reserved, or
  // is copied on its way out, costs a second allocation and a copy on the
  // write path of every write.
  using atrium::test::allocations_of;
  const std::string id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"; // past any small-string buffer
  const ix::param_id p = 42;
  std::string key;
  auto once = [&](auto make) { return allocations_of([&] { key = make(); }); };
  CHECK(once([&] { return ix::string_entry(1, 2, p, "smith", 3, id); }) == 1);
  CHECK(once([&] { return ix::token_code_entry(1, 2, p, "8480-6", "http://loinc.org", 0, id); }) == 1);
  CHECK(once([&] {
          return ix::identifier_type_entry(1, 2, p, "12345", "MR",
                                           "http://terminology.hl7.org/v2-0203", id);
        }) == 1);
  CHECK(once([&] {
          return ix::reference_identifier_entry(1, 2, p, "12345", "http://hospital.example", id);
        }) == 1);
  CHECK(once([&] { return ix::token_text_entry(1, 2, p, "systolic blood pressure", id); }) == 1);
  CHECK(once([&] { return ix::date_start_entry(1, 2, p, 1000, 2000, id); }) == 1);
  CHECK(once([&] { return ix::date_end_entry(1, 2, p, 1000, 2000, id); }) == 1);
  CHECK(once([&] { return ix::number_entry(1, 2, p, 1.5, id); }) == 1);
  CHECK(once([&] {
          return ix::quantity_entry(1, 2, p, "http://unitsofmeasure.org", "mm[Hg]", 120, id);
        }) == 1);
  CHECK(once([&] { return ix::quantity_value_entry(1, 2, p, 120, id); }) == 1);
  CHECK(once([&] { return ix::reference_entry(1, 2, p, "Patient/0190a1b2-c3d4-7e5f", id); }) == 1);
  CHECK(once([&] { return ix::uri_entry(1, 2, p, "http://example.org/profile", id); }) == 1);
  CHECK(once([&] { return ix::manifest_key(1, 2, id); }) == 1);
  CHECK(once([&] { return keys::system_change(1, 1000, 2, id, 1); }) == 1);
  CHECK(once([&] { return keys::type_change(1, 2, 1000, id, 1); }) == 1);
  // A manifest told how many keys it will hold is sized once too.
  std::vector<std::string> listed;
  for (int i = 0; i < 18; ++i)
    listed.push_back(ix::string_entry(1, 2, p + i, "value " + std::to_string(i), 0, id));
  CHECK(once([&] { return ix::encode_manifest(listed, id); }) == 1);
}
