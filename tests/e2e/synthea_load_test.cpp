// The Synthea bulk sample (../shared/samples/fhir-bulk-10-patients) loads
// as-is through tools/load (transaction Bundles), and afterwards every
// reference in it resolves: the relative ones to resources of the sample, the
// conditional ones (Practitioner?identifier=…) rewritten by the server to the
// one resource they match. Skipped where the sample is absent.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "tests/e2e/harness.hpp"
#include "tests/e2e/search_data.hpp"

using namespace e2e;
using namespace e2e::search_data;

namespace {

/// Every Reference.reference string in `e`, at any depth.
void collect_references(simdjson::dom::element e, std::vector<std::string>& out) {
  // Held in locals: value() hands out a reference into its temporary.
  simdjson::dom::object object;
  simdjson::dom::array array;
  if (e.get_object().get(object) == simdjson::SUCCESS) {
    for (auto [key, value] : object) {
      std::string_view s;
      if (key == "reference" && value.get_string().get(s) == simdjson::SUCCESS)
        out.emplace_back(s);
      else
        collect_references(value, out);
    }
  } else if (e.get_array().get(array) == simdjson::SUCCESS) {
    for (auto value : array) collect_references(value, out);
  }
}

/// Resource count per type in the sample's NDJSON files.
std::map<std::string, std::size_t> sample_counts(const std::filesystem::path& dir) {
  std::map<std::string, std::size_t> counts;
  simdjson::dom::parser parser;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().extension() != ".ndjson") continue;
    std::ifstream in(f.path());
    for (std::string line; std::getline(in, line);) {
      simdjson::dom::element root;
      std::string_view type;
      if (parser.parse(line).get(root) == simdjson::SUCCESS &&
          root["resourceType"].get_string().get(type) == simdjson::SUCCESS)
        ++counts[std::string{type}];
    }
  }
  return counts;
}

} // namespace

TEST_CASE("synthea: the bulk sample loads by transactions and every reference resolves",
          "[e2e][transaction][synthea]") {
  const std::filesystem::path dir = ATRIUM_SAMPLES_DIR "/fhir-bulk-10-patients";
  if (!std::filesystem::exists(dir)) {
    WARN("skipped: " << dir.string() << " is absent (a developer/CI sample)");
    return;
  }
  node n;
  const auto log = n.data_dir().parent_path() / "load.log";
  const auto command = std::string{ATRIUM_LOAD_BINARY} + " --target 127.0.0.1:" +
                       std::to_string(n.port()) + " --bundle-entries 100 '" + dir.string() +
                       "' > '" + log.string() + "' 2>&1";
  const int exit_code = std::system(command.c_str());
  std::ifstream log_in(log);
  std::string output((std::istreambuf_iterator<char>(log_in)), {});
  INFO(output);
  REQUIRE(exit_code == 0);

  auto c = n.client();
  const auto expected = sample_counts(dir);
  std::size_t expected_total = 0;
  std::map<std::string, std::set<std::string>> ids; // type → ids stored
  std::vector<std::string> references;
  for (const auto& [type, count] : expected) {
    expected_total += count;
    std::string target = base + "/" + type + "?_count=1000";
    while (!target.empty()) {
      auto r = c->get(target);
      REQUIRE(r.status == 200);
      json page{r.body};
      for (std::size_t i = 0; i < page.count("/entry"); ++i) {
        const auto at = "/entry/" + std::to_string(i) + "/resource";
        ids[type].insert(page.str(at + "/id"));
        simdjson::dom::element resource;
        REQUIRE(page.root().at_pointer(at).get(resource) == simdjson::SUCCESS);
        collect_references(resource, references);
      }
      auto next = bundle_link(page, "next");
      target = next.empty() ? std::string{} : target_of(next);
    }
    CHECK(ids[type].size() == count);
  }
  CHECK(expected_total == 7160);

  // The sample holds 25,299 reference strings; each names a stored resource.
  CHECK(references.size() == 25299);
  std::size_t unresolved = 0;
  std::string first_unresolved;
  for (const auto& ref : references) {
    const auto slash = ref.find('/');
    const bool ok = slash != std::string::npos && ref.find('?') == std::string::npos &&
                    ids[ref.substr(0, slash)].contains(ref.substr(slash + 1));
    if (!ok && unresolved++ == 0) first_unresolved = ref;
  }
  INFO("first unresolved reference: " << first_unresolved);
  CHECK(unresolved == 0);

  // The rewritten conditional references are indexed like any other.
  auto practitioner = std::find_if(references.begin(), references.end(), [](const auto& r) {
    return r.starts_with("Practitioner/");
  });
  REQUIRE(practitioner != references.end());
  CHECK_FALSE(checked_search(*c, "Encounter", {{"participant", *practitioner}}).matches.empty());
}
