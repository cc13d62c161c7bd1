#pragma once
// How many times code allocates from the heap, counted on this thread by
// the test binary's own operator new (allocation_count.cpp).
#include <cstddef>

namespace atrium::test {

std::size_t allocations_on_this_thread() noexcept;

template <class F>
std::size_t allocations_of(F&& f) {
  const auto before = allocations_on_this_thread();
  f();
  return allocations_on_this_thread() - before;
}

} // namespace atrium::test
