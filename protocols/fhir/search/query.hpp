#pragma once
// A FHIR search request, parsed (syntax) and bound to parameters (meaning).
//   parse_query: the query string's pairs → clauses, result parameters and
//                what is unknown; no knowledge of parameters needed.
//   bind_query:  checks every clause against a registry for a resource type,
//                types its values (prefixes, token system|code, quantity
//                number|system|code, reference [type/]id or URL, chains,
//                _has), and reports unknown/unsupported ones.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocols/common/status.hpp"
#include "protocols/fhir/elements.hpp"
#include "protocols/fhir/search/params.hpp"
#include "protocols/http/query.hpp"

namespace atrium::fhir::search {

enum class prefix : std::uint8_t { eq, ne, gt, lt, ge, le, sa, eb, ap };

/// A value as the client wrote it, escapes (\, \| \$ \\) resolved only where
/// they separate parts; `parts` are the pieces split at unescaped '|' (token,
/// quantity, reference with version) — one piece when there is no '|'.
struct raw_value {
  prefix pre = prefix::eq;       // only for number, date, quantity (else eq)
  std::string text;              // whole value after the prefix, unescaped
  std::vector<std::string> parts; // split at unescaped '|', each unescaped
  /// The alternative exactly as written (prefix and escapes kept): composite
  /// values are split at unescaped '$' from this, since `text` has lost which
  /// '$' were escaped.
  std::string raw;
  /// Composite parameters: each component's value, typed by bind_query.
  std::vector<raw_value> components;
};

/// `name[:modifier][.chain…]=v1,v2` — one AND term; values are ORed.
struct clause {
  std::string code;      // parameter code, e.g. "subject" or "_id"
  std::string modifier;  // "exact", "missing", "Patient" (type modifier)… or ""
  /// Forward chain after the first parameter: subject:Patient.organization.name
  /// gives code "subject", modifier "Patient", chain [{organization,""},{name,""}].
  struct link {
    std::string code;
    std::string modifier;
  };
  std::vector<link> chain;
  /// Reverse chain: _has:Observation:patient:code=x gives has = [{Observation,
  /// patient}] and code "code"; nested _has adds more entries (outermost first).
  struct reverse_link {
    std::string type;
    std::string param;
  };
  std::vector<reverse_link> has;
  std::vector<raw_value> values; // OR alternatives (split at unescaped ',')
  std::size_t param_index = 0;   // its parameter's position in the query
};

struct sort_key {
  std::string code;
  bool descending = false;
};

struct include_spec {
  std::string source_type; // "Observation" or "*"
  std::string param;       // "subject" or "*"
  std::string target_type; // optional ":Patient"
  bool iterate = false;
  std::size_t param_index = 0; // its parameter's position in the query
};

enum class total_mode : std::uint8_t { none, estimate, accurate };
enum class summary_mode : std::uint8_t { none, true_, count, data, text, false_ };

struct search_query {
  std::vector<clause> clauses;        // ANDed
  std::vector<sort_key> sort;
  std::uint32_t count = 10;           // _count (default 10, clamped to max_count)
  bool count_clamped = false;         // a larger _count was asked for
  total_mode total = total_mode::none;
  summary_mode summary = summary_mode::none;
  std::vector<std::string> elements;  // _elements
  std::vector<include_spec> includes;
  std::vector<include_spec> revincludes;
  std::string cursor;                 // _cursor: opaque page position
  std::vector<std::string> types;     // _type (system search)
  /// Parameters that are not search parameters of any kind, or malformed
  /// ones; reported back (lenient) or refused (Prefer: handling=strict).
  std::vector<std::string> problems;
  /// Positions in the query of the parameters left out entirely (unknown,
  /// unsupported, without a value): a Bundle's self link omits them, as it
  /// shows the search that was run (R4 search.html §3.1.1.4 "Handling
  /// errors": the self link lists the parameters the server used).
  std::vector<std::size_t> ignored;
};

inline constexpr std::uint32_t default_count = 10;
inline constexpr std::uint32_t max_count = 1000;

/// Syntax: splits pairs into clauses and result parameters. Result
/// parameters with bad values (_count=abc, _sort=) are errors (invalid).
/// Ignores _format (content negotiation) and _pretty.
result<search_query> parse_query(const http::query_params& params);

/// Meaning: checks each clause for `type` (chains against the target types'
/// parameters, _has against the named type's), moves unknown ones into
/// problems, and validates values per type (a malformed date or number is
/// an error: invalid, naming the parameter). Prefixes are only allowed on
/// number, date and quantity.
status bind_query(search_query& q, std::string_view type, const param_registry& registry);

/// What _summary and _elements ask for (for search and read); _elements
/// naming no element of `type` (if not empty) is added to `problems`. _summary wins when
/// both are given (FHIR leaves the pair undefined; a summary is smaller).
fhir::subset_request subset_of(const search_query& q, std::string_view type,
                               std::vector<std::string>& problems);

} // namespace atrium::fhir::search
