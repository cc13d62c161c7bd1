#pragma once
// Unnamed temporary files (O_TMPFILE): they vanish with their last
// descriptor, or with the process, so a crash leaves nothing to clean up.
#include <filesystem>

namespace atrium::actors {

/// A new unnamed file in `dir`, open for reading and writing; -1 with errno
/// set when it cannot be made. On a file system without O_TMPFILE, a named
/// file unlinked at once.
int open_temp_file(const std::filesystem::path& dir);

/// Writes all `n` bytes; false with errno set on a failure.
bool write_all(int fd, const char* data, std::size_t n);

} // namespace atrium::actors
