#include <catch2/catch.hpp>

#include <filesystem>
#include <random>

#include "storage/file_store.hpp"

using namespace atrium;
using atrium::storage::file_store;

namespace {
struct temp_root {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("atrium-files-" + std::to_string(std::random_device{}()));
  ~temp_root() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};
} // namespace

TEST_CASE("files are written, read back, removed, per service") {
  temp_root root;
  file_store files{root.path};
  std::string big(3u << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i)
    big[i] = static_cast<char>(i * 31);
  auto a = files.put(7, big);
  auto b = files.put(7, "small");
  auto c = files.put(8, "");
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(*a != *b);
  CHECK(a->rfind("00000007/", 0) == 0);
  auto read = [&](const std::string& name) {
    auto r = files.get(name);
    REQUIRE(r);
    return std::move(*r);
  };
  CHECK(read(*a) == big);
  CHECK(read(*b) == "small");
  CHECK(read(*c).empty());

  files.remove(*b);
  CHECK(files.get(*b).error().code() == errc::not_found);
  files.remove(*b); // idempotent

  files.remove_service(7);
  CHECK(files.get(*a).error().code() == errc::not_found);
  CHECK(read(*c).empty()); // another service's file stays
}

TEST_CASE("a file store that cannot create its folder reports an I/O error") {
  file_store files{"/proc/atrium-cannot-write-here"};
  auto r = files.put(1, "x");
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::io_error);
}
