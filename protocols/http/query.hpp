#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace atrium::http {

using query_params = std::vector<std::pair<std::string, std::string>>;

/// Percent-decodes s; '+' becomes a space when form is true (query strings and
/// application/x-www-form-urlencoded). nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s, bool form);

/// Percent-encodes every byte except RFC 3986's unreserved characters
/// (letters, digits, - . _ ~), so the result is safe as a query value.
std::string percent_encode(std::string_view s);

/// Splits "a=1&b=2&a=3" into decoded pairs in order (repeats kept). A key
/// without '=' has an empty value; empty segments are skipped. nullopt when
/// any escape is malformed.
std::optional<query_params> parse_query(std::string_view query);

/// The first value of a key, if present.
std::optional<std::string_view> find_param(const query_params& q,
                                           std::string_view key);
/// Whether a and b are the same text but for ASCII case.
bool equals_nocase(std::string_view a, std::string_view b) noexcept;

/// A boolean parameter's value: "true" or "false" in any case (Azure binds
/// them so); nullopt for anything else.
std::optional<bool> parse_bool(std::string_view value) noexcept;

/// Likewise, the key compared without ASCII case (DICOMweb's parameters,
/// which Azure binds case-insensitively: includeMetadata, Limit).
std::optional<std::string_view> find_param_nocase(const query_params& q,
                                                  std::string_view key);

/// The raw query string without the parameters named `key` (compared as
/// sent, not decoded); the others keep their bytes and order.
std::string without_param(std::string_view query, std::string_view key);

/// Splits a request target into path and query (without the '?').
std::pair<std::string_view, std::string_view> split_target(std::string_view target);

/// Splits a path into its non-empty segments ("/a//b/" → ["a","b"]),
/// percent-decoding each; nullopt on a malformed escape.
std::optional<std::vector<std::string>> split_path(std::string_view path);

} // namespace atrium::http
