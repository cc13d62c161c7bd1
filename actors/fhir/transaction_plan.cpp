#include "actors/fhir/transaction_plan.hpp"

#include <algorithm>
#include <cctype>
#include <unordered_map>
#include <unordered_set>

#include "actors/fhir/bundle_creations.hpp"
#include "actors/fhir/conditional.hpp"
#include "actors/fhir/criteria_cache.hpp"
#include "actors/fhir/param_catalog.hpp"
#include "actors/fhir/replies.hpp"
#include "actors/node_context.hpp"
#include "protocols/common/text_hash.hpp"
#include "protocols/fhir/ids.hpp"
#include "protocols/fhir/json_tree.hpp"
#include "protocols/fhir/patch.hpp"
#include "protocols/fhir/resource_json.hpp"
#include "protocols/fhir/resource_types.hpp"
#include "protocols/http/query.hpp"

namespace atrium::actors {

namespace {

using fhir::bundle_entry_request;

bool is_delete(fhir_op write) { return write == fhir_op::erase || write == fhir_op::hard_erase; }

/// The target an entry's url names: `Type`, `Type/id` or `Type?criteria`.
struct entry_target {
  std::uint16_t type = 0;
  std::string type_name;
  std::string id;
  std::string criteria;
  bool conditional = false;
  bool hard = false; // a DELETE with hardDelete=true: history gone too
};

result<entry_target> target_of(const bundle_entry_request& e) {
  entry_target t;
  std::string_view url = e.url;
  if (auto q = url.find('?'); q != std::string_view::npos) {
    t.criteria = std::string{url.substr(q + 1)};
    t.conditional = true;
    url = url.substr(0, q);
  }
  // hardDelete says how to delete, not what: it is no criterion.
  if (t.conditional && e.method == "DELETE")
    if (auto query = http::parse_query(t.criteria); query && http::find_param(*query, "hardDelete")) {
      auto hard = hard_delete_of(*query);
      if (!hard)
        return hard.error();
      t.hard = *hard;
      t.criteria = http::without_param(t.criteria, "hardDelete");
      t.conditional = !t.criteria.empty();
    }
  auto slash = url.find('/');
  t.type_name = std::string{url.substr(0, slash)};
  auto type = fhir::find_resource_type(t.type_name);
  if (!type)
    return status{errc::not_found, "'" + t.type_name + "' is not an R4 resource type"};
  t.type = *type;
  if (slash != std::string_view::npos) {
    t.id = std::string{url.substr(slash + 1)};
    if (!fhir::is_valid_id(t.id) || t.conditional)
      return status{errc::invalid, "request.url '" + e.url + "' names no resource"};
  }
  return t;
}

/// The matches of an entry's criteria: up to `allowed` (one but for a
/// conditional delete's _count); more fail.
/// `cached`: from ctx.criteria when it holds them (conditional references,
/// which only read, unless the Bundle deletes; ifNoneExist and conditional
/// writes search every time).
/// `deleted` ("Type/id"): what the Bundle's DELETE entries remove, which R4
/// processes first, so they match nothing after them.
result<std::vector<std::string>> resolve(const node_context& ctx, std::uint32_t service,
                                         const entry_target& t, bool cached = false,
                                         const std::unordered_set<std::string>* deleted = nullptr,
                                         std::uint32_t allowed = 1) {
  const auto limit = static_cast<std::uint32_t>(allowed + 1 + (deleted ? deleted->size() : 0));
  // The cache keeps two matches: with deletions to take out it may not
  // hold enough.
  auto found = cached && allowed == 1 && ctx.criteria && (!deleted || deleted->empty())
                 ? ctx.criteria->matches(ctx, service, t.type, t.criteria)
                 : match_criteria(ctx, service, t.type, t.criteria, limit);
  if (found && deleted && !deleted->empty())
    std::erase_if(*found, [&](const std::string& id) {
      return deleted->contains(t.type_name + "/" + id);
    });
  if (found && found->size() > allowed)
    return status{errc::precondition_failed,
                  allowed == 1 ? "more than one " + t.type_name + "?" + t.criteria +
                                   " matches; the condition must be selective"
                               : "more than " + std::to_string(allowed) + " " + t.type_name + "?" +
                                   t.criteria + " match; _count allows " + std::to_string(allowed)};
  return found;
}

std::string where_of(std::size_t i) { return "Bundle.entry[" + std::to_string(i) + "]"; }

/// Where an entry's target is decided; the request gets its op, id and
/// preconditions, or the entry its answer when it writes nothing.
/// `creates_by_criteria`: set when the entry creates because its criteria
/// (ifNoneExist, a conditional PUT's) match nothing. `also`: the other
/// resources a conditional delete with _count removes (the first is w's).
status decide(const node_context& ctx, std::uint32_t service, const bundle_entry_request& e,
              const entry_target& t, const std::unordered_set<std::string>& deleted,
              const bundle_creations& creations, tx_write& w, bool& creates_by_criteria,
              std::vector<std::string>& also) {
  auto& r = w.prepare;
  r.op = fhir_op::tx_prepare;
  r.service = service;
  r.type = t.type;
  r.id = t.id;
  if (!e.if_match.empty()) {
    auto v = fhir::parse_version_etag(e.if_match);
    if (!v)
      return {errc::invalid, "ifMatch must be a version ETag such as W/\"1\"", "ifMatch"};
    r.if_match = *v;
  }
  r.if_none_match = e.if_none_match;
  auto nothing_to_write = [&](std::uint16_t status, const std::string& id) {
    r.op = fhir_op::read;
    w.result.status = status;
    w.result.type = t.type;
    w.result.id = id;
    if (status == 200) {
      auto current = read_current(*ctx.db, service, t.type, id);
      if (!current.status.ok())
        return current.status.to_status();
      w.result.record = std::move(current.record);
    }
    return status::ok();
  };
  if (e.method == "POST") {
    if (!t.id.empty() || t.conditional)
      return {errc::invalid, "a POST entry's url is the resource type"};
    r.write = fhir_op::create;
    r.id = fhir::new_resource_id();
    r.new_id = true;
    if (!e.if_none_exist.empty()) {
      auto found = resolve(ctx, service, {t.type, t.type_name, {}, e.if_none_exist, true}, false,
                           &deleted);
      if (!found)
        return found.error();
      if (!found->empty())
        return nothing_to_write(200, found->front());
      creates_by_criteria = true;
    }
    return status::ok();
  }
  r.write = e.method == "PUT"     ? fhir_op::update
            : e.method == "PATCH" ? fhir_op::patch
            : t.hard              ? fhir_op::hard_erase
                                  : fhir_op::erase;
  if (!t.conditional) {
    if (t.id.empty())
      return {errc::invalid, "a " + e.method + " entry's url names the resource ('" +
                               t.type_name + "/[id]') or search criteria"};
    return status::ok();
  }
  std::uint32_t allowed = 1;
  if (is_delete(r.write)) { // _count asks for several, as a plain conditional delete's
    auto n = delete_count(t.criteria, ctx.conditional_delete_max);
    if (!n)
      return n.error();
    allowed = std::max<std::uint32_t>(*n, 1);
  }
  auto found = resolve(ctx, service, t, false, &deleted, allowed);
  if (!found)
    return found.error();
  const auto what = t.type_name + "?" + t.criteria;
  // R4 runs POSTs before PUTs and PATCHes, so these criteria would find
  // what a POST entry creates: the two entries would write one resource,
  // which fails a transaction.
  // With a stored match as well, the criteria are not selective (412).
  if (!is_delete(r.write))
    if (auto posted = creations.find(t.type, t.criteria); posted && !posted->empty()) {
      const auto& [entry, reference] = posted->front();
      if (!found->empty())
        return {errc::precondition_failed, what + " matches " + t.type_name + "/" +
                                             found->front() + " and " + reference + ", which " +
                                             where_of(entry) + " creates; the condition must be "
                                             "selective"};
      return {errc::invalid, what + " matches " + reference + ", which " + where_of(entry) +
                               " creates; two entries of a transaction may not write one resource",
              "request.url"};
    }
  if (r.write == fhir_op::update) {
    auto id = conditional_update_id(ctx, service, t.type, what, *found, e.resource);
    if (!id)
      return id.error();
    r.id = std::move(*id);
    creates_by_criteria = found->empty();
    return status::ok();
  }
  if (!found->empty()) {
    if (found->size() > 1 && !e.if_match.empty())
      return {errc::invalid, "ifMatch names one version; a conditional delete of several takes none",
              "ifMatch"};
    r.id = found->front();
    also.assign(found->begin() + 1, found->end());
    return status::ok();
  }
  if (is_delete(r.write))
    return nothing_to_write(204, {});
  return {errc::not_found, "no " + what + " to patch"};
}

/// What every reference of the Bundle's resources becomes.
class reference_resolver {
public:
  /// `deleted`: what the Bundle's DELETE entries remove ("Type/id"), which
  /// R4 processes first, so a conditional reference matches none of it.
  /// `creations`: what the Bundle's POST entries create, which a
  /// conditional reference also matches (R4 resolves them after the POSTs).
  reference_resolver(const node_context& ctx, std::uint32_t service,
                     const std::unordered_set<std::string>& deleted,
                     const bundle_creations& creations)
    : ctx_(ctx), service_(service), deleted_(deleted), creations_(creations) {}

