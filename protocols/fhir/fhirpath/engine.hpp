#pragma once
// Internal to the evaluator: the state of one evaluation, shared by the node
// walker (evaluator.cpp), the operators (operators.cpp) and the function
// library (functions*.cpp).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/status.hpp"
#include "protocols/fhir/fhirpath/ast.hpp"
#include "protocols/fhir/fhirpath/evaluator.hpp"
#include "protocols/fhir/fhirpath/value.hpp"

namespace atrium::fhir::fhirpath {

/// What $this, $index and $total are while evaluating a node.
struct scope {
  const collection* focus = nullptr; // $this as a collection
  std::int64_t index = -1;           // $index inside a per-item argument
  const collection* total = nullptr; // $total inside aggregate()
};

class engine {
public:
  engine(const context& ctx, simdjson::dom::element resource, const collection& input);

  result<collection> eval(const node& n, const scope& sc);

  const context& ctx() const { return ctx_; }
  const collection& resource(); // %resource, built when first asked for
  const collection& input() const { return input_; }
  const temporal& now();

private:
  result<collection> eval_member(const node& n, const scope& sc);
  result<collection> eval_env(const node& n);

  const context& ctx_;
  simdjson::dom::element resource_element_;
  std::optional<collection> resource_;
  const collection& input_;
  std::optional<temporal> now_;
};

status eval_error(const node& n, std::string message);

// Reads of JSON scalars whose kind the caller has checked.
inline std::string_view json_string(simdjson::dom::element e) {
  std::string_view s;
  return e.get_string().get(s) == simdjson::SUCCESS ? s : std::string_view{};
}
inline double json_double(simdjson::dom::element e) {
  double d = 0;
  return e.get_double().get(d) == simdjson::SUCCESS ? d : 0;
}
inline bool json_bool(simdjson::dom::element e) {
  bool b = false;
  return e.get_bool().get(b) == simdjson::SUCCESS && b;
}

// ---- navigation (navigation.cpp) --------------------------------------------

/// An item for a JSON value: resources get their resourceType as type.
item json_item(simdjson::dom::element value, std::string_view type = {});
/// Appends the children of `it` named `name`, including choice elements
/// (name = "value" matches valueQuantity, typed Quantity) and primitives'
/// "_name" halves. Arrays are flattened.
void navigate(const item& it, std::string_view name, collection& out);
/// Appends every child of `it` (children()).
void all_children(const item& it, collection& out);

// ---- operators (operators.cpp) ---------------------------------------------

/// `=` on two items: nullopt when the spec says the result is empty
/// (date/times of different precision that agree as far as both go).
std::optional<bool> items_equal(const item& a, const item& b);
/// `~` on two items.
bool items_equivalent(const item& a, const item& b);
/// Collection `=` and `~` (empty operands → empty for `=`).
std::optional<bool> collections_equal(const collection& a, const collection& b);
bool collections_equivalent(const collection& a, const collection& b);
/// True when `coll` has an item equal to `it`.
bool contains_item(const collection& coll, const item& it);
/// Appends `from` to `out`, skipping items already there.
void append_distinct(collection& out, const collection& from);

/// Boolean value of a collection where a Boolean is expected: empty is
/// unknown, one Boolean is itself, one other item is true, more is an error.
result<std::optional<bool>> to_logic(const collection& c, const node& where);

result<collection> apply_binary(engine& e, const node& n, const collection& left,
                                const collection& right);
result<collection> apply_negate(const node& n, const collection& operand);

// ---- functions (functions.cpp, functions_text.cpp, functions_math.cpp) ------

result<collection> call_function(engine& e, const node& n, const collection& input,
                                 const scope& sc);
/// String functions; `args` are evaluated.
result<collection> call_string_function(const node& n, const collection& input,
                                        const std::vector<collection>& args);
/// Math functions; `args` are evaluated.
result<collection> call_math_function(const node& n, const collection& input,
                                      const std::vector<collection>& args);
/// Conversion functions (toX / convertsToX); `args` are evaluated.
result<collection> call_conversion_function(const node& n, const collection& input,
                                            const std::vector<collection>& args);

/// The single item of a collection the spec requires to be a singleton;
/// nullptr when empty, an error when it has several.
result<const item*> singleton(const collection& c, const node& where);

} // namespace atrium::fhir::fhirpath
