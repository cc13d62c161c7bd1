#pragma once
// The kind of a parsed JSON value in words, for error messages ("an array").
// Included only by files that parse with simdjson already.
#include <simdjson.h>

namespace atrium::fhir {

inline const char* describe_json(simdjson::dom::element_type type) {
  using simdjson::dom::element_type;
  switch (type) {
  case element_type::ARRAY: return "an array";
  case element_type::OBJECT: return "an object";
  case element_type::STRING: return "a string";
  case element_type::BOOL: return "a boolean";
  case element_type::NULL_VALUE: return "null";
  default: return "a number";
  }
}

} // namespace atrium::fhir
