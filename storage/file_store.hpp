#pragma once
// DICOM instance bytes as files, beside the RocksDB store (DESIGN.md §3
// allows BlobDB chunks or a file store behind a small interface). Measured
// against BlobDB chunks: RocksDB wrote every byte twice (WAL, then the blob
// file at flush) and checksummed both times in software (Debian's portable
// build has no SSE4.2 CRC32C), about a third of STOW's CPU. A file is
// written once, by the thread that parsed the instance, and fsynced before
// its metadata is committed, so an acknowledged instance is never missing its
// bytes. A crash between the two leaves an orphan file: space, not damage.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "protocols/common/status.hpp"

namespace atrium::storage {

class file_store {
public:
  /// Files live under `root` (created when missing), one folder per service.
  explicit file_store(std::filesystem::path root);

  /// Writes `bytes` durably (the file and its directory entry fsynced) under
  /// a new name, which it returns: "svc/ab/cd/<28 hex>".
  result<std::string> put(std::uint32_t service, std::string_view bytes);
  /// The whole file; errc::not_found when it is gone.
  result<std::string> get(std::string_view name) const;
  /// Appends the whole file to `out` (no copy through another buffer).
  status append_to(std::string_view name, std::string& out) const;
  /// Unlinks a file; a missing one is not an error (deletes are idempotent).
  void remove(std::string_view name) noexcept;
  /// Removes every file of a service.
  void remove_service(std::uint32_t service) noexcept;

private:
  std::filesystem::path root_;
};

} // namespace atrium::storage
