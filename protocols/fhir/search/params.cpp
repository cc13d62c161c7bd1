#include "protocols/fhir/search/params.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iterator>
#include <set>

#include <simdjson.h>

#include "protocols/fhir/fhirpath/parser.hpp"
#include "protocols/fhir/resource_types.hpp"

// data/fhir-r4/search-parameters.json, embedded by protocols/CMakeLists.txt.
extern const unsigned char atrium_r4_search_parameters[];
extern const std::size_t atrium_r4_search_parameters_size;

namespace atrium::fhir::search {
namespace {

constexpr const char* type_names[] = {"number",    "date",     "string", "token",  "reference",
                                      "composite", "quantity", "uri",    "special"};

status invalid(std::string message, std::string where) {
  return {errc::invalid, std::move(message), std::move(where)};
}

std::string key(std::string_view type, std::string_view code) {
  std::string k(type);
  k += '\0';
  k += code;
  return k;
}

// Bundle, Binary and Parameters derive from Resource directly, so
// DomainResource's parameters (_text) do not apply to them.
bool is_domain_resource(std::string_view type) {
  return type != "Bundle" && type != "Binary" && type != "Parameters" && type != "Resource";
}

result<std::string> required_string(simdjson::dom::object obj, const char* name,
                                    const std::string& where) {
  std::string_view s;
  if (obj[name].get_string().get(s) != simdjson::SUCCESS || s.empty())
    return invalid(std::string("a SearchParameter needs a non-empty string '") + name + "'",
                   where + "." + name);
  return std::string(s);
}

// Reads an optional array of strings; absent is fine, anything else malformed.
status string_array(simdjson::dom::object obj, const char* name, const std::string& where,
                    std::vector<std::string>& out) {
  simdjson::dom::element field;
  if (obj[name].get(field) != simdjson::SUCCESS) return status::ok();
  simdjson::dom::array items;
  if (field.get_array().get(items) != simdjson::SUCCESS)
    return invalid(std::string("'") + name + "' must be an array of strings", where + "." + name);
  for (simdjson::dom::element item : items) {
    std::string_view s;
    if (item.get_string().get(s) != simdjson::SUCCESS)
      return invalid(std::string("'") + name + "' must be an array of strings", where + "." + name);
    out.emplace_back(s);
  }
  return status::ok();
}

} // namespace

bool is_indexed(const search_param& p) noexcept {
  return p.type != param_type::special && !p.expression.empty();
}

namespace {

result<search_param> param_from(simdjson::dom::element element, const std::string& where) {
  simdjson::dom::object obj;
  if (element.get_object().get(obj) != simdjson::SUCCESS)
    return invalid("a SearchParameter must be a JSON object", where);
  std::string_view resource_type;
  if (obj["resourceType"].get_string().get(resource_type) == simdjson::SUCCESS &&
      resource_type != "SearchParameter")
    return invalid("expected a SearchParameter, not " + std::string(resource_type),
                   where + ".resourceType");

  search_param p;
  auto url = required_string(obj, "url", where);
  if (!url) return url.error();
  p.url = std::move(*url);
  auto code = required_string(obj, "code", where);
  if (!code) return code.error();
  p.code = std::move(*code);
  auto type = required_string(obj, "type", where);
  if (!type) return type.error();
  const auto parsed_type = parse_param_type(*type);
  if (!parsed_type)
    return invalid("unknown search parameter type '" + *type + "'", where + ".type");
  p.type = *parsed_type;
  if (auto s = string_array(obj, "base", where, p.base); !s) return s;
  if (p.base.empty())
    return invalid("a SearchParameter needs at least one 'base'", where + ".base");
  if (auto s = string_array(obj, "target", where, p.targets); !s) return s;
  std::string_view status;
  p.retired = obj["status"].get_string().get(status) == simdjson::SUCCESS && status == "retired";
  std::string_view expression;
  if (obj["expression"].get_string().get(expression) == simdjson::SUCCESS)
    p.expression = std::string(expression);

  simdjson::dom::array components;
  if (obj["component"].get_array().get(components) == simdjson::SUCCESS) {
    std::size_t i = 0;
    for (simdjson::dom::element c : components) {
      const std::string at = where + ".component[" + std::to_string(i++) + "]";
      simdjson::dom::object component;
      if (c.get_object().get(component) != simdjson::SUCCESS)
        return invalid("a component must be an object", at);
      auto definition = required_string(component, "definition", at);
      if (!definition) return definition.error();
      auto expr = required_string(component, "expression", at);
      if (!expr) return expr.error();
      p.components.push_back({std::move(*definition), std::move(*expr)});
    }
  }
  return p;
}

// The top-level branches of a FHIRPath union ("A.x | B.y" → "A.x", "B.y").
std::vector<std::string_view> union_branches(std::string_view expression) {
  std::vector<std::string_view> out;
  int depth = 0;
  char quote = 0;
  std::size_t start = 0;
  auto push = [&](std::size_t end) {
    auto b = expression.substr(start, end - start);
    while (!b.empty() && b.front() == ' ') b.remove_prefix(1);
    while (!b.empty() && b.back() == ' ') b.remove_suffix(1);
    out.push_back(b);
  };
  for (std::size_t i = 0; i < expression.size(); ++i) {
    const char c = expression[i];
    if (quote) {
      if (c == '\\') ++i;
      else if (c == quote) quote = 0;
    } else if (c == '\'' || c == '`') {
      quote = c;
    } else if (c == '(' || c == '[') {
      ++depth;
    } else if (c == ')' || c == ']') {
      --depth;
    } else if (c == '|' && depth == 0) {
      push(i);
      start = i + 1;
    }
  }
  push(expression.size());
  return out;
}

/// The branches of p's expression that can apply to `type`, sorted
/// (twin_signature says which are dropped). `exact` also drops a
/// parenthesised branch of another type ("(DeviceRequest.code…)"), as
/// extraction does, and repeats; twins keep the looser rule their entries
/// were made by.
std::vector<std::string_view> kept_branches(const search_param& p, std::string_view type,
                                            bool exact = false) {
  std::vector<std::string_view> kept;
  for (auto b : union_branches(p.expression)) {
    auto named = b;
    while (exact && named.starts_with('(')) named.remove_prefix(1);
    auto lead = named.substr(0, named.find('.'));
    if (lead != type && lead.size() < named.size() && find_resource_type(lead)) continue;
    kept.push_back(b);
  }
  std::sort(kept.begin(), kept.end());
  if (exact) kept.erase(std::unique(kept.begin(), kept.end()), kept.end());
  return kept;
}

// What `p` indexes on `type`, as text: its type, components and the branches
// of its expression that can apply to `type`. Extraction drops a branch whose
// leading name is another resource type (extract.cpp); here only one that
// visibly starts "Other." is dropped, so what is kept holds every branch
// extraction evaluates, perhaps with more: equal signatures mean equal
// values. Empty when p is not indexed on `type` by its own expression.
std::string twin_signature(const search_param& p, std::string_view type) {
  if (p.type == param_type::special || p.expression.empty() || p.code == "_lastUpdated" ||
      type == "Resource" || type == "DomainResource")
    return {};
  auto kept = kept_branches(p, type);
  std::string s = key(type, param_type_name(p.type));
  for (auto b : kept) (s += '\0') += b;
  for (const auto& c : p.components) ((s += '\1') += c.definition) += c.expression;
  return s;
}

status parse_document(simdjson::dom::parser& parser, const simdjson::padded_string& padded,
                      simdjson::dom::element& document) {
  if (auto error = parser.parse(padded).get(document))
    return invalid(std::string("not valid JSON: ") + simdjson::error_message(error), "$");
  return status::ok();
}

} // namespace

const char* param_type_name(param_type t) noexcept {
  const auto i = static_cast<std::size_t>(t);
  return i < std::size(type_names) ? type_names[i] : "";
}

std::optional<param_type> parse_param_type(std::string_view name) noexcept {
  for (std::size_t i = 0; i < std::size(type_names); ++i)
    if (name == type_names[i]) return static_cast<param_type>(i);
  return std::nullopt;
}

const param_registry& param_registry::r4() {
  static const param_registry registry = [] {
    const std::string_view text(reinterpret_cast<const char*>(atrium_r4_search_parameters),
                                atrium_r4_search_parameters_size);
    auto parsed = from_bundle(text);
    // The data is part of the build and covered by tests; failing here means
    // a broken build, not bad input, so there is nothing to recover to.
    if (!parsed) {
      std::fprintf(stderr, "embedded R4 search parameters are broken: %s at %s\n",
                   parsed.error().message().c_str(), parsed.error().where().c_str());
      std::abort();
    }
    return std::move(parsed).value();
  }();
  return registry;
}

result<param_registry> param_registry::from_bundle(std::string_view json) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json);
  simdjson::dom::element document;
  if (auto s = parse_document(parser, padded, document); !s) return s;
  simdjson::dom::array entries;
  if (document["entry"].get_array().get(entries) != simdjson::SUCCESS)
    return invalid("expected a Bundle with an 'entry' array", "Bundle.entry");

  param_registry registry;
  std::size_t i = 0;
  for (simdjson::dom::element entry : entries) {
    const std::string where = "Bundle.entry[" + std::to_string(i++) + "].resource";
    simdjson::dom::element resource;
    if (entry["resource"].get(resource) != simdjson::SUCCESS)
      return invalid("an entry has no resource", where);
    auto p = param_from(resource, where);
    if (!p) return p.error();
    registry.add_one(std::move(*p));
  }
  registry.find_derived();
  return registry;
}

