#include "storage/file_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

namespace atrium::storage {

namespace {

std::string hex(std::uint64_t v, int digits) {
  static constexpr char d[] = "0123456789abcdef";
  std::string out(static_cast<std::size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4)
    out[static_cast<std::size_t>(i)] = d[v & 0xf];
  return out;
}

/// 112 random bits: names never collide in practice, and O_EXCL catches it
/// if one ever does.
std::string random_name() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto a = rng(), b = rng();
  return hex(a >> 48, 2) + "/" + hex(a >> 40, 2) + "/" + hex(a, 10) + hex(b, 18);
}

status io_error(const std::string& what, const std::filesystem::path& p) {
  return {errc::io_error, what + " " + p.string() + ": " + std::strerror(errno)};
}

/// fsync of a directory, so that an entry created in it survives a crash.
bool sync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

/// Creates the folders of `dir` that are missing, each made durable in its
/// parent.
bool make_dirs(const std::filesystem::path& dir) {
  if (std::filesystem::is_directory(dir))
    return true;
  if (!make_dirs(dir.parent_path()))
    return false;
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return false;
  return sync_dir(dir.parent_path());
}

} // namespace

file_store::file_store(std::filesystem::path root) : root_(std::move(root)) {}

result<std::string> file_store::put(std::uint32_t service, std::string_view bytes) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto name = hex(service, 8) + "/" + random_name();
    auto path = root_ / name;
    if (!make_dirs(path.parent_path()))
      return io_error("cannot create", path.parent_path());
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST)
      continue;
    if (fd < 0)
      return io_error("cannot create", path);
    std::size_t done = 0;
    while (done < bytes.size()) {
      auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        auto s = io_error("cannot write", path);
        ::close(fd);
        ::unlink(path.c_str());
        return s;
      }
      done += static_cast<std::size_t>(n);
    }
    bool synced = ::fdatasync(fd) == 0;
    ::close(fd);
    if (!synced || !sync_dir(path.parent_path())) {
      auto s = io_error("cannot sync", path);
      ::unlink(path.c_str());
      return s;
    }
    return name;
  }
  return status{errc::internal, "three random file names in a row were taken"};
}

result<std::string> file_store::get(std::string_view name) const {
  std::string out;
  if (auto s = append_to(name, out); !s)
    return s;
  return out;
}

status file_store::append_to(std::string_view name, std::string& out) const {
  auto path = root_ / std::string{name};
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? status{errc::not_found, "the instance's file is gone"}
                           : io_error("cannot open", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    auto s = io_error("cannot stat", path);
    ::close(fd);
    return s;
  }
  const auto start = out.size();
  out.resize(start + static_cast<std::size_t>(st.st_size));
  std::size_t done = start;
  while (done < out.size()) {
    auto n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      auto s = io_error("cannot read", path);
      ::close(fd);
      out.resize(start);
      return s;
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return status::ok();
}

void file_store::remove(std::string_view name) noexcept {
  if (!name.empty())
    ::unlink((root_ / std::string{name}).c_str());
}

void file_store::remove_service(std::uint32_t service) noexcept {
  std::error_code ec;
  std::filesystem::remove_all(root_ / hex(service, 8), ec);
}

} // namespace atrium::storage
