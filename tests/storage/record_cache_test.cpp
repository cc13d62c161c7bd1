#include <catch2/catch.hpp>

#include <atomic>
#include <barrier>
#include <functional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "storage/record_cache.hpp"
#include "storage/store.hpp"
#include "tests/storage/store_fixture.hpp"

using namespace atrium;
using namespace atrium::storage;
using namespace atrium::storage::testing;

namespace {

/// Keys that land in the same shard as `key`, by the cache's own rule
/// (the top byte of the key's hash, over 16 shards).
std::vector<std::string> same_shard_keys(const std::string& key, std::size_t n) {
  auto shard = [](const std::string& k) { return (std::hash<std::string_view>{}(k) >> 56) % 16; };
  std::vector<std::string> out;
  for (int i = 0; out.size() < n; ++i)
    if (auto k = "k" + std::to_string(i); k != key && shard(k) == shard(key))
      out.push_back(k);
  return out;
}

/// A write of `key` that reached the store: claimed, then settled.
void write(record_cache& c, std::string_view key, std::string_view value, bool removed = false) {
  const record_cache::change ch[] = {{key, value, removed}};
  c.begin_write(ch);
  c.end_write(ch, true);
}

/// A write of `key` that removes it.
void remove(record_cache& c, std::string_view key) { write(c, key, {}, true); }

} // namespace

TEST_CASE("record cache: a put is found until its key is written") {
  record_cache c{1u << 20};
  std::string v;
  CHECK_FALSE(c.get("a", &v));
  c.put("a", "one", c.ticket("a"));
  REQUIRE(c.get("a", &v));
  CHECK(v == "one");
  remove(c, "a");
  CHECK_FALSE(c.get("a", &v));
  auto n = c.stats();
  CHECK(n.hits == 1);
  CHECK(n.misses == 2);
  CHECK(n.entries == 0);
}

TEST_CASE("record cache: a value read before a write of its shard is not kept") {
  record_cache c{1u << 20};
  auto t = c.ticket("a");
  remove(c, "a"); // a write of "a" lands while the reader holds the old value
  c.put("a", "old", t);
  CHECK_FALSE(c.get("a", nullptr));
  auto other = same_shard_keys("a", 1)[0];
  t = c.ticket("a");
  write(c, other, "x"); // the epoch is the shard's: any of its writes voids the ticket
  c.put("a", "old", t);
  CHECK_FALSE(c.get("a", nullptr));
  t = c.ticket("a");
  c.clear();
  c.put("a", "old", t);
  CHECK_FALSE(c.get("a", nullptr));
  c.put("a", "new", c.ticket("a"));
  CHECK(c.get("a", nullptr));
}

TEST_CASE("record cache: a write leaves what it wrote, unless another write of the key overlapped it") {
  record_cache c{1u << 20};
  std::string v;
  write(c, "a", "one");
  REQUIRE(c.get("a", &v));
  CHECK(v == "one");
  // Of one key's changes in a write, the last one stays.
  const record_cache::change twice[] = {{"a", "two"}, {"b", "x"}, {"a", "three"}};
  c.begin_write(twice);
  c.end_write(twice, true);
  REQUIRE(c.get("a", &v));
  CHECK(v == "three");
  CHECK(c.get("b", nullptr));
  const record_cache::change gone[] = {{"a", {}, true}};
  c.begin_write(gone);
  c.end_write(gone, true);
  CHECK_FALSE(c.get("a", nullptr));
  // A write the store failed leaves nothing, not even the older value.
  write(c, "a", "four");
  const record_cache::change failed[] = {{"a", "five"}};
  c.begin_write(failed);
  c.end_write(failed, false);
  CHECK_FALSE(c.get("a", nullptr));
  {
    // A value over write_through_max (a large Binary) enters on its first
    // read, not by its write, which drops what the key held; each shard
    // here has room for it (4 MiB).
    record_cache roomy{64u << 20};
    write(roomy, "big", "small");
    const std::string big(record_cache::write_through_max + 1, 'x');
    write(roomy, "big", big);
    CHECK_FALSE(roomy.get("big", nullptr));
    roomy.put("big", big, roomy.ticket("big"));
    REQUIRE(roomy.get("big", &v));
    CHECK(v == big);
    write(roomy, "edge", std::string(record_cache::write_through_max, 'y'));
    CHECK(roomy.get("edge", nullptr));
  }

  // Two writes of one key in flight at once: whichever the store applied
  // last, neither leaves its value (nor the older one), in either order of
  // their ends. Writes of other keys of the same shard in flight with them
  // keep theirs.
  auto other = same_shard_keys("a", 1)[0];
  for (bool first_ends_first : {true, false}) {
    write(c, "a", "old");
    const record_cache::change first[] = {{"a", "1"}, {other, "x"}}, second[] = {{"a", "2"}};
    c.begin_write(first);
    c.begin_write(second);
    const std::span<const record_cache::change> a{first}, b{second};
    c.end_write(first_ends_first ? a : b, true);
    c.end_write(first_ends_first ? b : a, true);
    CHECK_FALSE(c.get("a", nullptr));
    REQUIRE(c.get(other, &v));
    CHECK(v == "x");
    write(c, "a", "3"); // once both ended, a write of the key is kept again
    REQUIRE(c.get("a", &v));
    CHECK(v == "3");
  }
}

