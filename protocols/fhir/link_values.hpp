#pragma once
// Where a resource holds values that can name another entry of its Bundle,
// by R4's types rather than by the look of the text: R4 (bundle.html,
// "Resolving references in Bundles"; http.html, transaction rules) rewrites
// a transaction's fullUrls in Reference.reference, in elements of type uri,
// url, canonical, oid and uuid, and in the narrative's links, and nowhere
// else: an Identifier.value that happens to be a urn:uuid stays as written.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace atrium::fhir {

enum class link_kind : std::uint8_t {
  reference, // Reference.reference
  uri,       // uri, url, canonical, oid, uuid
  narrative, // an xhtml div
};

/// A JSON string of the resource's text: [begin, end) is its content,
/// between its quotes, escapes as written.
struct link_value {
  std::size_t begin = 0;
  std::size_t end = 0;
  link_kind kind = link_kind::uri;
};

/// The link values of `resource`, minified and valid JSON of the R4
/// resource type `type`, in document order, contained and nested resources
/// included. A Bundle's entries are left out, the resource's own if it is a
/// Bundle: they link within that Bundle, not the one that carries it. Members
/// that are not elements of their type are passed over (the structure check
/// refuses them). Empty when `type` is no R4 resource type.
std::vector<link_value> link_values(std::string_view resource, std::string_view type);

} // namespace atrium::fhir
