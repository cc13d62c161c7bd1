#include "actors/fhir/bundle_creations.hpp"

#include <simdjson.h>

#include "protocols/http/query.hpp"

namespace atrium::actors {

namespace {

/// A token's system and value as `identifier` criteria give them: "s|v",
/// "|v" (no system), "v" (any system), "s|" (any value).
struct token {
  std::optional<std::string> system; // nullopt: any
  std::optional<std::string> value;  // nullopt: any
};

/// The token of criteria that are one `identifier` value and nothing else;
/// nullopt for anything more (ORs, escapes, modifiers, other parameters).
std::optional<token> identifier_token(std::string_view criteria) {
  auto params = http::parse_query(criteria);
  if (!params || params->size() != 1 || params->front().first != "identifier")
    return std::nullopt;
  const std::string& text = params->front().second;
  if (text.empty() || text.find_first_of(",\\$") != std::string::npos)
    return std::nullopt;
  const auto bar = text.find('|');
  if (bar == std::string::npos)
    return token{std::nullopt, text};
  token t{text.substr(0, bar), text.substr(bar + 1)};
  if (t.value->empty())
    t.value.reset();
  return t;
}

bool has_identifier(std::string_view resource, const token& want) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array identifiers;
  if (parser.parse(resource.data(), resource.size()).get(root) ||
      root["identifier"].get_array().get(identifiers))
    return false;
  for (auto id : identifiers) {
    std::string_view system, value;
    const bool has_system = !id["system"].get_string().get(system);
    const bool has_value = !id["value"].get_string().get(value);
    const bool system_ok =
      !want.system || (want.system->empty() ? !has_system : has_system && system == *want.system);
    const bool value_ok = !want.value || (has_value && value == *want.value);
    if (system_ok && value_ok)
      return true;
  }
  return false;
}

} // namespace

void bundle_creations::add(std::uint16_t type, std::size_t entry, std::string reference,
                           std::string_view resource) {
  creations_.push_back({type, entry, std::move(reference), resource});
}

std::optional<std::vector<bundle_creations::match>>
bundle_creations::find(std::uint16_t type, std::string_view criteria) const {
  const auto want = identifier_token(criteria);
  if (!want)
    return std::nullopt;
  std::vector<match> out;
  for (const auto& c : creations_)
    if (c.type == type && has_identifier(c.resource, *want))
      out.push_back({c.entry, c.reference});
  return out;
}

} // namespace atrium::actors