  void add_full_url(std::string full_url, std::string reference) {
    full_urls_.insert_or_assign(std::move(full_url), std::move(reference));
  }

  /// An entry that creates `reference` because its criteria
  /// (`criteria_key`, fhir::criteria_lock_key's form) match nothing: a
  /// conditional reference by the same criteria, however written, names
  /// it, as it would once the Bundle is stored.
  void add_created(std::string criteria_key, std::string reference) {
    created_.insert_or_assign(std::move(criteria_key), std::move(reference));
  }

  /// A urn fullUrl outside Reference.reference (fhir::rewrite_urns).
  std::optional<std::string> urn(std::string_view value) const {
    if (auto it = full_urls_.find(value); it != full_urls_.end())
      return it->second;
    return std::nullopt;
  }

  result<std::optional<std::string>> operator()(std::string_view ref) {
    if (auto it = full_urls_.find(ref); it != full_urls_.end())
      return std::optional<std::string>{it->second};
    if (ref.starts_with("urn:uuid:") || ref.starts_with("urn:oid:"))
      return status{errc::invalid, "reference " + std::string{ref} +
                                     " is not the fullUrl of any entry of the Bundle"};
    const auto q = ref.find('?');
    if (q == std::string_view::npos || q == 0 || !std::isupper(static_cast<unsigned char>(ref[0])) ||
        ref.substr(0, q).find('/') != std::string_view::npos)
      return std::optional<std::string>{};
    // A conditional reference: Type?criteria, resolved once per Bundle.
    if (!created_.empty())
      if (auto c = created_.find(fhir::criteria_lock_key(ref.substr(0, q), ref.substr(q + 1)));
          c != created_.end())
        return std::optional<std::string>{c->second};
    auto it = conditional_.find(ref);
    if (it == conditional_.end())
      it = conditional_.emplace(std::string{ref}, resolve_conditional(ref, q)).first;
    return it->second;
  }

private:
  result<std::optional<std::string>> resolve_conditional(std::string_view ref, std::size_t q) {
    entry_target t;
    t.type_name = std::string{ref.substr(0, q)};
    auto type = fhir::find_resource_type(t.type_name);
    if (!type)
      return status{errc::invalid, "conditional reference " + std::string{ref} +
                                     ": '" + t.type_name + "' is not an R4 resource type"};
    t.type = *type;
    t.criteria = std::string{ref.substr(q + 1)};
    t.conditional = true;
    auto found = resolve(ctx_, service_, t, /*cached=*/true, &deleted_);
    if (!found)
      return status{found.error().code(),
                    "conditional reference " + std::string{ref} + ": " + found.error().message()};
    std::vector<std::string> matches;
    for (auto& id : *found) matches.push_back(t.type_name + "/" + id);
    if (auto posted = creations_.find(t.type, t.criteria))
      for (auto& m : *posted) matches.push_back(std::move(m.reference));
    if (matches.empty())
      return status{errc::not_found,
                    "conditional reference " + std::string{ref} + " matches no resource"};
    if (matches.size() > 1)
      return status{errc::precondition_failed,
                    "conditional reference " + std::string{ref} + " matches " + matches[0] +
                      " and " + matches[1] + "; it must name one resource"};
    return std::optional<std::string>{std::move(matches.front())};
  }

