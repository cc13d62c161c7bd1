#pragma once
// The parsed form of a FHIRPath expression. Compiled once, evaluated many
// times (search indexing runs one expression per stored resource), so names of
// functions and type specifiers are resolved when parsing, not per evaluation.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "protocols/fhir/fhirpath/value.hpp"

namespace atrium::fhir::fhirpath {

enum class node_kind : std::uint8_t {
  literal,  // literal (collection: {} is empty, others one item)
  member,   // target.name, or name on $this when target is null
  function, // target.fn(args), or fn(args) on $this when target is null
  this_,    // $this
  index,    // $index
  total,    // $total
  env,      // %name
  indexer,  // target[right]
  negate,   // -target (unary + parses to its operand)
  binary,   // target op right
  is_type,  // target is name
  as_type,  // target as name
};

enum class binary_op : std::uint8_t {
  mul, div, int_div, mod, add, sub, concat, union_, lt, le, gt, ge, eq, ne, equiv, not_equiv,
  in, contains, and_, or_, xor_, implies,
};

enum class function_id : std::uint8_t {
  // existence
  empty, exists, all, all_true, any_true, all_false, any_false, subset_of, superset_of, count,
  distinct, is_distinct,
  // filtering and projection
  where, select, repeat, of_type, as, is,
  // subsetting
  single, first, last, tail, skip, take, intersect, exclude,
  // combining
  union_, combine,
  // conversion
  iif, to_boolean, converts_to_boolean, to_integer, converts_to_integer, to_decimal,
  converts_to_decimal, to_string, converts_to_string, to_date, converts_to_date, to_date_time,
  converts_to_date_time, to_time, converts_to_time, to_quantity, converts_to_quantity,
  // strings
  index_of, substring, starts_with, ends_with, contains, upper, lower, replace, matches,
  replace_matches, length, to_chars,
  // math
  abs, ceiling, floor, exp, ln, log, power, round, sqrt, truncate,
  // tree navigation and utility
  children, descendants, trace, now, today, time_of_day, not_, aggregate,
  // FHIR additions
  extension, has_value, get_value, resolve, member_of, conforms_to, html_checks,
};

struct node {
  node_kind kind = node_kind::literal;
  binary_op op = binary_op::add;
  function_id fn = function_id::empty;
  std::string name;              // member, function or %variable name
  std::string type;              // type specifier of is, as, ofType(), is(), as()
  collection literal;            // node_kind::literal
  std::unique_ptr<node> target;  // the input; the left operand of a binary
  std::unique_ptr<node> right;   // the right operand; the index of an indexer
  std::vector<std::unique_ptr<node>> args;
  std::size_t pos = 0;           // byte offset in the expression text
};

/// A compiled expression: cheap to copy, immutable, safe to share across threads.
class expression {
public:
  expression() = default;
  expression(std::shared_ptr<const node> root, std::string text)
    : root_(std::move(root)), text_(std::move(text)) {}

  const node* root() const { return root_.get(); }
  const std::string& text() const { return text_; }

private:
  std::shared_ptr<const node> root_;
  std::string text_;
};

} // namespace atrium::fhir::fhirpath
