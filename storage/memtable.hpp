#pragma once
// The memtable of every column: a skip list of our own in place of RocksDB's.
//
// Why: Debian 12 builds RocksDB with assertions on, and its skip list checks
// two extra key comparisons on every step of every insert's descent
// (InlineSkipList::FindSpliceForLevel), each through two virtual calls. The
// descents, ~23 per durable create and ~15 per transaction entry, all on the
// storage writer thread that every write waits for, were a quarter of a
// create run's CPU. Ours compares once per step, inline, and prefetches the
// next node: transactions +21% over three interleaved pairs, ahead in six of six
// (tools/bench/README.md, "Our own memtable"). A batch arrives sorted, so an
// insert starts from the path of the one before rather than from the head
// (-4.6% instructions per transaction; "Fewer allocations, a finger into the
// memtable"). What steps remain are bound by cache misses, not comparisons.
//
// What it is: a single-writer skip list with lock-free readers (RocksDB
// serialises memtable inserts when concurrent memtable writes are off,
// which storage/store.cpp sets), nodes in the memtable's arena, keys ordered
// as RocksDB's internal keys under the bytewise comparator: user key
// ascending, then sequence and type descending. Only for columns that use
// the bytewise comparator (all of ours).
#include <cstddef>
#include <memory>

namespace rocksdb { class MemTableRepFactory; }

namespace atrium::storage {

/// point_keys > 0: each memtable also keeps a hash index of up to that many
/// user keys for point reads (8 bytes per slot, slots a power of two at
/// most 3/4 full); past it, point reads descend the skip list as without.
std::shared_ptr<rocksdb::MemTableRepFactory> ordered_memtable_factory(std::size_t point_keys);

} // namespace atrium::storage
