#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <random>

#include <rocksdb/db.h>
#include <rocksdb/utilities/options_util.h>

#include "storage/dicom_index.hpp"
#include "storage/store.hpp"
#include "tests/storage/store_fixture.hpp"

using namespace atrium;
using namespace atrium::storage;
using namespace atrium::storage::testing;
using namespace std::string_literals;

TEST_CASE("open, put, get, not_found") {
  temp_dir d;
  auto s = open_store(d);
  REQUIRE(s->write({put(column::meta, "k", "v")}, true).is_ok());
  std::string v;
  REQUIRE(s->get(column::meta, "k", &v).is_ok());
  CHECK(v == "v");
  CHECK(s->get(column::meta, "missing", &v).code() == errc::not_found);
  // Columns are separate keyspaces.
  CHECK(s->get(column::resources, "k", &v).code() == errc::not_found);
  CHECK(s->get(column::meta, "k", nullptr).is_ok());
}

TEST_CASE("open without create_if_missing fails with io_error") {
  temp_dir d;
  store_options o;
  o.create_if_missing = false;
  auto s = store::open(d.path.string(), o);
  REQUIRE_FALSE(s);
  CHECK(s.error().code() == errc::io_error);
  CHECK_FALSE(s.error().message().empty());
}

TEST_CASE("a multi-column write is visible together") {
  temp_dir d;
  auto s = open_store(d);
  auto before = s->scan(column::history, "", "");
  REQUIRE(s->write({put(column::resources, "r", "cur"), put(column::history, "h", "old"),
                    put(column::changes, "c", "")},
                   false)
              .is_ok());
  std::string v;
  CHECK(s->get(column::resources, "r", &v).is_ok());
  CHECK(s->get(column::history, "h", &v).is_ok());
  CHECK(s->get(column::changes, "c", &v).is_ok());
  CHECK(v.empty());
  CHECK_FALSE(before.valid()); // made before the batch: sees none of it
}

TEST_CASE("erase and erase_range") {
  temp_dir d;
  auto s = open_store(d);
  fill(*s, column::history, {"a", "b1", "b2", "b3", "c"});
  REQUIRE(s->write({del(column::history, "a"), del_range(column::history, "b", "c")}, false).is_ok());
  CHECK(keys_of(s->scan(column::history, "", "")) == strings{"c"});
  std::string v;
  CHECK(s->get(column::history, "a", &v).code() == errc::not_found);
  CHECK(s->get(column::history, "b2", &v).code() == errc::not_found);
  CHECK(s->get(column::history, "c", &v).is_ok());
}

TEST_CASE("ascending and descending scans with bounds") {
  temp_dir d;
  auto s = open_store(d);
  fill(*s, column::resources, {"a", "b", "ba", "c", "d", "e"});

  CHECK(keys_of(s->scan(column::resources, "b", "d")) == strings{"b", "ba", "c"});
  CHECK(keys_of(s->scan(column::resources, "b", "d", true)) == strings{"c", "ba", "b"});
  // Upper bound between keys, lower bound between keys.
  CHECK(keys_of(s->scan(column::resources, "az", "cz", true)) == strings{"c", "ba", "b"});
  CHECK(keys_of(s->scan(column::resources, "", "b")) == strings{"a"});
  CHECK(keys_of(s->scan(column::resources, "", "b", true)) == strings{"a"});
  CHECK(keys_of(s->scan(column::resources, "d", "")) == strings{"d", "e"});
  CHECK(keys_of(s->scan(column::resources, "x", "")).empty());
  CHECK(keys_of(s->scan(column::resources, "", "a", true)).empty());

  auto c = s->scan(column::resources, "c", "");
  REQUIRE(c.valid());
  CHECK(c.value() == "vc");
}

TEST_CASE("descending scan with an empty upper starts at the last key") {
  temp_dir d;
  auto s = open_store(d);
  fill(*s, column::changes, {"a", "b", "c"});
  CHECK(keys_of(s->scan(column::changes, "", "", true)) == strings{"c", "b", "a"});
  CHECK(keys_of(s->scan(column::changes, "b", "", true)) == strings{"c", "b"});
}