result<search_param> param_registry::parse_param(std::string_view json) {
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json);
  simdjson::dom::element document;
  if (auto s = parse_document(parser, padded, document); !s) return s;
  auto p = param_from(document, "SearchParameter");
  if (!p) return p;
  // FNV-1a over what decides the values (not the name, code or bases).
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::string_view part) {
    for (unsigned char c : part) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
  };
  mix(param_type_name(p->type));
  mix(p->expression);
  for (const auto& c : p->components) {
    mix(c.definition);
    mix(c.expression);
  }
  char digest[17];
  std::snprintf(digest, sizeof digest, "%016llx", static_cast<unsigned long long>(h));
  p->index_key = p->url + "#" + digest;
  return p;
}

namespace {
std::uint64_t next_uid() {
  static std::atomic<std::uint64_t> counter{1};
  return counter.fetch_add(1, std::memory_order_relaxed);
}
} // namespace

param_registry::param_registry() : uid_(next_uid()) {}

param_registry param_registry::extended(const std::vector<search_param>& custom) const {
  param_registry copy;
  copy.params_.reserve(params_.size() + custom.size());
  for (const auto& p : params_) copy.params_.push_back(std::make_unique<search_param>(*p));
  for (const auto& p : copy.params_) copy.by_url_[p->url] = p.get();
  copy.rebuild();
  for (const auto& p : custom) copy.add_one(p);
  copy.find_derived();
  return copy;
}

