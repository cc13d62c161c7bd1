// atrium-disk-sync: how many durable 512 KiB writes per second the disk
// under a folder takes, the way a STOW stores instance bytes, so that the
// STOW figure of dicom.sh can be read against what the machine allows.
//
//   atrium-disk-sync [--dir D (.)] [--threads T (16)] [--writes N (200)]
//                    [--size BYTES (524288)]
//
// Four ways, T threads each writing N blocks with O_DIRECT:
// - append:    each thread appends to its own file, fdatasync after each
//              write (what the file store does: the size changes, so every
//              sync is a journal commit);
// - shared:    every thread appends to one file at reserved offsets, one
//              fdatasync at a time covering every write made before it;
// - gathered:  every thread queues its block; whichever thread finds no
//              write under way writes all queued blocks with one pwritev at
//              the file's end, then one fdatasync (group commit of the bytes
//              themselves, so the disk sees one large write per sync);
// - overwrite: each thread overwrites blocks of its own file written and
//              synced beforehand, fdatasync after each (no journal commit;
//              the pre-writing is not timed).
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

struct options {
  std::string dir = ".";
  int threads = 16;
  int writes = 200;
  std::size_t size = 512 * 1024;
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--dir") o.dir = v;
    else if (k == "--threads") o.threads = std::max(1, std::atoi(v.c_str()));
    else if (k == "--writes") o.writes = std::max(1, std::atoi(v.c_str()));
    else if (k == "--size") o.size = std::max<std::size_t>(4096, std::strtoull(v.c_str(), nullptr, 10) / 4096 * 4096);
    else throw std::invalid_argument("unknown option " + k);
  }
  return o;
}

/// A file opened for O_DIRECT writes, removed when it goes.
struct scratch_file {
  std::string path;
  int fd = -1;
  explicit scratch_file(const std::string& p) : path(p) {
    fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_DIRECT | O_CLOEXEC, 0644);
    if (fd < 0)
      throw std::runtime_error("cannot open " + p + " with O_DIRECT: " + std::strerror(errno));
  }
  ~scratch_file() {
    ::close(fd);
    ::unlink(path.c_str());
  }
};

/// An aligned block of `size` bytes for O_DIRECT.
std::unique_ptr<char, decltype(&std::free)> block(std::size_t size, char fill) {
  void* p = nullptr;
  if (::posix_memalign(&p, 4096, size) != 0)
    throw std::bad_alloc();
  std::memset(p, fill, size);
  return {static_cast<char*>(p), &std::free};
}

void write_at(int fd, const char* data, std::size_t size, off_t at) {
  if (::pwrite(fd, data, size, at) != static_cast<ssize_t>(size))
    throw std::runtime_error(std::string{"write failed: "} + std::strerror(errno));
}

void sync(int fd) {
  if (::fdatasync(fd) != 0)
    throw std::runtime_error(std::string{"fdatasync failed: "} + std::strerror(errno));
}

/// Runs `body(thread)` on every thread; returns the seconds it took.
double timed(int threads, const std::function<void(int)>& body) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back(body, t);
  for (auto& th : pool)
    th.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double per_thread_files(const options& o, bool pre_written) {
  std::vector<std::unique_ptr<scratch_file>> files;
  for (int t = 0; t < o.threads; ++t)
    files.push_back(std::make_unique<scratch_file>(o.dir + "/atrium-disk-sync." + std::to_string(t)));
  if (pre_written)
    timed(o.threads, [&](int t) {
      auto zeros = block(o.size, 0);
      for (int i = 0; i < o.writes; ++i)
        write_at(files[t]->fd, zeros.get(), o.size, static_cast<off_t>(i) * o.size);
      sync(files[t]->fd);
    });
  return timed(o.threads, [&](int t) {
    auto data = block(o.size, 7);
    for (int i = 0; i < o.writes; ++i) {
      write_at(files[t]->fd, data.get(), o.size, static_cast<off_t>(i) * o.size);
      sync(files[t]->fd);
    }
  });
}

/// Group commit: each caller takes a ticket and waits until a leader's
/// flush covered it; whoever finds no flush under way leads the next one,
/// which covers every ticket taken before it started.
class group_commit {
public:
  /// `enqueue` runs under the lock with the ticket taken; `take`, under the
  /// lock too, returns the flush, which runs without it.
  template <class Enqueue, class Take>
  void commit(Enqueue enqueue, Take take) {
    std::unique_lock lock{m_};
    enqueue();
    const auto ticket = ++taken_;
    while (done_ < ticket) {
      if (flushing_) {
        cv_.wait(lock);
        continue;
      }
      flushing_ = true;
      const auto covers = taken_;
      auto flush = take();
      lock.unlock();
      flush();
      lock.lock();
      flushing_ = false;
      done_ = std::max(done_, covers);
      cv_.notify_all();
    }
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::uint64_t taken_ = 0, done_ = 0;
  bool flushing_ = false;
};

double shared_file(const options& o) {
  scratch_file file{o.dir + "/atrium-disk-sync.shared"};
  std::atomic<std::uint64_t> next_offset{0};
  group_commit syncs;
  return timed(o.threads, [&](int) {
    auto data = block(o.size, 7);
    for (int i = 0; i < o.writes; ++i) {
      write_at(file.fd, data.get(), o.size, static_cast<off_t>(next_offset.fetch_add(o.size)));
      syncs.commit([] {}, [&] { return [&] { sync(file.fd); }; });
    }
  });
}

double gathered_file(const options& o) {
  scratch_file file{o.dir + "/atrium-disk-sync.gathered"};
  std::vector<const char*> queued; // guarded by the group's lock
  std::uint64_t end = 0;           // touched by the flushing thread only
  group_commit writes;
  auto write_group = [&](const std::vector<const char*>& group) {
    std::vector<iovec> iov;
    for (auto* b : group)
      iov.push_back({const_cast<char*>(b), o.size});
    const auto bytes = static_cast<ssize_t>(group.size() * o.size);
    if (::pwritev(file.fd, iov.data(), static_cast<int>(iov.size()), static_cast<off_t>(end)) != bytes)
      throw std::runtime_error(std::string{"write failed: "} + std::strerror(errno));
    end += static_cast<std::uint64_t>(bytes);
    sync(file.fd);
  };
  return timed(o.threads, [&](int) {
    auto data = block(o.size, 7);
    for (int i = 0; i < o.writes; ++i)
      writes.commit([&] { queued.push_back(data.get()); },
                    [&] {
                      return [&write_group, group = std::exchange(queued, {})] {
                        write_group(group);
                      };
                    });
  });
}

} // namespace

int main(int argc, char** argv) {
  try {
    const auto o = parse(argc, argv);
    const double total = static_cast<double>(o.threads) * o.writes;
    std::printf("%d threads x %d durable writes of %zu bytes, O_DIRECT, in %s\n", o.threads,
                o.writes, o.size, o.dir.c_str());
    // MB/s beside writes/s: when it stays put across --size, the disk's
    // bandwidth is the ceiling, not the number of syncs.
    auto row = [&](const char* way, double seconds) {
      std::printf("%-28s %6.0f writes/s %5.0f MB/s\n", way, total / seconds,
                  total * static_cast<double>(o.size) / seconds / 1e6);
    };
    row("append (a file per thread):", per_thread_files(o, false));
    row("shared (one file, grouped):", shared_file(o));
    row("gathered (one pwritev+sync):", gathered_file(o));
    row("overwrite (pre-written):", per_thread_files(o, true));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "atrium-disk-sync: %s\n", e.what());
    return 1;
  }
}
