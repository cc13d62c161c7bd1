// The persisted $reindex job record and the status it reports.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include "protocols/fhir/reindex_job.hpp"

using namespace atrium;
using namespace atrium::fhir;

namespace {

struct json_doc {
  explicit json_doc(const std::string& text) : padded(text) { REQUIRE(!parser.parse(padded).get(root)); }
  std::string str(const char* pointer) const {
    std::string_view s;
    return root.at_pointer(pointer).get_string().get(s) ? std::string{} : std::string{s};
  }
  simdjson::padded_string padded;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
};

reindex_job sample() {
  reindex_job job;
  job.id = "job-1";
  job.status = reindex_job::state::running;
  job.queued_micros = 1'700'000'000'000'000;
  job.types = {"Observation", "Patient"};
  job.type_index = 1;
  job.after_id = "p-42";
  job.until_id = "p-99";
  job.reindexed = 1234;
  job.params = {R"x({"resourceType":"SearchParameter","url":"u","expression":"a.where(b='\"')"})x"};
  job.issues = {"http://x is left out: \"why\""};
  return job;
}

} // namespace

TEST_CASE("a reindex job record round-trips", "[reindex]") {
  auto job = sample();
  auto decoded = decode_reindex_job(encode_reindex_job(job));
  REQUIRE(decoded);
  CHECK(*decoded == job);
  job.status = reindex_job::state::failed;
  job.error = "disk full";
  job.ended_micros = job.queued_micros + 5;
  decoded = decode_reindex_job(encode_reindex_job(job));
  REQUIRE(decoded);
  CHECK(*decoded == job);
}

TEST_CASE("a corrupt reindex record is an internal error", "[reindex]") {
  for (auto bad : {"", "{", R"({"id":"x"})", R"({"id":"x","status":"Sleeping"})"}) {
    auto decoded = decode_reindex_job(bad);
    REQUIRE_FALSE(decoded);
    CHECK(decoded.error().code() == errc::internal);
  }
}

TEST_CASE("the status of a job is a Parameters resource", "[reindex]") {
  auto job = sample();
  auto text = reindex_status_parameters(job);
  json_doc doc{text};
  CHECK(doc.str("/resourceType") == "Parameters");
  CHECK(doc.str("/id") == "job-1");
  CHECK(doc.str("/parameter/0/name") == "id");
  CHECK(doc.str("/parameter/1/valueString") == "Running");
  CHECK(doc.str("/parameter/2/name") == "queuedTime");
  CHECK(doc.str("/parameter/2/valueDateTime") == "2023-11-14T22:13:20.000000Z");
  CHECK(doc.str("/parameter/3/name") == "resourcesSuccessfullyReindexed");
  CHECK(doc.str("/parameter/4/valueString") == "Observation,Patient");
  CHECK(doc.str("/parameter/5/name") == "currentResource");
  CHECK(doc.str("/parameter/5/valueString") == "Patient");
  CHECK(doc.str("/parameter/6/valueString") == "http://x is left out: \"why\"");
  job.status = reindex_job::state::completed;
  job.ended_micros = job.queued_micros;
  json_doc done{reindex_status_parameters(job)};
  CHECK(done.str("/parameter/1/valueString") == "Completed");
  CHECK(done.str("/parameter/3/name") == "endTime");
}

TEST_CASE("JSON texts round-trip as an array of strings", "[reindex]") {
  std::vector<std::string> texts{R"({"a":"\"q\"\n"})", "", "x"};
  auto decoded = decode_json_texts(encode_json_texts(texts));
  REQUIRE(decoded);
  CHECK(*decoded == texts);
  CHECK_FALSE(decode_json_texts(R"([1])"));
  CHECK_FALSE(decode_json_texts(R"({})"));
}