  const node_context& ctx_;
  std::uint32_t service_;
  const std::unordered_set<std::string>& deleted_;
  const bundle_creations& creations_;
  std::unordered_map<std::string, std::string, text_hash, std::equal_to<>> full_urls_;
  std::unordered_map<std::string, std::string> created_; // criteria key → "Type/id"
  std::unordered_map<std::string, result<std::optional<std::string>>, text_hash, std::equal_to<>>
    conditional_;
};

/// The resource of a POST or PUT entry, references rewritten, prepared and
/// indexed for request `r`.
status prepare_body(const node_context& ctx, const service_params& params,
                    const bundle_entry_request& e, const entry_target& t,
                    reference_resolver& references, fhir_request& r) {
  if (e.resource.empty())
    return {errc::invalid, "a " + e.method + " entry needs a resource", "resource"};
  auto body = fhir::rewrite_references(e.resource, t.type_name, std::ref(references));
  if (!body)
    return body.error();
  fhir::rewrite_urns(*body, t.type_name,
                     [&](std::string_view urn) { return references.urn(urn); });
  if (auto s = check_search_parameter_write(*ctx.params, r.service, t.type_name, &*body); !s)
    return s;
  // POST ignores the body's id; PUT by id needs it to match; a conditional
  // PUT's id was checked by decide().
  auto rule = e.method == "PUT" && !t.conditional ? fhir::id_rule::must_match
                                                  : fhir::id_rule::replace;
  auto prepared = fhir::prepare_resource(*body, t.type_name, r.id, rule,
                                         [&](const simdjson::dom::element& resource) {
    auto entries = write_entries(params, r.service, r.type, r.id, resource);
    if (!entries)
      return entries.error();
    r.index = std::move(*entries);
    return status::ok();
  });
  if (!prepared)
    return prepared.error();
  r.head = std::move(prepared->head);
  r.tail = std::move(prepared->tail);
  r.index_registry = params.write->uid();
  return status::ok();
}

/// A PATCH entry's patch, with the references in the values it writes
/// rewritten like a resource's: `{"reference":"urn:uuid:…"}` in a
/// FHIRPath Patch's valueReference or a JSON Patch's value, and a urn
/// written as a plain string value.
status prepare_patch(const node_context& ctx, const bundle_entry_request& e,
                     const entry_target& t, reference_resolver& references, fhir_request& r) {
  if (auto s = check_search_parameter_write(*ctx.params, r.service, t.type_name, nullptr); !s)
    return s;
  auto patch = fhir::patch_of(e);
  if (!patch)
    return patch.error();
  if (auto s = fhir::check_patch_body(patch->content_type, patch->body); !s)
    return s;
  // A Binary's JSON Patch is the client's text; references are found in
  // minified JSON (a Parameters entry is minified already).
  auto body = fhir::rewrite_references(fhir::minified_json(patch->body), {}, std::ref(references));
  if (!body)
    return body.error();
  fhir::rewrite_urns(*body, {}, [&](std::string_view urn) { return references.urn(urn); });
  r.head = std::move(*body);
  return status::ok();
}

/// "Patient/old" of an absolute fullUrl ".../Patient/old" of that type;
/// "" for anything else.
std::string relative_of(std::string_view full_url, std::string_view type_name) {
  if (!full_url.starts_with("http://") && !full_url.starts_with("https://"))
    return {};
  const auto id_slash = full_url.rfind('/');
  if (id_slash == std::string_view::npos || id_slash == 0)
    return {};
  const auto type_slash = full_url.rfind('/', id_slash - 1);
  if (type_slash == std::string_view::npos ||
      full_url.substr(type_slash + 1, id_slash - type_slash - 1) != type_name)
    return {};
  return std::string{full_url.substr(type_slash + 1)};
}

std::string label_of(std::size_t i, const bundle_entry_request& e) {
  return e.method.empty() ? where_of(i) : where_of(i) + " (" + e.method + " " + e.url + ")";
}

/// Reads run after the writes (R4), so a read of a resource the Bundle
/// deletes would answer 410 (404 once its history is gone too) inside a
/// committed transaction, which R4 does not allow: the transaction fails
/// before anything is written. A vread or history read fails only when the
/// history goes; searches never fail for a deletion.
status check_reads_of_deleted(const std::vector<bundle_entry_request>& entries,
                              const std::unordered_set<std::string>& deleted,
                              const std::unordered_set<std::string>& hard_deleted) {
  if (deleted.empty())
    return status::ok();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (!e.is_read())
      continue;
    const auto path = std::string_view{e.url}.substr(0, e.url.find('?'));
    const auto type_end = path.find('/');
    if (type_end == std::string_view::npos)
      continue;
    const auto id_end = path.find('/', type_end + 1);
    const auto target = std::string{path.substr(0, id_end)};
    if (!deleted.contains(target))
      continue;
    if (hard_deleted.contains(target))
      return entry_error(i, e, {errc::not_found, "reads " + target + ", which the Bundle deletes "
                                                 "with its history"});
    if (id_end == std::string_view::npos)
      return entry_error(i, e, {errc::gone, "reads " + target + ", which the Bundle deletes"});
  }
  return status::ok();
}

} // namespace

