#include "storage/memtable.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <string_view>

#include <rocksdb/memtablerep.h>
#include <rocksdb/slice.h>

namespace rocksdb {

// RocksDB 7.8's internal allocator interface (memory/allocator.h), which its
// public memtablerep.h only names. Declared here exactly as there, so that
// nodes and iterators can be placed in the arenas RocksDB hands a memtable
// representation. Pinned by Debian 12's librocksdb 7.8; the store tests
// write, read and scan through it.
class Allocator {
 public:
  virtual ~Allocator() {}
  virtual char* Allocate(size_t bytes) = 0;
  virtual char* AllocateAligned(size_t bytes, size_t huge_page_size = 0,
                                Logger* logger = nullptr) = 0;
  virtual size_t BlockSize() const = 0;
};

} // namespace rocksdb

namespace atrium::storage {
namespace {

// ---- keys -------------------------------------------------------------------

// A memtable entry starts with its internal key, length-prefixed (varint32):
// the user key, then 8 bytes of (sequence << 8 | type), little-endian.
struct internal_key {
  const char* data;
  std::uint32_t size;
};

internal_key length_prefixed(const char* p) {
  std::uint32_t n = 0;
  for (int shift = 0; shift <= 28; shift += 7) {
    const auto byte = static_cast<std::uint8_t>(*p++);
    n |= static_cast<std::uint32_t>(byte & 0x7f) << shift;
    if (byte < 0x80)
      break;
  }
  return {p, n};
}

static_assert(std::endian::native == std::endian::little,
              "the trailer is read as RocksDB writes it: little-endian");

std::uint64_t trailer(const internal_key& k) {
  std::uint64_t t;
  std::memcpy(&t, k.data + k.size - 8, 8);
  return t;
}

// RocksDB's InternalKeyComparator over BytewiseComparator.
int compare(const internal_key& a, const internal_key& b) {
  const std::uint32_t ua = a.size - 8, ub = b.size - 8;
  const int r = std::memcmp(a.data, b.data, ua < ub ? ua : ub);
  if (r != 0)
    return r;
  if (ua != ub)
    return ua < ub ? -1 : 1;
  const auto ta = trailer(a), tb = trailer(b);
  return ta > tb ? -1 : (ta < tb ? 1 : 0);
}

// ---- nodes ------------------------------------------------------------------

constexpr int max_height = 12;

// A node is its level-0 link, with the links of levels 1..height-1 below it
// in memory and the entry right after it: a descent reads a link and the key
// it leads to from the same place.
struct node {
  std::atomic<node*> next0;

  std::atomic<node*>& link(int level) { return (&next0)[-level]; }
  const char* entry() const { return reinterpret_cast<const char*>(this + 1); }
  internal_key key() const { return length_prefixed(entry()); }
};

std::string_view user_key_of(const internal_key& k) { return {k.data, k.size - 8}; }

// Point reads without a descent: an open-addressing table from each user key
// to its newest node, which the skip list's level 0 follows with the older
// versions. A descent is a cache miss per level; a read by id spent ~20% of
// its CPU in one. Written by the inserting thread only, after the node is
// linked; read lock-free. Past 3/4 full it is given up (`full`), and reads
// descend again. Its slots are on the heap, outside the memtable's arena:
// RocksDB's write-buffer accounting does not see them (2 MiB a memtable).
class point_index {
public:
  explicit point_index(std::size_t slots)
      : slots_(new std::atomic<node*>[slots]), mask_(slots - 1) {
    for (std::size_t i = 0; i < slots; ++i)
      slots_[i].store(nullptr, std::memory_order_relaxed);
  }

  bool usable() const { return !full_.load(std::memory_order_acquire); }

