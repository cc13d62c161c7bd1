#pragma once
// What the storage tests share: a fresh store in a temporary directory, and
// write ops spelled briefly.
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "storage/store.hpp"

namespace atrium::storage::testing {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
struct temp_dir {
  fs::path path;
  temp_dir() {
    std::random_device rd;
    path = fs::temp_directory_path() /
           ("atrium-store-" + std::to_string(rd()) + "-" + std::to_string(rd()));
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

inline std::unique_ptr<store> open_store(const temp_dir& d, std::size_t record_cache_bytes = 0) {
  store_options o;
  o.block_cache_bytes = 8u << 20;
  o.record_cache_bytes = record_cache_bytes;
  o.background_jobs = 2;
  auto s = store::open(d.path.string(), o);
  if (!s) FAIL(s.error().message());
  return std::move(s).value();
}

inline write_op put(column cf, std::string k, std::string v) {
  return write_op{cf, false, false, std::move(k), std::move(v)};
}
inline write_op del(column cf, std::string k) { return write_op{cf, true, false, std::move(k), {}}; }
inline write_op del_range(column cf, std::string from, std::string to) {
  return write_op{cf, false, true, std::move(from), std::move(to)};
}

inline std::vector<std::string> keys_of(cursor c) {
  std::vector<std::string> out;
  for (; c.valid(); c.next()) out.emplace_back(c.key());
  REQUIRE(c.error().is_ok());
  return out;
}

using strings = std::vector<std::string>;

inline void fill(store& s, column cf, const strings& ks) {
  std::vector<write_op> ops;
  for (auto& k : ks) ops.push_back(put(cf, k, "v" + k));
  REQUIRE(s.write(ops, false).is_ok());
}

} // namespace atrium::storage::testing
