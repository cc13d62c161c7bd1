#pragma once
// Validating a client's resource body and storing it once, minified, with the
// server's id and meta. The actor that owns a resource only knows the version
// and time at commit, so preparation (on the edge's threads) splits the
// minified document around those two values and rendering just concatenates.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "protocols/common/status.hpp"

namespace simdjson::dom { class element; }

namespace atrium::fhir {

/// What to do with the id in the body.
enum class id_rule {
  replace,    // create: any id in the body is ignored and the assigned one set
  must_match, // update: the body must carry an id equal to the URL's id
};

/// A minified resource waiting for its versionId and lastUpdated:
/// rendered = head + <version> + mid + <instant> + tail, where
/// head = {"resourceType":"T","id":"I","meta":{"versionId":"
/// mid  = ","lastUpdated":"
/// tail = "<,other meta fields>}<,other fields in client order>}
struct resource_template {
  std::string type;
  std::string id;
  std::string head;
  std::string tail;
};

/// What else reads the document once it is valid (the search index does),
/// while it is parsed: the body is parsed once. Its error is the answer. The
/// document lives in this thread's parser: the reader must not call
/// prepare_resource itself.
using document_reader = std::function<status(const simdjson::dom::element& resource)>;

/// Validates `body` (UTF-8 JSON object; resourceType a string equal to
/// url_type; meta, if present, an object; id per `rule`; ids valid) and builds
/// the template, then hands the document to `read_also`. Errors are
/// errc::invalid with a message and a JSON path in where() ("Patient.id",
/// "resourceType", "$" for the document), or `read_also`'s.
result<resource_template> prepare_resource(std::string_view body,
                                           std::string_view url_type,
                                           std::string_view id, id_rule rule,
                                           const document_reader& read_also = {});

/// Concatenates the template with a version and a time (microseconds UTC).
std::string render_resource(const resource_template& t, std::uint64_t version,
                            std::int64_t last_updated_micros);

} // namespace atrium::fhir