TEST_CASE("data survives close and reopen") {
  temp_dir d;
  {
    auto s = open_store(d);
    fill(*s, column::history, {"k1", "k2"});
    REQUIRE(s->write({put(column::meta, "N", "7")}, true).is_ok());
    REQUIRE(s->close().is_ok());
    CHECK(s->close().is_ok()); // idempotent
    std::string v;
    CHECK(s->get(column::meta, "N", &v).code() == errc::unavailable);
    CHECK(s->write({put(column::meta, "x", "y")}, false).code() == errc::unavailable);
    CHECK(s->scan(column::meta, "", "").error().code() == errc::unavailable);
  }
  {
    auto s = open_store(d);
    std::string v;
    REQUIRE(s->get(column::meta, "N", &v).is_ok());
    CHECK(v == "7");
    CHECK(keys_of(s->scan(column::history, "", "")) == strings{"k1", "k2"});
  }
  { // and without an explicit close: the destructor closes.
    auto s = open_store(d);
    REQUIRE(s->write({put(column::meta, "late", "1")}, false).is_ok());
  }
  auto s = open_store(d);
  std::string v;
  CHECK(s->get(column::meta, "late", &v).is_ok());
}

TEST_CASE("a cursor sees the store as of its creation") {
  temp_dir d;
  auto s = open_store(d);
  fill(*s, column::resources, {"a", "c"});
  auto c = s->scan(column::resources, "", "");
  REQUIRE(s->write({put(column::resources, "b", "new"), del(column::resources, "c"),
                    put(column::resources, "a", "changed")},
                   false)
              .is_ok());
  REQUIRE(c.valid());
  CHECK(c.key() == "a");
  CHECK(c.value() == "va");
  c.next();
  REQUIRE(c.valid());
  CHECK(c.key() == "c");
  c.next();
  CHECK_FALSE(c.valid());
  CHECK(keys_of(s->scan(column::resources, "", "")) == strings{"a", "b"});
}

TEST_CASE("close refuses while a cursor is open") {
  temp_dir d;
  auto s = open_store(d);
  fill(*s, column::meta, {"a"});
  {
    auto c = s->scan(column::meta, "", "");
    auto moved = std::move(c); // the count follows the cursor, not the object
    CHECK(s->close().code() == errc::internal);
  }
  CHECK(s->close().is_ok());
}

TEST_CASE("a read view keeps seeing the state it was made at") {
  temp_dir dir;
  auto s = open_store(dir);
  REQUIRE(s->write({{column::index, false, false, "a", "1"}}, false).is_ok());
  auto view = s->view();
  REQUIRE(s->write({{column::index, false, false, "b", "2"}, {column::index, true, false, "a", ""}},
                   false)
            .is_ok());
  std::string v;
  CHECK(view->get(column::index, "a", &v).is_ok());
  CHECK(v == "1");
  CHECK(view->get(column::index, "b", &v).code() == atrium::errc::not_found);
  std::vector<std::string> seen;
  for (auto c = view->scan(column::index, "", ""); c.valid(); c.next())
    seen.emplace_back(c.key());
  CHECK(seen == std::vector<std::string>{"a"});
  // The store itself sees the new state, and refuses to close under a view.
  CHECK(s->get(column::index, "a", &v).code() == atrium::errc::not_found);
  CHECK(s->close().code() == atrium::errc::internal);
  view.reset();
  CHECK(s->close().is_ok());
}

TEST_CASE("a batch applies in the order given, whatever order the store inserts it in") {
  temp_dir dir;
  auto s = open_store(dir);
  std::vector<atrium::storage::write_op> ops{
    {column::index, false, false, "z", "1"},
    {column::index, false, false, "b", "1"},
    {column::index, true, false, "z", ""},        // the later delete wins
    {column::index, false, false, "c", "old"},
    {column::index, false, true, "b", "d"},       // range delete of b and c …
    {column::index, false, false, "c", "new"},    // … then c written again
    {column::index, false, false, "a", "1"},
  };
  REQUIRE(s->write(ops, true).is_ok());
  std::string v;
  CHECK(s->get(column::index, "z", &v).code() == atrium::errc::not_found);
  CHECK(s->get(column::index, "b", &v).code() == atrium::errc::not_found);
  REQUIRE(s->get(column::index, "c", &v).is_ok());
  CHECK(v == "new");
  CHECK(s->get(column::index, "a", &v).is_ok());
}