  void remember(node* x) {
    if (!usable())
      return;
    const internal_key key = x->key();
    const auto user = user_key_of(key);
    for (std::size_t i = hash(user);; i = (i + 1) & mask_) {
      node* n = slots_[i].load(std::memory_order_relaxed);
      if (n == nullptr) {
        // Full before the node that would pass 3/4, so a reader that finds
        // the index usable finds every key in it.
        if (++used_ > (mask_ + 1) / 4 * 3) {
          full_.store(true, std::memory_order_release);
          return;
        }
        slots_[i].store(x, std::memory_order_release);
        return;
      }
      const internal_key nk = n->key();
      if (user_key_of(nk) == user) {
        if (compare(key, nk) < 0) // newer: it comes first on level 0
          slots_[i].store(x, std::memory_order_release);
        return;
      }
    }
  }

  // The newest node of `user`, or nullptr when the memtable has none.
  node* newest(std::string_view user) const {
    for (std::size_t i = hash(user);; i = (i + 1) & mask_) {
      node* n = slots_[i].load(std::memory_order_acquire);
      if (n == nullptr || user_key_of(n->key()) == user)
        return n;
    }
  }

private:
  std::size_t hash(std::string_view user) const {
    return std::hash<std::string_view>{}(user) & mask_;
  }
  std::unique_ptr<std::atomic<node*>[]> slots_;
  std::size_t mask_;
  std::size_t used_ = 0;
  std::atomic<bool> full_{false};
};

class skiplist_rep final : public rocksdb::MemTableRep {
public:
  skiplist_rep(rocksdb::Allocator* allocator, std::size_t point_slots)
      : MemTableRep(allocator) {
    for (auto& l : head_links_)
      l.store(nullptr, std::memory_order_relaxed);
    for (auto& p : path_)
      p = head();
    if (point_slots > 0)
      points_ = std::make_unique<point_index>(point_slots);
  }

  // The node's height is chosen here and kept in its level-0 link until
  // Insert links it in (RocksDB calls the two back to back).
  rocksdb::KeyHandle Allocate(const size_t len, char** buf) override {
    const int height = random_height();
    const std::size_t links = sizeof(std::atomic<node*>) * static_cast<std::size_t>(height);
    char* raw = allocator_->AllocateAligned(links + len);
    auto* n = reinterpret_cast<node*>(raw + links - sizeof(std::atomic<node*>));
    for (int level = 0; level < height; ++level)
      new (&n->link(level)) std::atomic<node*>(nullptr);
    n->next0.store(reinterpret_cast<node*>(static_cast<std::uintptr_t>(height)),
                   std::memory_order_relaxed);
    *buf = reinterpret_cast<char*>(n + 1);
    return n;
  }

  void Insert(rocksdb::KeyHandle handle) override { (void)InsertKey(handle); }

  bool InsertKey(rocksdb::KeyHandle handle) override {
    auto* x = static_cast<node*>(handle);
    const int height = static_cast<int>(
      reinterpret_cast<std::uintptr_t>(x->next0.load(std::memory_order_relaxed)));
    const internal_key key = x->key();
    const int top = height_.load(std::memory_order_relaxed);
    node* prev[max_height];
    find_path(key, top, prev);
    for (int level = top; level < height; ++level)
      prev[level] = head();
    if (node* at = prev[0]->next0.load(std::memory_order_relaxed);
        at != nullptr && compare(at->key(), key) == 0)
      return false; // the same user key and sequence: RocksDB retries
    // Readers may see the new height before the links: head's empty links
    // at those levels just send them down.
    if (height > top)
      height_.store(height, std::memory_order_relaxed);
    for (int level = 0; level < height; ++level) {
      x->link(level).store(prev[level]->link(level).load(std::memory_order_relaxed),
                           std::memory_order_relaxed);
      prev[level]->link(level).store(x, std::memory_order_release);
    }
    for (int level = 0; level < std::max(top, height); ++level)
      path_[level] = level < height ? x : prev[level];
    last_ = x;
    if (points_)
      points_->remember(x);
    return true;
  }

  bool Contains(const char* entry) const override {
    const internal_key key = length_prefixed(entry);
    node* n = seek(key);
    return n != nullptr && compare(n->key(), key) == 0;
  }