void param_registry::add(search_param p) {
  add_one(std::move(p));
  find_derived();
}

void param_registry::add_one(search_param p) {
  uid_ = next_uid();
  if (auto it = by_url_.find(p.url); it != by_url_.end()) {
    // Replacing in place keeps the order (and pointers) stable; the index is
    // rebuilt because the old bases may have shadowed or been shadowed.
    auto old = std::ranges::find_if(params_, [&](const auto& q) { return q.get() == it->second; });
    **old = std::move(p);
    rebuild();
    return;
  }
  params_.push_back(std::make_unique<search_param>(std::move(p)));
  const search_param* added = params_.back().get();
  by_url_[added->url] = added;
  bool shadows = false;
  for (const auto& base : added->base) {
    auto& slot = by_type_code_[key(base, added->code)];
    shadows = shadows || slot != nullptr;
    slot = added;
  }
  // A shadowed parameter is no longer seen on its type, so it cannot serve
  // as anyone's twin there: work the twins out again from scratch.
  if (shadows) rebuild();
  else find_twins(*added);
}

void param_registry::rebuild() {
  by_type_code_.clear();
  for (const auto& q : params_)
    for (const auto& base : q->base) by_type_code_[key(base, q->code)] = q.get();
  twin_of_.clear();
  by_signature_.clear();
  for (const auto& q : params_) find_twins(*q);
}

