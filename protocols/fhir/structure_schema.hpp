#pragma once
// R4's element shapes compiled for walks over a resource's JSON: each data
// type, resource type and backbone element as an index, and each JSON key an
// object of it may hold (choice elements under every typed name, primitives
// with their "_" partners). The structure check and the search for a
// Bundle entry's links walk resources with it.
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocols/fhir/primitive_forms.hpp"

namespace atrium::fhir::structure {

constexpr std::uint16_t any_resource = 0xffff;

/// What a JSON key of an object of some type stands for.
struct field {
  enum class what : std::uint8_t {
    primitive, // its value: p
    object,    // a data type or backbone element: owners[owner]
    resource,  // a resource: of type owners[owner], or any_resource
    partner,   // "_name": the id and extensions of the primitive `name`
  };
  what w = what::primitive;
  primitive p = primitive::string;
  bool repeats = false;
  std::uint8_t slot = 0; // 1 + the element's bit in its owner's required mask; 0: optional
  std::uint8_t choice = 0; // 1 + the choice element (value[x]) it is one type of; 0: none
  std::uint8_t choice_type = 0; // which of its types; a "_" partner has its primitive's
  std::uint16_t owner = 0;
  std::uint16_t codes = 0; // 1 + its required binding's code_sets index; 0: none
};

/// The codes a required binding allows (data/fhir-r4/required-codes.txt):
/// views of the embedded text, sorted.
struct code_set {
  std::string_view value_set;
  std::vector<std::string_view> codes;
  bool contains(std::string_view code) const;
};

// Element names are short and differ early and late ("valueQuantity",
// "valueString"): their length and three letters tell them apart well enough
// for a table of at most a few hundred keys, for less than a full string hash
// of every member of every resource written.
struct key_hash {
  std::size_t operator()(std::string_view k) const noexcept {
    if (k.empty()) return 0;
    const auto c = [&](std::size_t i) { return static_cast<std::size_t>(k[i]); };
    return k.size() * 0x9e3779b1u ^ c(0) << 5 ^ c(k.size() / 2) << 12 ^ c(k.size() - 1) << 19;
  }
};

struct owner_schema {
  std::string name;
  bool is_resource = false;
  std::unordered_map<std::string_view, field, key_hash> fields;
  std::uint64_t required = 0;              // a bit per required element
  std::vector<std::string> required_names; // by bit, choices with "[x]"
  std::vector<std::string> choice_names;   // by choice index, with "[x]"
};

// R4 has at most 5 choice elements in one type (ElementDefinition).
constexpr std::size_t max_choices = 8;

/// The element shapes compiled for the walk: each type, resource and
/// backbone element as an index, and each JSON key it may hold (choice
/// elements under every typed name, primitives with their "_" partners).
struct schema {
  std::vector<owner_schema> owners;
  std::unordered_map<std::string_view, std::uint16_t> index;
  std::deque<std::string> keys; // the strings the fields' keys view
  std::uint16_t element = 0;    // Element: what a "_name" partner holds
  std::vector<code_set> code_sets;

  std::uint16_t owner_of(std::string_view name) const { return index.at(name); }
};

/// The schema of R4's element shapes, built on first use (thread-safe).
const schema& the_schema();

} // namespace atrium::fhir::structure
