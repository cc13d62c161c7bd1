#include "ndjson_plan.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include <simdjson.h>

namespace atrium::load {

namespace {

/// The types named by conditional references ("reference":"Type?…").
void add_conditional_targets(std::string_view line, std::set<std::string>& out) {
  static constexpr std::string_view key = "\"reference\":\"";
  for (auto at = line.find(key); at != std::string_view::npos; at = line.find(key, at + 1)) {
    const auto start = at + key.size();
    const auto end = line.find('"', start);
    const auto value = line.substr(start, end - start);
    const auto q = value.find('?');
    if (q != std::string_view::npos && q > 0 && value.substr(0, q).find('/') == std::string_view::npos)
      out.emplace(value.substr(0, q));
  }
}

ndjson_file read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot read " + path.string());
  ndjson_file f;
  f.path = path;
  simdjson::dom::parser parser;
  for (std::string line; std::getline(in, line);) {
    if (line.empty())
      continue;
    simdjson::dom::element root;
    std::string_view type, id;
    if (parser.parse(line).get(root) != simdjson::SUCCESS ||
        root["resourceType"].get_string().get(type) != simdjson::SUCCESS ||
        root["id"].get_string().get(id) != simdjson::SUCCESS) {
      ++f.skipped; // a bulk export's log lines, or resources without an id
      continue;
    }
    f.types.emplace(type);
    f.urls.push_back(std::string{type} + "/" + std::string{id});
    add_conditional_targets(line, f.needs);
    f.resources.push_back(std::move(line));
  }
  return f;
}

} // namespace

std::vector<ndjson_file> plan_load(const std::filesystem::path& dir) {
  std::vector<ndjson_file> pending;
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".ndjson")
      paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths)
    if (auto f = read_file(p); !f.resources.empty())
      pending.push_back(std::move(f));
  // A file goes once every type its conditional references name is loaded
  // (or is held by no file at all: then the server must already have it).
  std::set<std::string> everywhere;
  for (const auto& f : pending)
    everywhere.insert(f.types.begin(), f.types.end());
  std::vector<ndjson_file> order;
  std::set<std::string> loaded;
  while (!pending.empty()) {
    auto ready = std::find_if(pending.begin(), pending.end(), [&](const ndjson_file& f) {
      return std::all_of(f.needs.begin(), f.needs.end(), [&](const std::string& t) {
        return loaded.contains(t) || !everywhere.contains(t) || f.types.contains(t);
      });
    });
    if (ready == pending.end())
      throw std::runtime_error("the files' conditional references name each other's types in "
                               "a cycle; no load order resolves them");
    loaded.insert(ready->types.begin(), ready->types.end());
    order.push_back(std::move(*ready));
    pending.erase(ready);
  }
  return order;
}

std::vector<std::string> transaction_bundles(const ndjson_file& file, std::size_t per_bundle) {
  std::vector<std::string> bundles;
  for (std::size_t first = 0; first < file.resources.size(); first += per_bundle) {
    std::string b = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
    const auto last = std::min(file.resources.size(), first + per_bundle);
    for (auto i = first; i < last; ++i) {
      b += i == first ? "{" : ",{";
      b += R"("resource":)" + file.resources[i] + R"(,"request":{"method":"PUT","url":")" +
           file.urls[i] + R"("}})";
    }
    bundles.push_back(b + "]}");
  }
  return bundles;
}

} // namespace atrium::load
