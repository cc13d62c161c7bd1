// Replaces the global operator new of storage_tests (and the delete that
// pairs with it) to count allocations per thread; the memory still comes
// from malloc. The array and nothrow forms forward here by the standard's
// default definitions; aligned ones are left alone.
#include "allocation_count.hpp"

#include <cstdlib>
#include <new>

namespace {
thread_local std::size_t allocations = 0;
}

std::size_t atrium::test::allocations_on_this_thread() noexcept { return allocations; }

void* operator new(std::size_t n) {
  ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n))
    return p;
  throw std::bad_alloc();
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
