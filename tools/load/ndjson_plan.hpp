// What atrium-load sends: the NDJSON files of a bulk-data directory, read
// into transaction Bundles, in an order where every conditional reference
// (`Practitioner?identifier=…`) names a type already loaded.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

namespace atrium::load {

struct ndjson_file {
  std::filesystem::path path;
  std::vector<std::string> resources; // one per line, as written
  std::vector<std::string> urls;      // "Type/id" of each
  std::set<std::string> types;        // the resource types it holds
  std::set<std::string> needs;        // types its conditional references name
  std::size_t skipped = 0;            // lines that are not resources with an id
};

/// Every *.ndjson file under `dir`, read, in load order. Throws
/// std::runtime_error for an unreadable file or a cycle of conditional
/// references between files.
std::vector<ndjson_file> plan_load(const std::filesystem::path& dir);

/// Transaction Bundles of up to `per_bundle` PUT entries of `file`.
std::vector<std::string> transaction_bundles(const ndjson_file& file, std::size_t per_bundle);

} // namespace atrium::load