TEST_CASE("a batch of long keys with shared starts applies in the order given") {
  // The store sorts a batch by key before the memtable sees it: keys here
  // share their first 16 bytes, differ after them or only by trailing 0x00,
  // and each is written and deleted several times in one batch.
  temp_dir dir;
  auto s = open_store(dir);
  const std::string start(15, 'p');
  const std::vector<std::string> keys{start,          start + 'q',     start + "q\x00"s,
                                      start + "q\x00\x00"s, start + "qa", start + "qa" + start,
                                      start + "r",    "short",         "short\x00"s};
  std::mt19937 rng(7);
  std::vector<write_op> ops;
  std::map<std::string, std::string> model;
  for (int i = 0; i < 400; ++i) {
    const auto& k = keys[rng() % keys.size()];
    if (rng() % 3 == 0) {
      ops.push_back({column::index, true, false, k, ""});
      model.erase(k);
    } else {
      ops.push_back({column::index, false, false, k, std::to_string(i)});
      model[k] = std::to_string(i);
    }
  }
  REQUIRE(s->write(ops, true).is_ok());
  for (const auto& k : keys) {
    std::string v;
    auto st = s->get(column::index, k, &v);
    if (auto it = model.find(k); it != model.end()) {
      REQUIRE(st.is_ok());
      CHECK(v == it->second);
    } else {
      CHECK(st.code() == atrium::errc::not_found);
    }
  }
}

// ---- the memtable (storage/memtable.hpp) -------------------------------------
// Every write below stays in the memtable (64 MiB before a flush), so these
// exercise our skip list: inserts, point reads, seeks both ways, versions.

namespace {

// Keys that share prefixes, are prefixes of one another, and hold the bytes
// 0x00 and 0xff, so the order checked is the bytewise one.
std::string random_key(std::mt19937& rng) {
  static const std::string alphabet{"ab\x00\xff", 4};
  std::string k = "k";
  const int n = static_cast<int>(rng() % 6);
  for (int i = 0; i < n; ++i)
    k += alphabet[rng() % alphabet.size()];
  return k;
}

strings model_keys(const std::map<std::string, std::string>& m, std::string_view lo,
                   std::string_view hi) {
  strings out;
  for (auto it = m.lower_bound(std::string(lo)); it != m.end(); ++it) {
    if (!hi.empty() && it->first >= hi) break;
    out.push_back(it->first);
  }
  return out;
}

} // namespace

TEST_CASE("the memtable keeps keys, versions and deletes in order", "[memtable]") {
  // resources: point reads go through the memtable's hash index as well.
  const column cf = GENERATE(column::index, column::resources);
  // Large batches make long sorted runs: inserts then start from the path
  // of the one before, at every height of the list.
  const int max_batch = GENERATE(40, 1000);
  temp_dir dir;
  auto s = open_store(dir);
  std::mt19937 rng(7);
  std::map<std::string, std::string> model;
  for (int round = 0; round < 200; ++round) {
    std::vector<write_op> ops;
    const int n = 1 + static_cast<int>(rng() % max_batch);
    for (int i = 0; i < n; ++i) {
      auto k = random_key(rng);
      if (rng() % 4 == 0) {
        ops.push_back(del(cf, k));
        model.erase(k);
      } else {
        auto v = std::to_string(round) + "/" + std::to_string(i);
        ops.push_back(put(cf, k, v));
        model[k] = v;
      }
    }
    REQUIRE(s->write(ops, false).is_ok());
    if (round % 20 != 19) continue;

    std::string v;
    for (int i = 0; i < 50; ++i) {
      auto k = random_key(rng);
      auto st = s->get(cf, k, &v);
      if (auto it = model.find(k); it == model.end()) {
        CHECK(st.code() == atrium::errc::not_found);
      } else {
        REQUIRE(st.is_ok());
        CHECK(v == it->second);
      }
    }
    CHECK(keys_of(s->scan(cf, "", "")) == model_keys(model, "", ""));
    auto lo = random_key(rng), hi = random_key(rng);
    if (hi < lo) std::swap(lo, hi);
    auto expected = model_keys(model, lo, hi);
    CHECK(keys_of(s->scan(cf, lo, hi)) == expected);
    std::reverse(expected.begin(), expected.end());
    CHECK(keys_of(s->scan(cf, lo, hi, /*descending=*/true)) == expected);
  }
}