void param_registry::find_twins(const search_param& p) {
  for (const auto& base : p.base) {
    if (find(base, p.code) != &p) continue; // shadowed on this type
    auto signature = twin_signature(p, base);
    if (signature.empty()) continue;
    auto [first, added] = by_signature_.try_emplace(std::move(signature), &p);
    if (!added) twin_of_[key(base, p.url)] = first->second;
  }
}

void param_registry::find_derived() {
  find_parts();
  find_unions();
  find_narrowings();
}

void param_registry::find_parts() {
  // The single FHIRPath branch of a parameter on one of its types.
  auto branch_of = [](const search_param& p, std::string_view type) -> std::string_view {
    std::string_view only;
    int n = 0;
    for (auto b : union_branches(p.expression)) {
      auto lead = b.substr(0, b.find('.'));
      if (lead != type && lead.size() < b.size() && find_resource_type(lead)) continue;
      only = b;
      ++n;
    }
    return n == 1 ? only : std::string_view{};
  };
  // A child's branch as its parent's branch and the tag of its part, or no tag.
  auto split = [](param_type type, std::string_view b) -> std::pair<std::string_view, std::uint8_t> {
    if (type == param_type::string) {
      auto dot = b.rfind('.');
      if (dot == std::string_view::npos) return {};
      return {b.substr(0, dot), string_part_tag(b.substr(dot + 1))};
    }
    // Only on contact points (R4 names them `telecom`), whose token
    // entries the extractor tags by system.
    constexpr std::string_view where = ".where(system='";
    auto at = b.rfind(where);
    if (at == std::string_view::npos || !b.ends_with("')") ||
        !b.substr(0, at).ends_with(".telecom"))
      return {};
    auto system = b.substr(at + where.size(), b.size() - at - where.size() - 2);
    return {b.substr(0, at), contact_system_tag(system)};
  };
  auto servable = [](const search_param& p) {
    return (p.type == param_type::string || p.type == param_type::token) && !p.retired;
  };
  part_of_.clear();
  std::unordered_map<std::string, const search_param*> by_branch; // "Type\0type\0branch"
  for (const auto& p : params_) {
    if (!servable(*p)) continue;
    for (const auto& base : p->base)
      if (find(base, p->code) == p.get())
        if (auto b = branch_of(*p, base); !b.empty())
          by_branch.try_emplace(key(base, param_type_name(p->type)) + '\0' + std::string(b),
                                p.get());
  }
  for (const auto& p : params_) {
    if (!servable(*p)) continue;
    for (const auto& base : p->base) {
      if (find(base, p->code) != p.get()) continue;
      auto [parent_branch, tag] = split(p->type, branch_of(*p, base));
      if (tag == 0) continue;
      auto parent = by_branch.find(key(base, param_type_name(p->type)) + '\0' +
                                   std::string(parent_branch));
      if (parent == by_branch.end() || parent->second == p.get()) continue;
      part_of_[key(base, p->url)] = {parent->second, tag};
    }
  }
}

