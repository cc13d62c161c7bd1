#pragma once
// DICOM instance bytes in files beside the RocksDB store (DESIGN.md §3
// allows BlobDB chunks or a file store behind a small interface).
//
// Measured on the way here (tools/bench, 512 KB CT instances):
// - BlobDB chunks: RocksDB wrote every byte twice (WAL, then the blob file)
//   and checksummed both in software (Debian's portable build has no SSE4.2
//   CRC32C): a third of STOW's CPU.
// - A file per instance: creating the inode was a quarter of all CPU (ext4
//   scans for a free inode), plus an fsync of its folder.
// So instances are appended to segment files, one open segment per writing
// thread and service, each instance at a 4 KiB boundary, written with
// O_DIRECT (no page-cache copy to fault in), and made durable by an
// fdatasync of its segment (a new segment's folder is synced too). Reads
// are O_DIRECT too: nothing written is in the page cache, and copying out
// of fresh page-cache pages made WADO CPU-bound (tools/bench). A delete
// punches a hole, which gives the blocks back at once. The bytes are durable before
// the record that names them is committed; a crash between the two leaves
// unreferenced bytes in a segment: space, not damage.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "protocols/common/status.hpp"

namespace atrium::storage {

class file_store {
public:
  /// Files live under `root` (created when missing), one folder per service.
  /// A segment takes appends until it holds `segment_limit` bytes.
  explicit file_store(std::filesystem::path root, std::uint64_t segment_limit = 1ull << 30);
  file_store(const file_store&) = delete;
  file_store& operator=(const file_store&) = delete;

  /// Fills `into` with the `n` bytes at `offset` of what is being stored;
  /// false when they cannot be read.
  using source = std::function<bool(std::uint64_t offset, char* into, std::size_t n)>;

  /// Stores `bytes` durably and returns where: "svc/segment@offset+length".
  result<std::string> put(std::uint32_t service, std::string_view bytes);
  /// The same for `size` bytes read from `read` a few MiB at a time (an
  /// instance too large to hold in memory).
  result<std::string> put(std::uint32_t service, std::uint64_t size, const source& read);
  /// The bytes at `name`; errc::not_found when they are gone.
  result<std::string> get(std::string_view name) const;
  /// Appends the bytes at `name` to `out` (no copy through another buffer).
  status append_to(std::string_view name, std::string& out) const;
  /// Appends `length` bytes from `offset` within the bytes at `name`.
  status append_range(std::string_view name, std::uint64_t offset, std::uint64_t length,
                      std::string& out) const;
  /// How many bytes `name` holds (from the name: no I/O); nullopt when it is
  /// not a stored file's name.
  static std::optional<std::uint64_t> length_of(std::string_view name);
  /// Gives the space back (punches a hole: the range then reads as zeros);
  /// deleting twice is harmless. Only names whose record is gone are removed.
  /// A full segment (one that takes no more appends) left with nothing but
  /// holes is deleted.
  void remove(std::string_view name) noexcept;
  /// Removes every file of a service.
  void remove_service(std::uint32_t service) noexcept;

private:
  const std::uint64_t id_; // tells this store's open segments from another's
  const std::uint64_t segment_limit_;
  std::filesystem::path root_;
};

} // namespace atrium::storage