  void Get(const rocksdb::LookupKey& k, void* callback_args,
           bool (*callback_func)(void* arg, const char* entry)) override {
    const internal_key key = lookup_key_of(k);
    node* n;
    if (points_ && points_->usable()) {
      // From the newest version past those newer than the read's sequence;
      // none at all: the first entry at or after key is another user key's,
      // which RocksDB's callback would only turn down.
      n = points_->newest(user_key_of(key));
      while (n != nullptr && compare(n->key(), key) < 0)
        n = n->next0.load(std::memory_order_acquire);
    } else {
      n = seek(key);
    }
    for (; n != nullptr && callback_func(callback_args, n->entry());
         n = n->next0.load(std::memory_order_acquire)) {
    }
  }

  // The arena holds the nodes; MemTable counts the arena itself.
  size_t ApproximateMemoryUsage() override { return 0; }

  // Not overridden: UniqueRandomSample (only RocksDB's experimental
  // mempurge calls it; off here) and ApproximateNumEntries (only size
  // estimates, which nothing here asks for).

  class iterator final : public MemTableRep::Iterator {
  public:
    explicit iterator(const skiplist_rep* list) : list_(list) {}
    bool Valid() const override { return at_ != nullptr; }
    const char* key() const override { return at_->entry(); }
    void Next() override { at_ = at_->next0.load(std::memory_order_acquire); }
    void Prev() override { at_ = list_->last_before(at_->key()); }
    void Seek(const rocksdb::Slice& ikey, const char* memtable_key) override {
      at_ = list_->seek(target(ikey, memtable_key));
    }
    void SeekForPrev(const rocksdb::Slice& ikey, const char* memtable_key) override {
      const internal_key t = target(ikey, memtable_key);
      at_ = list_->seek(t);
      if (at_ == nullptr)
        at_ = list_->last();
      else if (compare(at_->key(), t) > 0)
        at_ = list_->last_before(at_->key());
    }
    void SeekToFirst() override { at_ = list_->first(); }
    void SeekToLast() override { at_ = list_->last(); }

  private:
    static internal_key target(const rocksdb::Slice& ikey, const char* memtable_key) {
      if (memtable_key != nullptr)
        return length_prefixed(memtable_key);
      return {ikey.data(), static_cast<std::uint32_t>(ikey.size())};
    }
    const skiplist_rep* list_;
    node* at_ = nullptr;
  };

  Iterator* GetIterator(rocksdb::Arena* arena) override {
    if (arena == nullptr)
      return new iterator(this);
    // RocksDB's Arena is-an Allocator, its only base; the caller destroys
    // the iterator in place and frees the arena with its own iterator.
    auto* a = reinterpret_cast<rocksdb::Allocator*>(arena);
    return new (a->AllocateAligned(sizeof(iterator))) iterator(this);
  }

private:
  // rocksdb::LookupKey (db/lookup_key.h) begins with three pointers: the start
  // of the length-prefixed internal key, the internal key, and its end.
  static internal_key lookup_key_of(const rocksdb::LookupKey& k) {
    struct layout {
      const char* start;
      const char* kstart;
      const char* end;
    };
    const auto& l = reinterpret_cast<const layout&>(k);
    const internal_key key = length_prefixed(l.start);
    if (key.data != l.kstart || key.data + key.size != l.end) {
      std::fprintf(stderr, "atrium storage: rocksdb::LookupKey is not laid out as "
                           "RocksDB 7.8's; this build cannot read its memtables\n");
      std::abort();
    }
    return key;
  }

  node* head() const { return reinterpret_cast<node*>(&head_links_[max_height - 1]); }

  // From before, which precedes key at level, the last node there that does.
  // Each step is a likely cache miss: the node after next is fetched while
  // next's key is compared (~10% more inserts/s in a write-only loop).
  static node* last_before_at(node* before, int level, const internal_key& key) {
    for (;;) {
      node* next = before->link(level).load(std::memory_order_acquire);
      if (next == nullptr)
        return before;
      __builtin_prefetch(next->link(level).load(std::memory_order_relaxed));
      if (compare(next->key(), key) >= 0)
        return before;
      before = next;
    }
  }