void param_registry::find_unions() {
  union_of_.clear();
  // Composites unite when their components read the same paths into values
  // of the same types (R4's code-value-quantity and its component- twin
  // name different but alike definitions).
  auto alike_components = [this](const search_param& a, const search_param& b) {
    if (a.components.size() != b.components.size()) return false;
    for (std::size_t i = 0; i < a.components.size(); ++i) {
      const auto* da = find_url(a.components[i].definition);
      const auto* db = find_url(b.components[i].definition);
      if (a.components[i].expression != b.components[i].expression || !da || !db ||
          da->type != db->type)
        return false;
    }
    return true;
  };
  auto unitable = [](const search_param& p) {
    return (p.type == param_type::token || p.type == param_type::quantity ||
            p.type == param_type::composite) && !p.retired && !p.expression.empty();
  };
  for (const auto& p : params_) {
    if (!unitable(*p)) continue;
    for (const auto& base : p->base) {
      if (base == "Resource" || base == "DomainResource" || find(base, p->code) != p.get() ||
          &indexed_as(base, *p) != p.get())
        continue;
      auto whole = kept_branches(*p, base, true);
      if (whole.size() < 2) continue;
      // The halves: parameters of the type whose branches are part of p's;
      // larger ones first, each kept only if it adds a branch.
      std::vector<std::pair<const search_param*, std::vector<std::string_view>>> candidates;
      for (const auto* q : for_type(base)) {
        if (q == p.get() || q->type != p->type || !alike_components(*p, *q) || !unitable(*q))
          continue;
        auto part = kept_branches(*q, base, true);
        if (!part.empty() && part.size() < whole.size() &&
            std::ranges::includes(whole, part))
          candidates.emplace_back(q, std::move(part));
      }
      std::ranges::stable_sort(candidates, std::greater{},
                               [](const auto& c) { return c.second.size(); });
      std::vector<std::string_view> covered;
      std::vector<const search_param*> halves;
      for (auto& [q, part] : candidates) {
        std::vector<std::string_view> more;
        std::ranges::set_union(covered, part, std::back_inserter(more));
        if (more.size() == covered.size()) continue;
        covered = std::move(more);
        halves.push_back(q);
      }
      if (covered == whole) union_of_[key(base, p->url)] = std::move(halves);
    }
  }
}

void param_registry::find_narrowings() {
  narrowed_of_.clear();
  // R4's own parameters only: a custom one's entries appear by $reindex,
  // and the parent's must hold every resource's references already.
  auto usable = [this](const search_param& p, std::string_view base) {
    return p.type == param_type::reference && !p.retired && p.index_key.empty() &&
           !p.expression.empty() && find(base, p.code) == &p && &indexed_as(base, p) == &p;
  };
  constexpr std::string_view where = ".where(resolve() is ";
  for (const auto& p : params_) {
    for (const auto& base : p->base) {
      if (base == "Resource" || base == "DomainResource" || !usable(*p, base)) continue;
      auto branches = kept_branches(*p, base, true);
      if (branches.size() != 1 || !branches[0].ends_with(')')) continue;
      const auto b = branches[0];
      const auto at = b.rfind(where);
      if (at == std::string_view::npos) continue;
      const auto target = b.substr(at + where.size(), b.size() - 1 - at - where.size());
      const auto parent_branch = b.substr(0, at);
      if (!find_resource_type(target)) continue;
      for (const auto* q : for_type(base)) {
        if (q == p.get() || !usable(*q, base)) continue;
        auto qb = kept_branches(*q, base, true);
        if (qb.size() == 1 && qb[0] == parent_branch) {
          narrowed_of_[key(base, p->url)] = {q, std::string(target) + "/"};
          break;
        }
      }
    }
  }
}

const param_registry::narrowed_reference* param_registry::narrowed_of(
    std::string_view type, const search_param& p) const {
  if (p.type != param_type::reference || narrowed_of_.empty()) return nullptr;
  auto it = narrowed_of_.find(key(type, p.url));
  return it == narrowed_of_.end() ? nullptr : &it->second;
}

const std::vector<const search_param*>& param_registry::union_of(std::string_view type,
                                                                 const search_param& p) const {
  static const std::vector<const search_param*> none;
  if (union_of_.empty()) return none;
  auto it = union_of_.find(key(type, p.url));
  return it == union_of_.end() ? none : it->second;
}

std::optional<param_registry::served_part> param_registry::part_of(std::string_view type,
                                                                  const search_param& p) const {
  if ((p.type != param_type::string && p.type != param_type::token) || part_of_.empty())
    return std::nullopt;
  auto it = part_of_.find(key(type, p.url));
  if (it == part_of_.end()) return std::nullopt;
  return it->second;
}

