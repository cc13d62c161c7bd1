// Stores of index layouts 1-5 kept manifests in the index column; the
// upgrade moves them to their own column and leaves the entries alone.
#include <catch2/catch.hpp>

#include <algorithm>

#include "storage/index_keys.hpp"
#include "storage/index_upgrade.hpp"
#include "tests/storage/store_fixture.hpp"

using namespace atrium::storage;
using namespace atrium::storage::testing;
namespace ix = atrium::storage::index;

TEST_CASE("legacy manifests move to their own column and the entries stay") {
  temp_dir d;
  auto s = open_store(d);
  // Two services, two types, manifests after entries in each, as layout 5 wrote them.
  std::vector<write_op> ops;
  strings entries;
  int manifests = 0;
  for (service_id svc : {1u, 7u})
    for (type_id type : {3, 9})
      for (auto id : {"a", "b-1", "c.2"}) {
        auto entry = ix::uri_entry(svc, type, 42, "http://x", id);
        entries.push_back(entry);
        ops.push_back(put(column::index, entry, ""));
        ops.push_back(put(column::index, ix::legacy_manifest_key(svc, type, id),
                          ix::encode_manifest({entry}, id)));
        ++manifests;
      }
  REQUIRE(s->write(ops, true).is_ok());

  auto moved = ix::move_legacy_manifests(*s);
  REQUIRE(moved);
  CHECK(*moved == static_cast<std::size_t>(manifests));
  std::sort(entries.begin(), entries.end());
  CHECK(keys_of(s->scan(column::index, "", "")) == entries);
  for (service_id svc : {1u, 7u})
    for (type_id type : {3, 9})
      for (std::string id : {"a", "b-1", "c.2"}) {
        std::string bytes;
        REQUIRE(s->get(column::manifests, ix::manifest_key(svc, type, id), &bytes).is_ok());
        auto listed = ix::decode_manifest(bytes, id);
        REQUIRE(listed);
        CHECK(*listed == strings{ix::uri_entry(svc, type, 42, "http://x", id)});
      }
  CHECK(keys_of(s->scan(column::manifests, "", "")).size() == static_cast<std::size_t>(manifests));

  // Nothing is left to move: a second start moves nothing.
  moved = ix::move_legacy_manifests(*s);
  REQUIRE(moved);
  CHECK(*moved == 0);
}

TEST_CASE("moving manifests of an empty index moves nothing") {
  temp_dir d;
  auto s = open_store(d);
  auto moved = ix::move_legacy_manifests(*s);
  REQUIRE(moved);
  CHECK(*moved == 0);
}