  // prev[level] = the last node before key at each level below top. A batch
  // reaches the memtable sorted (store.cpp, memtable_order), so a key
  // usually follows the one inserted last, a few nodes on: the search
  // starts from that insert's path (path_), at the lowest level where the
  // path's next node is already past key, rather than from the head. A
  // descent from the head compared ~15 keys per insert, a cache miss each.
  void find_path(const internal_key& key, int top, node** prev) const {
    const bool after_last = last_ != nullptr && compare(last_->key(), key) < 0;
    // Levels from `from` up: no node between the last key and key, so the
    // path's node is key's predecessor there too.
    int from = top;
    if (after_last) {
      from = 0;
      while (from < top) {
        node* next = path_[from]->link(from).load(std::memory_order_relaxed);
        if (next == nullptr || compare(next->key(), key) >= 0)
          break;
        ++from;
      }
      for (int level = from; level < top; ++level)
        prev[level] = path_[level];
    }
    // Below: at level from-1 the path's next node is still before key, so
    // the search moves on from the path's node there, past the last key;
    // every level under it starts from the node the level above found.
    node* before = after_last && from > 0 ? path_[from - 1] : head();
    for (int level = from - 1; level >= 0; --level)
      prev[level] = before = last_before_at(before, level, key);
  }

  // The last node before key, or the head.
  node* descend(const internal_key& key) const {
    node* before = head();
    for (int level = height_.load(std::memory_order_relaxed) - 1; level >= 0; --level)
      before = last_before_at(before, level, key);
    return before;
  }

  // The first node at or after key.
  node* seek(const internal_key& key) const {
    return descend(key)->next0.load(std::memory_order_acquire);
  }

  // The last node before key, or nullptr.
  node* last_before(const internal_key& key) const {
    node* before = descend(key);
    return before == head() ? nullptr : before;
  }

  node* first() const { return head()->next0.load(std::memory_order_acquire); }

  node* last() const {
    node* before = head();
    for (int level = height_.load(std::memory_order_relaxed) - 1; level >= 0; --level)
      for (node* next; (next = before->link(level).load(std::memory_order_acquire)) != nullptr;)
        before = next;
    return before == head() ? nullptr : before;
  }

  // Height h with probability (1/4)^(h-1), as RocksDB's skip list.
  int random_height() {
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    int height = 1;
    for (auto bits = rng_; height < max_height && (bits & 3) == 0; bits >>= 2)
      ++height;
    return height;
  }

  mutable std::atomic<node*> head_links_[max_height];
  std::atomic<int> height_{1};
  // The inserting thread's own (one at a time: allow_concurrent_memtable_write
  // is off): the node inserted last, and at each level the last node at or
  // before it, the head where there is none.
  node* last_ = nullptr;
  node* path_[max_height];
  std::uint64_t rng_ = 0x9e3779b97f4a7c15ull;
  std::unique_ptr<point_index> points_;
};

class skiplist_factory final : public rocksdb::MemTableRepFactory {
public:
  explicit skiplist_factory(std::size_t point_slots) : point_slots_(point_slots) {}
  using MemTableRepFactory::CreateMemTableRep;
  rocksdb::MemTableRep* CreateMemTableRep(const rocksdb::MemTableRep::KeyComparator&,
                                          rocksdb::Allocator* allocator,
                                          const rocksdb::SliceTransform*,
                                          rocksdb::Logger*) override {
    return new skiplist_rep(allocator, point_slots_);
  }
  const char* Name() const override { return "AtriumSkipListFactory"; }

private:
  std::size_t point_slots_;
};

} // namespace

std::shared_ptr<rocksdb::MemTableRepFactory> ordered_memtable_factory(std::size_t point_keys) {
  std::size_t slots = 0;
  if (point_keys > 0)
    for (slots = 64; slots / 4 * 3 < point_keys; slots *= 2) {
    }
  return std::make_shared<skiplist_factory>(slots);
}

} // namespace atrium::storage
