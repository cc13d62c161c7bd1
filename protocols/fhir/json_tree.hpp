#pragma once
// A JSON value as an editable tree of raw texts, for the patch formats: keys
// and scalars keep the text they were written with, so rendering an
// unchanged part gives back its bytes (FHIR decimals carry their precision in
// their digits: a DOM would turn 1.50 into 1.5).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace atrium::fhir {

struct json_tree {
  enum class kind : std::uint8_t { object, array, scalar };
  kind k = kind::scalar;
  std::string raw; // a scalar's text, as written
  std::vector<std::pair<std::string, json_tree>> members; // keys as written, without quotes
  std::vector<json_tree> items;

  /// The tree of minified JSON that a parser has already validated.
  static json_tree parse(std::string_view minified);

  bool is_object() const { return k == kind::object; }
  bool is_array() const { return k == kind::array; }

  /// The member named `key` of an object; null when absent or not an object.
  json_tree* member(std::string_view key);
  const json_tree* member(std::string_view key) const;
  /// Removes the member named `key` (if any); true when one was removed.
  bool erase_member(std::string_view key);

  /// Removes, at any depth, the arrays and objects that are or become empty
  /// (R4 JSON has none), this one itself excepted.
  void drop_empty();

  void render(std::string& out) const;
  std::string rendered() const;
};

/// `json` without insignificant white space, tokens as written; the caller
/// has validated it (unchanged when it is not JSON).
std::string minified_json(std::string_view json);

} // namespace atrium::fhir
