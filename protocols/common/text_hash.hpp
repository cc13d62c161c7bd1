#pragma once
// Hashes a string by its text, so that unordered maps keyed by std::string
// are looked up with a string_view, without copying the key per lookup:
//   std::unordered_map<std::string, T, text_hash, std::equal_to<>>
#include <cstddef>
#include <functional>
#include <string_view>

namespace atrium {

struct text_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

} // namespace atrium
