#include "protocols/fhir/capability.hpp"

#include <chrono>
#include <vector>

#include "protocols/fhir/instant.hpp"
#include "protocols/fhir/json_text.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "protocols/fhir/search/params.hpp"

namespace atrium::fhir {
namespace {

// Writes JSON front to back; the only state is whether the next value in the
// current container needs a comma before it.
class json_builder {
public:
  void open(char bracket, std::string_view key = {}) {
    next(key);
    out_.push_back(bracket);
    first_ = true;
  }
  void close(char bracket) {
    out_.push_back(bracket);
    first_ = false;
  }
  void string(std::string_view key, std::string_view value) {
    next(key);
    append_json_string(out_, value);
  }
  void boolean(std::string_view key, bool value) {
    next(key);
    out_ += value ? "true" : "false";
  }
  // An array of {"code": c} objects, the shape of every interaction list.
  void codes(std::string_view key, const std::vector<std::string_view>& codes) {
    open('[', key);
    for (auto code : codes) {
      open('{');
      string("code", code);
      close('}');
    }
    close(']');
  }
  std::string take() { return std::move(out_); }

private:
  void next(std::string_view key) {
    if (!first_) out_.push_back(',');
    first_ = false;
    if (!key.empty()) {
      append_json_string(out_, key);
      out_.push_back(':');
    }
  }

  std::string out_;
  bool first_ = true;
};

/// The parameters a type can be searched by: those the index serves.
void search_params(json_builder& json, std::string_view type,
                   const search::param_registry& registry) {
  json.open('[', "searchParam");
  for (auto* p : registry.for_type(type)) {
    if (!search::is_indexed(*p))
      continue;
    json.open('{');
    json.string("name", p->code);
    json.string("definition", p->url);
    json.string("type", search::param_type_name(p->type));
    json.close('}');
  }
  json.close(']');
}

// In the order of the R4 value set type-restful-interaction.
std::vector<std::string_view> type_interactions(const capabilities& caps) {
  std::vector<std::string_view> codes = {"read", "vread", "update"};
  if (caps.patch) codes.push_back("patch");
  codes.insert(codes.end(), {"delete", "history-instance", "history-type", "create"});
  if (caps.search) codes.push_back("search-type");
  return codes;
}

std::int64_t now_micros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace

std::string capability_statement(std::string_view base_url, std::string_view software_version,
                                 const capabilities& caps,
                                 const search::param_registry& registry) {
  json_builder json;
  json.open('{');
  json.string("resourceType", "CapabilityStatement");
  json.string("status", "active");
  json.string("date", format_instant(now_micros()));
  json.string("kind", "instance");
  json.open('{', "software");
  json.string("name", "Atrium");
  json.string("version", software_version);
  json.close('}');
  json.open('{', "implementation");
  json.string("description", "Atrium FHIR server");
  json.string("url", base_url);
  json.close('}');
  json.string("fhirVersion", "4.0.1");
  json.open('[', "format");
  json.string({}, "json");
  json.close(']');
  if (caps.patch) { // JSON Patch and FHIRPath Patch (a Parameters resource)
    json.open('[', "patchFormat");
    json.string({}, "application/json-patch+json");
    json.string({}, "application/fhir+json");
    json.close(']');
  }

  json.open('[', "rest");
  json.open('{');
  json.string("mode", "server");
  json.open('[', "resource");
  const auto interactions = type_interactions(caps);
  for (std::size_t i = 0; i < resource_type_count(); ++i) {
    json.open('{');
    json.string("type", resource_type_name(static_cast<type_id>(i)));
    json.codes("interaction", interactions);
    json.string("versioning", "versioned");
    json.boolean("readHistory", true);
    json.boolean("updateCreate", true);
    json.boolean("conditionalCreate", caps.conditional_create);
    // Reads honour If-Modified-Since and If-None-Match.
    json.string("conditionalRead", "full-support");
    json.boolean("conditionalUpdate", caps.conditional_update);
    json.string("conditionalDelete", caps.conditional_delete ? "multiple" : "not-supported");
    if (caps.search) {
      // _include and _revinclude take any reference parameter, and *.
      for (auto name : {"searchInclude", "searchRevInclude"}) {
        json.open('[', name);
        json.string({}, "*");
        json.close(']');
      }
      search_params(json, resource_type_name(static_cast<type_id>(i)), registry);
    }
    json.close('}');
  }
  json.close(']');
  // In the order of the R4 value set system-restful-interaction.
  std::vector<std::string_view> system_interactions;
  if (caps.transaction) system_interactions.push_back("transaction");
  if (caps.batch) system_interactions.push_back("batch");
  if (caps.search) system_interactions.push_back("search-system");
  system_interactions.push_back("history-system");
  json.codes("interaction", system_interactions);
  json.close('}');
  json.close(']');
  json.close('}');
  return json.take();
}

} // namespace atrium::fhir