status entry_error(std::size_t i, const bundle_entry_request& e, const status& s) {
  const std::string_view type = std::string_view{e.url}.substr(0, e.url.find_first_of("/?"));
  std::string where = where_of(i);
  const bool has_body = e.method == "POST" || e.method == "PUT"; // a PATCH's is the patch
  if (has_body && !type.empty() && s.where().size() > type.size() &&
      s.where().starts_with(type) && s.where()[type.size()] == '.')
    where += ".resource" + s.where().substr(type.size());
  return {s.code(), label_of(i, e) + ": " + s.message(), std::move(where)};
}

result<std::vector<tx_write>> plan_transaction(const node_context& ctx, std::uint32_t service,
                                               const fhir::bundle_request& bundle) {
  std::vector<tx_write> writes;
  std::vector<entry_target> targets;
  std::unordered_set<std::string> written; // "Type/id": each resource once
  std::unordered_set<std::string> full_urls;
  std::unordered_set<std::string> deleted; // "Type/id" of the DELETE entries
  std::unordered_set<std::string> hard_deleted; // those whose history goes too
  // "Type?criteria" of the entries that create because their criteria
  // (ifNoneExist, a conditional PUT's) match nothing.
  std::unordered_set<std::string> creating;
  // The service's parameters, looked up once for the whole Bundle.
  const auto params = ctx.params->get(service);
  // What the POST entries create, as they are decided.
  bundle_creations creations(*ctx.db, service, params->search, params->service_path);
  reference_resolver references(ctx, service, deleted, creations);
  const auto& entries = bundle.entries;
  // R4's processing order: DELETE, then POST, then PUT and PATCH (reads run
  // after every write, at the edge).
  auto rank = [](const bundle_entry_request& e) {
    return e.method == "DELETE" ? 0 : e.method == "POST" ? 1 : 2;
  };
  std::vector<std::size_t> order(entries.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return rank(entries[a]) < rank(entries[b]);
  });
  for (auto i : order) {
    const auto& e = entries[i];
    if (e.refused)
      return entry_error(i, e, *e.refused);
    if (e.is_read())
      continue;
    auto t = target_of(e);
    if (!t)
      return entry_error(i, e, t.error());
    tx_write w;
    w.entry = i;
    bool creates_by_criteria = false;
    std::vector<std::string> also; // a conditional delete's other matches
    if (auto s = decide(ctx, service, e, *t, deleted, creations, w, creates_by_criteria, also); !s)
      return entry_error(i, e, s);
    for (auto& id : also) { // each its own write; the entry answers once
      auto more = w;
      more.prepare.id = id;
      const auto reference = t->type_name + "/" + id;
      deleted.insert(reference);
      if (t->hard)
        hard_deleted.insert(reference);
      if (!written.insert(reference).second)
        return entry_error(i, e, {errc::invalid, "the Bundle writes " + reference + " twice"});
      writes.push_back(std::move(more));
      targets.push_back(*t);
    }
    // Two entries that both see no match and both create would leave two
    // resources the criteria then both match: refused, not guessed at.
    if (creates_by_criteria && !creating.insert(e.criteria_key()).second)
      return entry_error(i, e, {errc::invalid, "another entry of the Bundle creates by the same "
                                               "criteria " + e.criteria_key(),
                                e.if_none_exist.empty() ? "request.url" : "ifNoneExist"});
    const auto& id = w.prepare.op == fhir_op::read ? w.result.id : w.prepare.id;
    const auto reference = t->type_name + "/" + id;
    if (creates_by_criteria)
      references.add_created(e.criteria_key(), reference);
    if (w.prepare.op == fhir_op::tx_prepare && w.prepare.write == fhir_op::create)
      creations.add(t->type, i, reference, e.resource);
    if (w.prepare.op == fhir_op::tx_prepare && is_delete(w.prepare.write)) {
      deleted.insert(reference);
      if (w.prepare.write == fhir_op::hard_erase)
        hard_deleted.insert(reference);
    }
    if (w.prepare.op == fhir_op::tx_prepare && !written.insert(reference).second)
      return entry_error(i, e, {errc::invalid, "the Bundle writes " + reference + " twice"});
    if (!e.full_url.empty() && (e.method == "POST" || e.method == "PUT") && !id.empty()) {
      if (!full_urls.insert(e.full_url).second)
        return entry_error(i, e, {errc::invalid, "fullUrl " + e.full_url +
                                                   " names two entries of the Bundle", "fullUrl"});
      references.add_full_url(e.full_url, reference);
      // An absolute fullUrl ([base]/Patient/old) also names the resource by
      // the relative reference Patient/old inside the Bundle.
      if (auto relative = relative_of(e.full_url, t->type_name); !relative.empty()) {
        // R4: "fullUrl SHALL NOT disagree with the id in the resource".
        const auto body_id = e.method == "PUT" ? body_id_of(e.resource) : std::string{};
        if (!body_id.empty() && relative != t->type_name + "/" + body_id)
          return entry_error(i, e, {errc::invalid, "fullUrl " + e.full_url + " disagrees with the "
                                                   "resource's id " + body_id, "fullUrl"});
        references.add_full_url(relative, reference);
      }
    }
    writes.push_back(std::move(w));
    targets.push_back(std::move(*t));
  }
  if (auto s = check_reads_of_deleted(entries, deleted, hard_deleted); !s)
    return s;
  // Every fullUrl is known now: the resources can be rewritten.
  for (std::size_t k = 0; k < writes.size(); ++k) {
    auto& r = writes[k].prepare;
    if (r.op != fhir_op::tx_prepare)
      continue;
    const auto& e = entries[writes[k].entry];
    auto s = is_delete(r.write)
               ? check_search_parameter_write(*ctx.params, service, targets[k].type_name, nullptr)
             : r.write == fhir_op::patch ? prepare_patch(ctx, e, targets[k], references, r)
                                         : prepare_body(ctx, *params, e, targets[k], references, r);
    if (!s)
      return entry_error(writes[k].entry, e, s);
  }
  return writes;
}

} // namespace atrium::actors