TEST_CASE("memtable reads under a view see the versions of their time", "[memtable]") {
  temp_dir dir;
  auto s = open_store(dir);
  std::vector<std::unique_ptr<read_view>> views;
  for (int version = 0; version < 5; ++version) {
    REQUIRE(s->write({put(column::resources, "same", std::to_string(version)),
                      put(column::resources, "other" + std::to_string(version), "x")},
                     false)
              .is_ok());
    views.push_back(s->view());
  }
  for (int version = 0; version < 5; ++version) {
    std::string v;
    REQUIRE(views[version]->get(column::resources, "same", &v).is_ok());
    CHECK(v == std::to_string(version));
    CHECK(keys_of(views[version]->scan(column::resources, "other", "otherz")).size() ==
          static_cast<std::size_t>(version + 1));
  }
  views.clear();
}

TEST_CASE("memtable readers stay in order while the writer inserts", "[memtable]") {
  temp_dir dir;
  auto s = open_store(dir);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::mt19937 rng(11);
    for (int round = 0; round < 400; ++round) {
      std::vector<write_op> ops;
      for (int i = 0; i < 25; ++i)
        ops.push_back(put(column::index, "w" + std::to_string(rng() % 100000), "v"));
      if (!s->write(ops, false).is_ok()) break;
    }
    done = true;
  });
  bool ordered = true;
  std::size_t last_count = 0;
  while (!done && ordered) {
    auto seen = keys_of(s->scan(column::index, "w", "x"));
    ordered = std::is_sorted(seen.begin(), seen.end()) &&
              std::adjacent_find(seen.begin(), seen.end()) == seen.end() &&
              seen.size() >= last_count; // nothing written ever disappears
    last_count = seen.size();
    auto back = keys_of(s->scan(column::index, "w", "x", /*descending=*/true));
    ordered = ordered && std::is_sorted(back.rbegin(), back.rend());
  }
  writer.join();
  CHECK(ordered);
  CHECK(keys_of(s->scan(column::index, "w", "x")).size() > 9000);
}

TEST_CASE("memtable point reads past the hash index's capacity", "[memtable]") {
  // The resources memtable's hash index is sized for 64 MiB / 512 = 131,072
  // keys: 262,144 slots, given up at 3/4 full (196,608). Keys written after
  // that are found by descending the skip list, and so are older ones.
  temp_dir dir;
  auto s = open_store(dir);
  const int n = 210000;
  for (int from = 0; from < n; from += 5000) {
    std::vector<write_op> ops;
    for (int i = from; i < from + 5000; ++i)
      ops.push_back(put(column::resources, "r" + std::to_string(i), std::to_string(i)));
    REQUIRE(s->write(ops, false).is_ok());
  }
  REQUIRE(s->write({put(column::resources, "r7", "seven")}, false).is_ok());
  std::string v;
  for (int i : {0, 1, 7, 9999, 131072, 196607, 196608, 200000, n - 1}) {
    REQUIRE(s->get(column::resources, "r" + std::to_string(i), &v).is_ok());
    CHECK(v == (i == 7 ? "seven" : std::to_string(i)));
  }
  CHECK(s->get(column::resources, "r" + std::to_string(n), &v).code() == atrium::errc::not_found);
  CHECK(s->get(column::resources, "q", &v).code() == atrium::errc::not_found);
}

