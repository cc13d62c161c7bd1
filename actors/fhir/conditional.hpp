#pragma once
// Conditional create, update, patch and delete (If-None-Exist,
// PUT/PATCH/DELETE {type}?criteria). The FHIR service actor runs each one
// holding its criteria (criteria_locks.hpp) until its write is durable, so
// concurrent conditional creates with the same criteria create exactly one
// resource, while those with other criteria run alongside.
#include "actors/actors.hpp"
#include "protocols/http/query.hpp"

namespace atrium::actors {

struct fhir_service_state;
struct node_context;

/// _count in a conditional delete's criteria asks for "multiple" mode:
/// every match, up to that many. More than `max` is refused rather than
/// cut short: a delete that stops at `max` without saying so would look
/// complete. No _count (or a malformed one, which the search refuses): 0.
result<std::uint32_t> delete_count(const std::string& criteria, std::uint32_t max);

/// Whether a DELETE's query asks for a hard delete (Azure's hardDelete:
/// true or false in any case; absent is false); any other value is
/// refused rather than read as a soft delete.
result<bool> hard_delete_of(const http::query_params& query);

/// The ids of up to `limit` resources of `type` matching `criteria` (a
/// search query string); a limit of two tells none, one and several apart.
/// Criteria with a parameter the server does not know are refused: ignoring
/// it would widen the match.
result<std::vector<std::string>> match_criteria(const node_context& ctx, std::uint32_t service,
                                                std::uint16_t type, const std::string& criteria,
                                                std::uint32_t limit = 2);

/// The "id" of a resource body, "" when it has none or does not parse.
std::string body_id_of(std::string_view body);

/// The id a conditional update of `type` writes, given the matches of its
/// criteria `what` (none or one): the match, whose id the body's (if any)
/// must be (R4: 400 otherwise); with no match the body's id, which must not
/// name a resource that exists (R4: 409), or a new one.
result<std::string> conditional_update_id(const node_context& ctx, std::uint32_t service,
                                          std::uint16_t type, const std::string& what,
                                          const std::vector<std::string>& matches,
                                          std::string_view body);

/// Handles a conditional_* request in the service actor `self`.
void run_conditional(fhir_actor::stateful_pointer<fhir_service_state> self, fhir_request& req,
                     fhir_callback reply);

} // namespace atrium::actors
