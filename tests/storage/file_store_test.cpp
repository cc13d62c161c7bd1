#include <catch2/catch.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>

#include <sys/stat.h>

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
  auto segment = [&](const std::string& name) { return root.path / name.substr(0, name.find('@')); };
  CHECK(segment(*a) == segment(*b)); // one thread appends to one segment
  auto read = [&](const std::string& name) {
    auto r = files.get(name);
    REQUIRE(r);
    return std::move(*r);
  };
  CHECK(read(*a) == big);
  CHECK(read(*b) == "small");
  CHECK(read(*c).empty());

  // A removed instance's blocks go back to the file system.
  auto allocated = [&] {
    struct stat st {};
    REQUIRE(::stat(segment(*a).c_str(), &st) == 0);
    return st.st_blocks;
  };
  const auto before = allocated();
  files.remove(*a);
  CHECK(allocated() < before - 4096); // 3 MiB in 512-byte blocks: 6144
  CHECK(read(*a) != big);
  CHECK(read(*b) == "small"); // its neighbour is untouched
  files.remove(*a);           // idempotent

  files.remove_service(7);
  CHECK(files.get(*b).error().code() == errc::not_found);
  CHECK(read(*c).empty()); // another service's file stays
}

TEST_CASE("names that are not the store's are refused") {
  temp_root root;
  file_store files{root.path};
  CHECK_FALSE(files.get("nonsense"));
  CHECK_FALSE(files.get("../../etc/passwd@0+10"));
  CHECK(files.get("00000001/missing.seg@0+10").error().code() == errc::not_found);
}

TEST_CASE("a file store that cannot create its folder reports an I/O error") {
  file_store files{"/proc/atrium-cannot-write-here"};
  auto r = files.put(1, "x");
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::io_error);
}

TEST_CASE("a file is stored from a source read a few MiB at a time") {
  temp_root root;
  file_store files{root.path};
  // 9 MiB and 5 bytes: more than two copy windows, and a partial last block.
  std::string bytes((9u << 20) + 5, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>(i * 31 + i / 4096);
  std::size_t reads = 0;
  auto name = files.put(7, bytes.size(), [&](std::uint64_t offset, char* into, std::size_t n) {
    ++reads;
    std::memcpy(into, bytes.data() + offset, n);
    return true;
  });
  REQUIRE(name);
  CHECK(reads == 3);
  auto back = files.get(*name);
  REQUIRE(back);
  CHECK(*back == bytes);

  // A source that fails stores nothing.
  auto failed = files.put(7, 100, [](std::uint64_t, char*, std::size_t) { return false; });
  CHECK_FALSE(failed);
}

TEST_CASE("a full segment whose every file is removed is deleted; an open one stays") {
  temp_root root;
  file_store files{root.path, 64 * 1024}; // a segment is full at 64 KiB
  const std::string big(40 * 1024, 'x');
  auto a = files.put(3, big);
  auto b = files.put(3, big); // 80 KiB: the segment is now full
  auto c = files.put(3, big); // so this one starts the next
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  auto segment = [&](const std::string& name) { return root.path / name.substr(0, name.find('@')); };
  REQUIRE(segment(*a) == segment(*b));
  REQUIRE(segment(*b) != segment(*c));
  files.remove(*a);
  CHECK(std::filesystem::exists(segment(*a))); // b is still in it
  CHECK(files.get(*b));
  files.remove(*b);
  CHECK_FALSE(std::filesystem::exists(segment(*a)));
  // The open segment stays, even empty: its writer appends to it next.
  files.remove(*c);
  CHECK(std::filesystem::exists(segment(*c)));
  auto d = files.put(3, "more");
  REQUIRE(d);
  CHECK(segment(*d) == segment(*c));
  auto more = files.get(*d);
  REQUIRE(more);
  CHECK(*more == "more");
}

TEST_CASE("a range is read at any offset, across blocks and read windows") {
  temp_root root;
  file_store files{root.path};
  REQUIRE(files.put(5, std::string(4097, 'p'))); // the next file starts at a block, not at 0
  std::string bytes((3u << 20) + 123, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>(i * 13 + i / 4096);
  auto name = files.put(5, bytes);
  REQUIRE(name);
  const std::pair<std::uint64_t, std::uint64_t> ranges[] = {
    {0, 1}, {1, 4095}, {4095, 2}, {(1u << 20) - 3, 7}, {5, 2u << 20}, {bytes.size() - 1, 1},
    {0, bytes.size()}, {bytes.size(), 0}};
  for (auto [offset, length] : ranges) {
    std::string out = "kept";
    REQUIRE(files.append_range(*name, offset, length, out));
    CHECK(out == "kept" + bytes.substr(offset, length));
  }
  std::string out;
  CHECK_FALSE(files.append_range(*name, bytes.size(), 1, out)); // beyond the end
  CHECK(out.empty());
}

TEST_CASE("a segment that ends without padding reads to its end; a cut one is gone") {
  temp_root root;
  file_store files{root.path};
  // As a file system without O_DIRECT leaves a segment: no padding after the last file.
  std::filesystem::create_directories(root.path / "00000009");
  const std::string bytes(5000, 'q');
  {
    std::FILE* f = std::fopen((root.path / "00000009/plain.seg").c_str(), "wb");
    REQUIRE(f);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  auto back = files.get("00000009/plain.seg@0+5000");
  REQUIRE(back);
  CHECK(*back == bytes);
  auto tail = files.get("00000009/plain.seg@4096+904");
  REQUIRE(tail);
  CHECK(*tail == bytes.substr(4096));
  // A name reaching past what the file holds: the bytes are gone.
  CHECK(files.get("00000009/plain.seg@0+6000").error().code() == errc::not_found);
  CHECK(files.get("00000009/plain.seg@8192+10").error().code() == errc::not_found);
}