TEST_CASE("a store's extended query tag errors get their tag-first keys once", "[store][dicom]") {
  temp_dir d;
  auto db = open_store(d);
  // As a form-2 build left them: errors keyed instance first only.
  const auto error = keys::dicom_tag_error(7, "1.2", "1.2.3", "1.2.3.4", 0x00101010);
  std::string form2;
  keys::append_u32(form2, 2);
  REQUIRE(db->write({put(column::dicom, error, R"({"ErrorMessage":"x"})"),
                     put(column::meta, keys::dicom_index_form(), form2)},
                    true));
  auto added = upgrade_dicom_index(*db);
  REQUIRE(added);
  CHECK(*added == 1);
  std::string v;
  REQUIRE(db->get(column::dicom, keys::dicom_tag_error_by_tag(7, 0x00101010, "1.2", "1.2.3", "1.2.3.4"),
                  &v));
  CHECK(v == R"({"ErrorMessage":"x"})");
  auto again = upgrade_dicom_index(*db);
  REQUIRE(again);
  CHECK(*again == 0);
}

TEST_CASE("a store's DICOM study index is brought to the accent-folded form once",
          "[store][dicom]") {
  temp_dir d;
  auto db = open_store(d);
  constexpr std::uint32_t name = 0x00100010, id = 0x00100020;
  // As an earlier build indexed them: ASCII upper-cased, other bytes kept.
  const auto old_accented = keys::dicom_index(7, name, "M\xc3\xbcLLER^J\xc3\xb6RG", "1.2");
  const auto ascii = keys::dicom_index(7, id, "PAT-1", "1.2");
  const auto other_service = keys::dicom_index(9, name, "\xc3\x89LISE", "1.3");
  REQUIRE(db->write({put(column::dicom, old_accented, ""), put(column::dicom, ascii, ""),
                     put(column::dicom, other_service, "")},
                    true));
  auto moved = upgrade_dicom_index(*db);
  REQUIRE(moved);
  CHECK(*moved == 2);
  std::string v;
  CHECK(db->get(column::dicom, old_accented, &v).code() == errc::not_found);
  CHECK(db->get(column::dicom, keys::dicom_index(7, name, "MULLER^JORG", "1.2"), &v));
  CHECK(db->get(column::dicom, keys::dicom_index(9, name, "ELISE", "1.3"), &v));
  CHECK(db->get(column::dicom, ascii, &v)); // ASCII keys are the same in both forms
  // Recorded: the next start leaves the keys alone.
  REQUIRE(db->write({put(column::dicom, old_accented, "")}, true));
  auto again = upgrade_dicom_index(*db);
  REQUIRE(again);
  CHECK(*again == 0);
  CHECK(db->get(column::dicom, old_accented, &v));
}

namespace {

/// level_compaction_dynamic_level_bytes of each column, as the store's
/// latest options file records it.
std::vector<std::string> level_sizing_of(const temp_dir& d) {
  std::string name;
  REQUIRE(rocksdb::GetLatestOptionsFileName(d.path.string(), rocksdb::Env::Default(), &name).ok());
  std::ifstream in{d.path / name};
  std::vector<std::string> values;
  std::string line;
  const std::string option = "level_compaction_dynamic_level_bytes=";
  while (std::getline(in, line))
    if (auto at = line.find(option); at != std::string::npos)
      values.push_back(line.substr(at + option.size()));
  return values;
}

} // namespace

TEST_CASE("a new store sizes its levels dynamically; one made with fixed levels keeps them") {
  SECTION("new") {
    temp_dir d;
    REQUIRE(open_store(d)->close().is_ok());
    auto values = level_sizing_of(d);
    CHECK(values.size() == 1 + column_count); // default, then every column
    CHECK(std::count(values.begin(), values.end(), "true") == std::ssize(values));
  }
  SECTION("made before, with fixed level targets") {
    temp_dir d;
    rocksdb::Options old;
    old.create_if_missing = true;
    old.level_compaction_dynamic_level_bytes = false;
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(old, d.path.string(), &raw).ok());
    delete raw;
    REQUIRE(open_store(d)->close().is_ok());
    auto values = level_sizing_of(d);
    CHECK(values.size() == 1 + column_count); // the columns the store added, too
    CHECK(std::count(values.begin(), values.end(), "false") == std::ssize(values));
  }
}
