#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace atrium::fhir {

enum class history_method : std::uint8_t { create, update, erase };

/// One version of a resource as history shows it. `json` is the stored
/// resource (already minified JSON, spliced in verbatim); empty for erase.
struct history_entry {
  std::string_view type;
  std::string_view id;
  std::uint64_t version = 0;
  std::int64_t last_updated_micros = 0;
  history_method method = history_method::create;
  std::string_view json;
};

/// A Bundle of type "history" (minified JSON). For each entry: fullUrl =
/// base_url/type/id; resource (absent for erase); request {method POST with
/// url "type", PUT or DELETE with url "type/id"}; response {status "201
/// Created" | "200 OK" | "204 No Content", etag W/"v", lastModified}.
/// link: self always, next when next_url is not empty. total when given.
std::string history_bundle(std::string_view base_url,
                           const std::vector<history_entry>& entries,
                           std::string_view self_url, std::string_view next_url,
                           std::optional<std::uint64_t> total = std::nullopt);

/// One resource of a search result page.
struct search_entry {
  std::string_view type;
  std::string_view id;
  std::string_view json; // stored resource, spliced verbatim
  bool included = false; // _include/_revinclude (mode include) or a match
};

/// A search page's links: self always, next and previous when not empty.
struct page_links {
  std::string_view self;
  std::string_view next;
  std::string_view previous;
};

/// A Bundle of type "searchset": fullUrl, resource and search.mode per
/// entry; its links; total when given; and an OperationOutcome entry (mode
/// outcome) when `outcome` is not empty.
std::string searchset_bundle(std::string_view base_url,
                             const std::vector<search_entry>& entries, const page_links& links,
                             std::optional<std::uint64_t> total = std::nullopt,
                             std::string_view outcome = {});

} // namespace atrium::fhir
