#pragma once
// The requests of a batch or transaction Bundle (POST [base]), read once
// into plain values, and the reference rewriting a transaction needs.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/common/status.hpp"

namespace atrium::fhir {

/// One entry's request as the Bundle states it. `refused` is set when the
/// entry cannot be run at all (no request, a bad method, an absolute url).
struct bundle_entry_request {
  std::string method; // GET HEAD POST PUT PATCH DELETE
  std::string url;    // relative to the service base, as written
  std::string full_url;
  std::string resource; // the resource as written (minified), "" if none
  std::string if_match, if_none_exist, if_none_match, if_modified_since;
  std::optional<status> refused;

  bool is_read() const { return method == "GET" || method == "HEAD"; }
  /// ifNoneExist, or PUT/PATCH/DELETE by search criteria.
  bool is_conditional() const;
  /// criteria_lock_key of a conditional entry; "" for any other.
  std::string criteria_key() const;
};

/// The key a conditional interaction holds while it resolves `query` on
/// `type` and writes: the same criteria however written (parameters in
/// any order, escaped or not) give the same key, so that concurrent
/// conditional creates with them create one resource.
std::string criteria_lock_key(std::string_view type, std::string_view query);

struct bundle_request {
  std::string type; // "batch", "transaction", …
  std::vector<bundle_entry_request> entries;
};

/// Reads a Bundle posted to the service base. Refuses what is not JSON, not
/// a Bundle, or holds more than `max_entries` entries.
result<bundle_request> parse_bundle_request(std::string_view body, std::size_t max_entries);

/// The patch a PATCH entry carries, as a PATCH request would send it: a
/// Binary resource holds a JSON Patch (contentType
/// application/json-patch+json, the document base64 in `data`); a
/// Parameters resource is a FHIRPath Patch.
struct entry_patch {
  std::string content_type;
  std::string body;
};
result<entry_patch> patch_of(const bundle_entry_request& entry);

/// What a reference becomes: std::nullopt keeps it as written.
using reference_mapper =
  std::function<result<std::optional<std::string>>(std::string_view reference)>;

/// Calls `map` for every Reference.reference string in a minified resource
/// of R4 type `type` (at any depth: nested elements, contained resources,
/// extensions, but not a Bundle's entries: fhir::link_values) and returns
/// the text with the replacements made, everything else as written. With no
/// `type` (a patch, which is no resource), every "reference" member's string.
result<std::string> rewrite_references(std::string_view resource, std::string_view type,
                                       const reference_mapper& map);

/// Calls `visit` with every Reference.reference string of `resource`, found
/// as rewrite_references finds them, decoded; nothing is copied.
void for_each_reference(std::string_view resource, std::string_view type,
                        const std::function<void(std::string_view reference)>& visit);

/// What a `urn:uuid:`/`urn:oid:` becomes; std::nullopt keeps it.
using urn_mapper = std::function<std::optional<std::string>(std::string_view urn)>;

/// The other places R4 rewrites a transaction's fullUrls in: every value of
/// type uri, url, canonical, oid or uuid that is exactly a urn `map` knows,
/// and `href="urn:…"`/`src="urn:…"` attributes inside narrative XHTML, in
/// `resource_text` itself, a resource of R4 type `type`. Everything else
/// stays as written. With no `type`, every string value that is such a urn.
void rewrite_urns(std::string& resource_text, std::string_view type, const urn_mapper& map);

} // namespace atrium::fhir
