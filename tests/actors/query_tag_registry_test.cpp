// The extended query tag registry's view of re-index errors: counted, found
// and listed per tag through the tag-first keys, and removed with their tag
// (both keys of each), leaving other tags' errors alone.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "actors/dicom/query_tag_registry.hpp"
#include "storage/keyspace.hpp"

using namespace atrium;
using namespace atrium::actors;
using atrium::testing::actor_harness;
using storage::column;
namespace keys = storage::keys;

namespace {

constexpr std::uint32_t svc = 5;
constexpr dicom::tag age = 0x00101010, sex = 0x00100040;

/// Both keys of an error record, as a re-index job writes them.
std::vector<storage::write_op> error_of(dicom::tag t, const std::string& sop) {
  const std::string json = R"({"ErrorMessage":")" + sop + R"("})";
  return {{column::dicom, false, false, keys::dicom_tag_error(svc, "1.2", "1.2.3", sop, t), json},
          {column::dicom, false, false, keys::dicom_tag_error_by_tag(svc, t, "1.2", "1.2.3", sop),
           json}};
}

dicom::query_tag tag_of(dicom::tag t, std::string vr) {
  dicom::query_tag q;
  q.tag = t;
  q.vr = std::move(vr);
  q.operation = "op-1";
  return q;
}

} // namespace

TEST_CASE("tag errors are counted and listed per tag, and go with their tag", "[dicom][query-tags]") {
  actor_harness h;
  auto& db = h.db();
  query_tag_registry registry{db};
  REQUIRE(registry.add(svc, {tag_of(age, "AS"), tag_of(sex, "CS")}));
  std::vector<storage::write_op> ops;
  for (auto sop : {"1.2.3.7", "1.2.3.4", "1.2.3.5"})
    for (auto& op : error_of(age, sop))
      ops.push_back(op);
  for (auto& op : error_of(sex, "1.2.3.4"))
    ops.push_back(op);
  REQUIRE(db.write(ops, true));

  CHECK(registry.error_count(svc, age) == 3);
  CHECK(registry.error_count(svc, sex) == 1);
  CHECK(registry.has_errors(svc, sex));
  CHECK_FALSE(registry.has_errors(svc + 1, sex));
  auto listed = registry.errors(svc, age, 1, 5); // from the second, in UID order
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].sop == "1.2.3.5");
  CHECK(listed[1].sop == "1.2.3.7");
  CHECK(listed[1].json == R"({"ErrorMessage":"1.2.3.7"})");
  CHECK(registry.errors(svc, age, 0, 1).size() == 1);

  // The tags become ready: the one with errors has queries disabled.
  REQUIRE(registry.ready(svc, "op-1"));
  for (auto& t : registry.of(svc))
    CHECK(t.query_enabled == false);

  REQUIRE(registry.remove(svc, age));
  CHECK(registry.error_count(svc, age) == 0);
  CHECK(registry.error_count(svc, sex) == 1);
  std::string v;
  CHECK(db.get(column::dicom, keys::dicom_tag_error(svc, "1.2", "1.2.3", "1.2.3.5", age), &v).code() ==
        errc::not_found);
  CHECK(db.get(column::dicom, keys::dicom_tag_error(svc, "1.2", "1.2.3", "1.2.3.4", sex), &v));
}