TEST_CASE("record cache: a reader's ticket taken before a write ends does not fit after it") {
  record_cache c{1u << 20};
  const record_cache::change ch[] = {{"a", "new"}};
  auto before = c.ticket("a"); // read the old value before the write was claimed
  c.begin_write(ch);
  auto during = c.ticket("a"); // read while the write was in flight
  c.put("a", "old", before);
  CHECK_FALSE(c.get("a", nullptr));
  c.put("a", "old", during); // kept for now: the write's end replaces it
  c.end_write(ch, true);
  std::string v;
  REQUIRE(c.get("a", &v));
  CHECK(v == "new");
  c.put("a", "old", during); // a reader slower than the write's end
  REQUIRE(c.get("a", &v));
  CHECK(v == "new");
}

TEST_CASE("record cache: a full shard frees the entries not read since the clock hand passed") {
  const std::string value(1000, 'x'); // entries of ~1 KiB: the header is noise
  const std::size_t capacity = 16 * 2500; // room for two of them a shard, not three
  auto keys = same_shard_keys("k", 3);
  // Either of two entries is kept when it is the one read, wherever the
  // hand meets it first.
  for (int read : {0, 1}) {
    record_cache c{capacity};
    c.put(keys[0], value, c.ticket(keys[0]));
    c.put(keys[1], value, c.ticket(keys[1]));
    REQUIRE(c.get(keys[read], nullptr)); // the other was put and never read
    c.put(keys[2], value, c.ticket(keys[2]));
    CHECK(c.get(keys[read], nullptr));
    CHECK_FALSE(c.get(keys[1 - read], nullptr));
    CHECK(c.get(keys[2], nullptr));
    CHECK(c.stats().entries == 2);
    CHECK(c.stats().bytes <= 2500);
  }
  record_cache c{capacity};
  // Many more than fit: the shard stays within its share, and what it kept
  // is still found (removals leave no hole in a probe run).
  for (const auto& k : same_shard_keys("k", 200))
    c.put(k, value, c.ticket(k));
  CHECK(c.stats().bytes <= 2500);
  std::size_t found = 0;
  for (const auto& k : same_shard_keys("k", 200))
    found += c.get(k, nullptr);
  CHECK(found == c.stats().entries);
  // A value larger than a shard's share is not kept at all.
  c.put("big", std::string(4000, 'y'), c.ticket("big"));
  CHECK_FALSE(c.get("big", nullptr));
}

TEST_CASE("record cache: entries stay findable as others come and go") {
  record_cache c{64u << 20}; // no eviction: only inserts and erases
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i)
    keys.push_back("Patient/" + std::to_string(i));
  for (const auto& k : keys)
    c.put(k, k + "-value", c.ticket(k));
  for (std::size_t i = 0; i < keys.size(); i += 3)
    remove(c, keys[i]);
  std::string v;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    bool erased = i % 3 == 0;
    REQUIRE(c.get(keys[i], &v) == !erased);
    if (!erased)
      CHECK(v == keys[i] + "-value");
  }
  CHECK(c.stats().entries == keys.size() - (keys.size() + 2) / 3);
}