param_registry::served_part param_registry::source_of(std::string_view type,
                                                      const search_param& p) const {
  const auto& holder = indexed_as(type, p);
  if (auto part = part_of(type, holder)) return {&indexed_as(type, *part->parent), part->tag};
  return {&holder, 0};
}

std::uint8_t contact_system_tag(std::string_view system) noexcept {
  static constexpr std::string_view systems[] = {"phone", "fax",  "email", "pager",
                                                 "url",   "sms",  "other"};
  for (std::size_t i = 0; i < std::size(systems); ++i)
    if (systems[i] == system) return static_cast<std::uint8_t>(i + 1);
  return 0;
}

std::uint8_t string_part_tag(std::string_view field) noexcept {
  static constexpr std::string_view fields[] = {
    "family", "given", "prefix", "suffix", "text",
    "line", "city", "district", "state", "postalCode", "country"};
  for (std::size_t i = 0; i < std::size(fields); ++i)
    if (fields[i] == field) return static_cast<std::uint8_t>(i + 1);
  return 0;
}

const search_param& param_registry::indexed_as(std::string_view type,
                                               const search_param& p) const {
  if (twin_of_.empty()) return p;
  auto it = twin_of_.find(key(type, p.url));
  return it == twin_of_.end() ? p : *it->second;
}

const search_param* param_registry::find(std::string_view type, std::string_view code) const {
  // The type's own parameter wins over an inherited one with the same code.
  if (auto it = by_type_code_.find(key(type, code)); it != by_type_code_.end()) return it->second;
  if (is_domain_resource(type))
    if (auto it = by_type_code_.find(key("DomainResource", code)); it != by_type_code_.end())
      return it->second;
  if (auto it = by_type_code_.find(key("Resource", code)); it != by_type_code_.end())
    return it->second;
  return nullptr;
}

const search_param* param_registry::find_url(std::string_view url) const {
  const auto it = by_url_.find(url);
  return it == by_url_.end() ? nullptr : it->second;
}

std::vector<const search_param*> param_registry::for_type(std::string_view type) const {
  // Codes in sorted order, each resolved through find() so that shadowing is
  // the same here as in lookups.
  std::set<std::string_view> codes;
  const bool domain = is_domain_resource(type);
  for (const auto& p : params_) {
    for (const auto& base : p->base) {
      if (base == type || base == "Resource" || (domain && base == "DomainResource")) {
        codes.insert(p->code);
        break;
      }
    }
  }
  std::vector<const search_param*> out;
  out.reserve(codes.size());
  for (auto code : codes) out.push_back(find(type, code));
  return out;
}

status check_custom_param(const param_registry& base, const search_param& p) {
  if (base.find_url(p.url))
    return invalid("'" + p.url + "' is already the url of another search parameter", "SearchParameter.url");
  if (p.type == param_type::special || p.expression.empty())
    return invalid("a custom search parameter needs an expression (special parameters are not "
                   "supported)",
                   "SearchParameter.expression");
  if (auto compiled = fhirpath::compile(p.expression); !compiled)
    return invalid("the expression does not compile: " + compiled.error().message(),
                   "SearchParameter.expression");
  for (const auto& c : p.components)
    if (auto compiled = fhirpath::compile(c.expression); !compiled)
      return invalid("a component's expression does not compile: " + compiled.error().message(),
                     "SearchParameter.component.expression");
  for (const auto& type : p.base) {
    if (type != "Resource" && type != "DomainResource" && !find_resource_type(type))
      return invalid("'" + type + "' is not an R4 resource type", "SearchParameter.base");
    if (const auto* clash = base.find(type, p.code))
      return invalid("'" + type + "' already has a search parameter with code '" + p.code +
                       "' (" + clash->url + ")",
                     "SearchParameter.code");
  }
  return status::ok();
}

} // namespace atrium::fhir::search
