#pragma once
// Conditional requests (RFC 9110 §13): what If-None-Match names.
#include <string_view>

namespace atrium::http {

/// Whether an If-None-Match header (a list of entity tags, or "*") names
/// `etag`, by the weak comparison GET uses (§13.1.2): W/"x" and "x" are the
/// same tag.
bool none_match_names(std::string_view header, std::string_view etag);

} // namespace atrium::http