TEST_CASE("the store's record cache serves resources and follows every write") {
  temp_dir d;
  auto s = open_store(d, 1u << 20);
  REQUIRE(s->write({put(column::resources, "r1", "v1"), put(column::meta, "m", "x")}, true));
  std::string v;
  REQUIRE(s->get(column::resources, "r1", &v)); // written through: a hit
  CHECK(v == "v1");
  CHECK(s->record_cache_stats().hits == 1);
  CHECK(s->record_cache_stats().misses == 0);
  REQUIRE(s->get(column::meta, "m", &v)); // other columns go straight to RocksDB
  CHECK(s->record_cache_stats().hits + s->record_cache_stats().misses == 1);

  REQUIRE(s->write({put(column::resources, "r1", "v2")}, true));
  REQUIRE(s->get(column::resources, "r1", &v));
  CHECK(v == "v2");
  CHECK(s->record_cache_stats().misses == 0);
  REQUIRE(s->write({del(column::resources, "r1")}, true));
  CHECK(s->get(column::resources, "r1", &v).code() == errc::not_found);

  REQUIRE(s->write({put(column::resources, "r2", "v")}, true));
  REQUIRE(s->get(column::resources, "r2", &v));
  CHECK(s->record_cache_stats().entries == 1);
  REQUIRE(s->write({del_range(column::resources, "r", "s")}, true));
  CHECK(s->get(column::resources, "r2", &v).code() == errc::not_found);
  CHECK(s->record_cache_stats().entries == 0);
}

TEST_CASE("with the record cache, no read started after a write's return sees an older value") {
  temp_dir d;
  auto s = open_store(d, 1u << 20);
  REQUIRE(s->write({put(column::resources, "r", "0")}, false));
  std::atomic<int> acknowledged{0};
  std::atomic<bool> done{false};
  std::atomic<int> stale{0}, reads{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i)
    readers.emplace_back([&] {
      std::string v;
      while (!done.load()) {
        int before = acknowledged.load();
        if (!s->get(column::resources, "r", &v) || std::stoi(v) < before)
          stale.fetch_add(1);
        reads.fetch_add(1);
      }
    });
  for (int i = 1; i <= 3000; ++i) {
    REQUIRE(s->write({put(column::resources, "r", std::to_string(i))}, false));
    acknowledged.store(i);
  }
  done.store(true);
  for (auto& t : readers) t.join();
  CHECK(stale.load() == 0);
  CHECK(reads.load() > 0);
  CHECK(s->record_cache_stats().hits > 0);
}

TEST_CASE("with the record cache, two writers of one key leave it holding what the store holds") {
  temp_dir d;
  auto s = open_store(d, 1u << 20);
  constexpr int rounds = 1500;
  std::barrier start{3}, end{3}; // the two writers and the checker
  std::atomic<int> failed_writes{0}; // Catch's REQUIRE is not for other threads
  auto writer = [&](const char* name) {
    for (int r = 0; r < rounds; ++r) {
      start.arrive_and_wait();
      if (!s->write({put(column::resources, "r", name + std::to_string(r))}, false))
        failed_writes.fetch_add(1);
      end.arrive_and_wait();
    }
  };
  std::thread a{writer, "a"}, b{writer, "b"};
  int differ = 0;
  std::string cached, stored;
  for (int r = 0; r < rounds; ++r) {
    start.arrive_and_wait();
    end.arrive_and_wait(); // both writes of round r are done, the next not begun
    REQUIRE(s->get(column::resources, "r", &cached));
    REQUIRE(s->view()->get(column::resources, "r", &stored)); // a snapshot read goes around it
    differ += cached != stored;
  }
  a.join();
  b.join();
  CHECK(failed_writes.load() == 0);
  CHECK(differ == 0);
}
