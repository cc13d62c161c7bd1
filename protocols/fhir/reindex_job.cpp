#include "protocols/fhir/reindex_job.hpp"

#include <simdjson.h>

#include "protocols/fhir/instant.hpp"
#include "protocols/fhir/json_text.hpp"

namespace atrium::fhir {

namespace {

constexpr const char* state_names[] = {"Running", "Completed", "Failed"};

void append_texts(std::string& out, const std::vector<std::string>& texts) {
  out.push_back('[');
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (i) out.push_back(',');
    append_json_string(out, texts[i]);
  }
  out.push_back(']');
}

status corrupt(std::string_view what) {
  return {errc::internal, "stored reindex record is corrupt: " + std::string(what)};
}

status read_texts(simdjson::dom::element e, std::vector<std::string>& out) {
  simdjson::dom::array array;
  if (e.get_array().get(array) != simdjson::SUCCESS) return corrupt("expected an array");
  for (auto item : array) {
    std::string_view text;
    if (item.get_string().get(text) != simdjson::SUCCESS) return corrupt("expected strings");
    out.emplace_back(text);
  }
  return status::ok();
}

void add_parameter(std::string& out, std::string_view name, std::string_view value_type,
                   std::string_view literal) {
  if (out.back() != '[') out.push_back(',');
  out += R"({"name":)";
  append_json_string(out, name);
  out += ",\"value";
  out += value_type;
  out += "\":";
  out += literal;
  out.push_back('}');
}

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

} // namespace

const char* reindex_state_name(reindex_job::state s) noexcept {
  return state_names[static_cast<int>(s)];
}

std::string encode_reindex_job(const reindex_job& job) {
  std::string out = R"({"id":)";
  append_json_string(out, job.id);
  out += R"(,"status":)";
  append_json_string(out, reindex_state_name(job.status));
  out += R"(,"queued":)" + std::to_string(job.queued_micros);
  out += R"(,"ended":)" + std::to_string(job.ended_micros);
  out += R"(,"types":)";
  append_texts(out, job.types);
  out += R"(,"typeIndex":)" + std::to_string(job.type_index);
  out += R"(,"after":)";
  append_json_string(out, job.after_id);
  out += R"(,"until":)";
  append_json_string(out, job.until_id);
  out += R"(,"reindexed":)" + std::to_string(job.reindexed);
  out += R"(,"params":)";
  append_texts(out, job.params);
  out += R"(,"issues":)";
  append_texts(out, job.issues);
  out += R"(,"error":)";
  append_json_string(out, job.error);
  out += job.upgrade ? R"(,"upgrade":true})" : R"(,"upgrade":false})";
  return out;
}

result<reindex_job> decode_reindex_job(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) return corrupt("not JSON");
  reindex_job job;
  std::string_view text;
  std::int64_t i64 = 0;
  std::uint64_t u64 = 0;
  if (root["id"].get_string().get(text) != simdjson::SUCCESS) return corrupt("id");
  job.id = std::string(text);
  if (root["status"].get_string().get(text) != simdjson::SUCCESS) return corrupt("status");
  bool known = false;
  for (int s = 0; s < 3; ++s)
    if (text == state_names[s]) {
      job.status = static_cast<reindex_job::state>(s);
      known = true;
    }
  if (!known) return corrupt("status");
  if (root["queued"].get_int64().get(i64) != simdjson::SUCCESS) return corrupt("queued");
  job.queued_micros = i64;
  if (root["ended"].get_int64().get(i64) != simdjson::SUCCESS) return corrupt("ended");
  job.ended_micros = i64;
  if (root["typeIndex"].get_uint64().get(u64) != simdjson::SUCCESS) return corrupt("typeIndex");
  job.type_index = static_cast<std::uint32_t>(u64);
  if (root["after"].get_string().get(text) != simdjson::SUCCESS) return corrupt("after");
  job.after_id = std::string(text);
  if (root["until"].get_string().get(text) == simdjson::SUCCESS) job.until_id = std::string(text);
  if (root["reindexed"].get_uint64().get(u64) != simdjson::SUCCESS) return corrupt("reindexed");
  job.reindexed = u64;
  if (root["error"].get_string().get(text) != simdjson::SUCCESS) return corrupt("error");
  job.error = std::string(text);
  bool upgrade = false;
  if (root["upgrade"].get_bool().get(upgrade) == simdjson::SUCCESS) job.upgrade = upgrade;
  for (auto [name, field] : {std::pair{"types", &job.types}, std::pair{"params", &job.params},
                             std::pair{"issues", &job.issues}}) {
    simdjson::dom::element e;
    if (root[name].get(e) != simdjson::SUCCESS) return corrupt(name);
    if (auto s = read_texts(e, *field); !s) return s;
  }
  return job;
}

std::string reindex_status_parameters(const reindex_job& job) {
  std::string out = R"({"resourceType":"Parameters","id":)";
  append_json_string(out, job.id);
  out += R"(,"parameter":[)";
  add_parameter(out, "id", "String", json_string(job.id));
  add_parameter(out, "status", "String", json_string(reindex_state_name(job.status)));
  add_parameter(out, "queuedTime", "DateTime", json_string(format_instant(job.queued_micros)));
  if (job.ended_micros)
    add_parameter(out, "endTime", "DateTime", json_string(format_instant(job.ended_micros)));
  add_parameter(out, "resourcesSuccessfullyReindexed", "Decimal", std::to_string(job.reindexed));
  if (!job.types.empty()) add_parameter(out, "resources", "String", json_string(joined(job.types)));
  if (job.status == reindex_job::state::running && job.type_index < job.types.size())
    add_parameter(out, "currentResource", "String", json_string(job.types[job.type_index]));
  for (const auto& issue : job.issues) add_parameter(out, "issue", "String", json_string(issue));
  if (!job.error.empty()) add_parameter(out, "error", "String", json_string(job.error));
  out += "]}";
  return out;
}

std::string encode_json_texts(const std::vector<std::string>& texts) {
  std::string out;
  append_texts(out, texts);
  return out;
}

result<std::vector<std::string>> decode_json_texts(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) return corrupt("not JSON");
  std::vector<std::string> out;
  if (auto s = read_texts(root, out); !s) return s;
  return out;
}

} // namespace atrium::fhir
