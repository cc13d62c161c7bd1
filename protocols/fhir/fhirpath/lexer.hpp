#pragma once
// FHIRPath tokens. Keywords (and, or, is, div…) are identifiers here: whether
// `div` is an operator or a member name (Narrative.div) depends on where it
// stands, which only the parser knows.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/status.hpp"

namespace atrium::fhir::fhirpath {

enum class token_kind : std::uint8_t {
  identifier,           // name, or keyword
  delimited_identifier, // `name` (text without backticks, escapes resolved)
  string,               // 'text' (escapes resolved)
  number,               // 12 or 1.5 (text as written)
  date,                 // @2020-01-01 (text without @)
  datetime,             // @2020-01-01T10:00Z
  time,                 // @T10:00 (text without @T)
  this_,                // $this
  index,                // $index
  total,                // $total
  env,                  // %name or %`name` or %'name' (text = name)
  symbol,               // . [ ] ( ) { } , + - * / | & = != ~ !~ < <= > >=
  end,
};

struct token {
  token_kind kind = token_kind::end;
  std::string text;
  std::size_t pos = 0; // byte offset in the expression
};

/// Splits an expression into tokens, skipping whitespace and comments.
/// Errors (unterminated string, bad escape, stray character) are errc::invalid
/// with where() = "offset N".
result<std::vector<token>> tokenize(std::string_view text);

} // namespace atrium::fhir::fhirpath
