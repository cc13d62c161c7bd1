#pragma once
// Prefer: return=minimal | representation | OperationOutcome, as a FHIR
// write answers it: alone, or for each entry of a Bundle.
#include "protocols/http/message.hpp"

namespace atrium::actors {

enum class prefer_return { representation, minimal, outcome };

inline prefer_return parse_prefer(const http::request& req) {
  auto prefer = req.header("prefer");
  if (!prefer)
    return prefer_return::representation;
  if (prefer->find("return=minimal") != std::string_view::npos)
    return prefer_return::minimal;
  if (prefer->find("return=OperationOutcome") != std::string_view::npos)
    return prefer_return::outcome;
  return prefer_return::representation;
}

} // namespace atrium::actors
