#pragma once
// The management API's resource model, after Azure's: workspaces holding
// FHIR services, DICOM services and IoT connectors.
#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/common/status.hpp"

namespace atrium::mgmt {

/// Workspace and service names: lowercase letters, digits and hyphens,
/// 3–24 characters, starting and ending with a letter or digit. Workspace
/// names must also not be reserved by the node's own routes.
status validate_name(std::string_view name, std::string_view what);
status validate_workspace_name(std::string_view name);

/// The client's PUT body reduced to what is kept: its "properties" object
/// (minified; "{}" when absent). The body may be empty; otherwise it must be a
/// JSON object whose "properties", if present, is an object.
result<std::string> parse_properties(std::string_view body);

/// {"id":"/workspaces/ws","name":"ws","type":"workspaces",
///  "properties":{…},"systemData":{"createdAt":…,"lastModifiedAt":…}}
std::string workspace_json(std::string_view ws, std::string_view properties,
                           std::int64_t created, std::int64_t modified);

/// {"id":"/workspaces/ws/<collection>/name","name":…,"type":"<collection>",
///  "serviceId":N,"serviceUrl":"/ws/name","properties":{…},"systemData":{…}}
std::string service_json(std::string_view ws, std::string_view collection,
                         std::string_view name, std::uint32_t service_id,
                         std::string_view properties, std::int64_t created,
                         std::int64_t modified);

/// {"value":[item,item,…]}
std::string list_json(const std::string* items, std::size_t n);

/// Fields read back from a stored record.
struct stored_record {
  std::string properties = "{}";
  std::int64_t created = 0;
  std::uint32_t service_id = 0;
};
result<stored_record> parse_stored(std::string_view json);

} // namespace atrium::mgmt
