#include "actors/fhir/bundle_creations.hpp"

#include <algorithm>

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

/// The resource's identifiers as its `identifier` search parameter sees
/// them: `identifier`, one or many, and a document's `masterIdentifier`
/// (DocumentReference, DocumentManifest).
std::vector<bundle_creations::identifier> identifiers_of(std::string_view resource) {
  std::vector<bundle_creations::identifier> out;
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(resource.data(), resource.size()).get(root))
    return out;
  auto add = [&](simdjson::dom::element id) {
    std::string_view system, value;
    if (id["value"].get_string().get(value))
      return;
    bundle_creations::identifier i{std::nullopt, std::string{value}};
    if (!id["system"].get_string().get(system)) i.system = std::string{system};
    out.push_back(std::move(i));
  };
  for (const char* key : {"identifier", "masterIdentifier"}) {
    simdjson::dom::element e;
    if (root[key].get(e))
      continue;
    simdjson::dom::array many;
    if (!e.get_array().get(many))
      for (auto id : many) add(id);
    else
      add(e);
  }
  return out;
}

} // namespace

void bundle_creations::add(std::uint16_t type, std::size_t entry, std::string reference,
                           std::string_view resource) {
  creations_.push_back({type, entry, std::move(reference), resource, std::nullopt});
}

std::optional<std::vector<bundle_creations::match>>
bundle_creations::find(std::uint16_t type, std::string_view criteria) const {
  const auto want = identifier_token(criteria);
  if (!want)
    return std::nullopt;
  std::vector<match> out;
  for (const auto& c : creations_) {
    if (c.type != type)
      continue;
    if (!c.identifiers)
      c.identifiers = identifiers_of(c.resource);
    const bool matches = std::any_of(c.identifiers->begin(), c.identifiers->end(), [&](auto& id) {
      const bool system_ok = !want->system || (want->system->empty() ? !id.system
                                                                      : id.system == *want->system);
      return system_ok && (!want->value || id.value == *want->value);
    });
    if (matches)
      out.push_back({c.entry, c.reference});
  }
  return out;
}

} // namespace atrium::actors
