#pragma once
// Shared helpers of the FHIRPath tests: a parsed JSON document that owns its
// buffer, and evaluation shortcuts that fail the test on errors.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include <simdjson.h>

#include "protocols/fhir/fhirpath/evaluator.hpp"
#include "protocols/fhir/fhirpath/parser.hpp"

namespace fhirpath_test {

namespace fp = atrium::fhir::fhirpath;

struct json_doc {
  explicit json_doc(const std::string& text) : json(text) {
    auto err = parser.parse(json).get(root);
    if (err) FAIL("test JSON does not parse: " << simdjson::error_message(err));
  }
  simdjson::padded_string json;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
};

inline fp::collection eval(const json_doc& doc, const std::string& expr, const fp::context& ctx = {}) {
  auto r = fp::evaluate(expr, doc.root, ctx);
  if (!r) FAIL(expr << " failed: " << r.error().message() << " at " << r.error().where());
  return *r;
}

/// Each item as toString() renders it; complex nodes as "<object>".
inline std::vector<std::string> texts(const fp::collection& c) {
  std::vector<std::string> out;
  for (const auto& it : c) out.push_back(fp::to_text(it).value_or("<object>"));
  return out;
}

inline std::vector<std::string> eval_texts(const json_doc& doc, const std::string& expr,
                                           const fp::context& ctx = {}) {
  return texts(eval(doc, expr, ctx));
}

/// "true", "false" or "{}" (empty), for three-valued results.
inline std::string eval_bool(const json_doc& doc, const std::string& expr, const fp::context& ctx = {}) {
  auto c = eval(doc, expr, ctx);
  if (c.empty()) return "{}";
  REQUIRE(c.size() == 1);
  auto v = fp::to_system(c.front());
  const bool* b = v ? std::get_if<bool>(&v->v) : nullptr;
  if (!b) FAIL(expr << " did not yield a Boolean");
  return *b ? "true" : "false";
}

inline atrium::status eval_error(const json_doc& doc, const std::string& expr) {
  auto r = fp::evaluate(expr, doc.root);
  REQUIRE_FALSE(r);
  return r.error();
}

inline const json_doc& empty_doc() {
  static const json_doc doc("{}");
  return doc;
}

} // namespace fhirpath_test
