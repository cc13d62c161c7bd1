#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace atrium {

/// Decodes standard base64 (RFC 4648, with or without '=' padding; line
/// breaks and spaces are skipped). std::nullopt for any other character or
/// a length no encoder produces.
std::optional<std::string> decode_base64(std::string_view text);

} // namespace atrium
