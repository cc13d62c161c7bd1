#include "protocols/fhir/search/query.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include "protocols/fhir/instant.hpp"
#include "protocols/fhir/resource_types.hpp"

namespace atrium::fhir::search {
namespace {

constexpr std::array<std::string_view, 9> prefix_names = {"eq", "ne", "gt", "lt", "ge",
                                                          "le", "sa", "eb", "ap"};

status invalid(std::string message, std::string where) {
  return {errc::invalid, std::move(message), std::move(where)};
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Splits at every `sep` not preceded by a backslash; pieces keep their escapes
// so that a later split (',' then '|' or '$') still sees them.
std::vector<std::string_view> split_escaped(std::string_view s, char sep) {
  std::vector<std::string_view> pieces;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == sep) {
      pieces.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  pieces.push_back(s.substr(start));
  return pieces;
}

// Resolves FHIR's four search escapes; any other backslash is literal text.
std::string unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() &&
        std::string_view(",|$\\").find(s[i + 1]) != std::string_view::npos)
      ++i;
    out += s[i];
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> pieces;
  std::size_t start = 0;
  for (std::size_t pos; (pos = s.find(sep, start)) != std::string_view::npos; start = pos + 1)
    pieces.push_back(s.substr(start, pos - start));
  pieces.push_back(s.substr(start));
  return pieces;
}

// A prefix counts only before a number ("ge2020", "lt-5"), so that a value
// such as "gene" or "approved" is never cut.
std::optional<prefix> leading_prefix(std::string_view s) {
  if (s.size() < 3) return std::nullopt;
  const bool number_follows = is_digit(s[2]) || (s[2] == '-' && s.size() > 3 && is_digit(s[3]));
  if (!number_follows) return std::nullopt;
  for (std::size_t i = 0; i < prefix_names.size(); ++i)
    if (s.starts_with(prefix_names[i])) return static_cast<prefix>(i);
  return std::nullopt;
}

raw_value make_value(std::string_view raw, bool with_prefix) {
  raw_value v;
  v.raw = std::string(raw);
  if (with_prefix) {
    if (auto p = leading_prefix(raw)) {
      v.pre = *p;
      raw.remove_prefix(2);
    }
  }
  v.text = unescape(raw);
  for (auto part : split_escaped(raw, '|')) v.parts.push_back(unescape(part));
  return v;
}

// FHIR decimal, also with an exponent, which search allows ("1.00e2").
bool is_decimal(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  const std::size_t digits = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == digits) return false;
  if (i < s.size() && s[i] == '.') {
    const std::size_t fraction = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == fraction) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    const std::size_t exponent = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == exponent) return false;
  }
  return i == s.size();
}

// ---- parse: result parameters ----

status parse_count(search_query& q, std::string_view value) {
  if (value.empty() || !std::ranges::all_of(value, is_digit))
    return invalid("_count must be a non-negative integer, not " + quoted(value), "_count");
  std::uint64_t n = 0;
  for (char c : value) {
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
    if (n > max_count) break; // no overflow on long digit strings
  }
  q.count_clamped = n > max_count;
  q.count = static_cast<std::uint32_t>(std::min<std::uint64_t>(n, max_count));
  return status::ok();
}

// A comma list whose items may not be empty (_elements, _type).
status parse_list(std::vector<std::string>& out, std::string_view name, std::string_view value) {
  for (auto item : split(value, ',')) {
    if (item.empty())
      return invalid(std::string(name) + " has an empty item in " + quoted(value),
                     std::string(name));
    out.emplace_back(item);
  }
  return status::ok();
}

status parse_sort(search_query& q, std::string_view value) {
  for (auto item : split(value, ',')) {
    sort_key key;
    if (item.starts_with('-')) {
      key.descending = true;
      item.remove_prefix(1);
    }
    if (item.empty()) return invalid("_sort has an empty key in " + quoted(value), "_sort");
    key.code = std::string(item);
    q.sort.push_back(std::move(key));
  }
  return status::ok();
}

status parse_include(std::vector<include_spec>& out, std::string_view name,
                     std::string_view modifier, std::string_view value) {
  const std::string where =
      modifier.empty() ? std::string(name) : std::string(name) + ":" + std::string(modifier);
  include_spec spec;
  // "recurse" is STU3's spelling of R4's "iterate"; clients still send it.
  if (modifier == "iterate" || modifier == "recurse") {
    spec.iterate = true;
  } else if (!modifier.empty()) {
    return invalid(where + " has an unknown modifier (only :iterate)", where);
  }
  if (value == "*") {
    spec.source_type = spec.param = "*";
    out.push_back(std::move(spec));
    return status::ok();
  }
  const auto pieces = split(value, ':');
  if (pieces.size() < 2 || pieces.size() > 3 ||
      std::ranges::any_of(pieces, [](auto p) { return p.empty(); }))
    return invalid(where + " expects Type:param[:target] or *, not " + quoted(value), where);
  spec.source_type = std::string(pieces[0]);
  spec.param = std::string(pieces[1]);
  if (pieces.size() == 3) spec.target_type = std::string(pieces[2]);
  out.push_back(std::move(spec));
  return status::ok();
}

template <class Mode, std::size_t N>
status parse_mode(Mode& out, std::string_view name, std::string_view value,
                  const std::array<std::pair<std::string_view, Mode>, N>& choices) {
  for (const auto& [text, mode] : choices) {
    if (value == text) {
      out = mode;
      return status::ok();
    }
  }
  std::string allowed;
  for (const auto& choice : choices)
    allowed += (allowed.empty() ? "" : ", ") + std::string(choice.first);
  return invalid(std::string(name) + " must be one of " + allowed + ", not " + quoted(value),
                 std::string(name));
}

// Handles a result parameter; nullopt when `name` is not one.
std::optional<status> parse_result_param(search_query& q, std::string_view name,
                                         std::string_view value) {
  const auto colon = name.find(':');
  const auto base = name.substr(0, colon);
  const auto modifier =
      colon == std::string_view::npos ? std::string_view{} : name.substr(colon + 1);
  if (base == "_include") return parse_include(q.includes, base, modifier, value);
  if (base == "_revinclude") return parse_include(q.revincludes, base, modifier, value);

  static constexpr std::string_view results[] = {"_sort",     "_count",  "_total", "_summary",
                                                 "_elements", "_cursor", "_type"};
  if (std::ranges::find(results, base) == std::end(results)) return std::nullopt;
  if (!modifier.empty())
    return invalid(std::string(base) + " takes no modifier", std::string(name));
  if (base == "_sort") return parse_sort(q, value);
  if (base == "_count") return parse_count(q, value);
  if (base == "_elements") return parse_list(q.elements, base, value);
  if (base == "_type") return parse_list(q.types, base, value);
  if (base == "_cursor") {
    q.cursor = std::string(value);
    return status::ok();
  }
  if (base == "_total") {
    static constexpr std::array<std::pair<std::string_view, total_mode>, 3> totals = {
        {{"none", total_mode::none},
         {"estimate", total_mode::estimate},
         {"accurate", total_mode::accurate}}};
    return parse_mode(q.total, base, value, totals);
  }
  static constexpr std::array<std::pair<std::string_view, summary_mode>, 5> summaries = {
      {{"true", summary_mode::true_},
       {"text", summary_mode::text},
       {"data", summary_mode::data},
       {"count", summary_mode::count},
       {"false", summary_mode::false_}}};
  return parse_mode(q.summary, base, value, summaries);
}

// ---- parse: clauses ----

// "code[:modifier]" → (code, modifier); false when either side is empty.
bool split_modifier(std::string_view segment, std::string& code, std::string& modifier) {
  const auto colon = segment.find(':');
  code = std::string(segment.substr(0, colon));
  modifier = colon == std::string_view::npos ? "" : std::string(segment.substr(colon + 1));
  return !code.empty() && (colon == std::string_view::npos || !modifier.empty());
}

// The clause for `name=value`, or a problem explaining why there is none.
std::optional<clause> parse_clause(std::string_view name, std::string_view value,
                                   std::string& problem) {
  clause c;
  const std::string whole(name);
  // _has:Type:param:rest — rest is another _has or an ordinary parameter.
  while (name.starts_with("_has:")) {
    const auto pieces = split(name.substr(5), ':');
    if (pieces.size() < 3 || pieces[0].empty() || pieces[1].empty()) {
      problem =
          "malformed reverse chain " + quoted(whole) + " (expected _has:Type:param:parameter)";
      return std::nullopt;
    }
    c.has.push_back({std::string(pieces[0]), std::string(pieces[1])});
    name.remove_prefix(5 + pieces[0].size() + 1 + pieces[1].size() + 1);
  }
  const auto links = split(name, '.');
  if (!split_modifier(links[0], c.code, c.modifier)) {
    problem = "malformed parameter name " + quoted(whole);
    return std::nullopt;
  }
  for (std::size_t i = 1; i < links.size(); ++i) {
    clause::link link;
    if (!split_modifier(links[i], link.code, link.modifier)) {
      problem = "malformed chain in " + quoted(whole);
      return std::nullopt;
    }
    c.chain.push_back(std::move(link));
  }
  for (auto alternative : split_escaped(value, ','))
    if (!alternative.empty()) c.values.push_back(make_value(alternative, true));
  if (c.values.empty()) {
    problem = "parameter " + quoted(whole) + " has no value";
    return std::nullopt;
  }
  return c;
}

// ---- bind ----

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::ranges::find(list, item) != list.end();
}

std::string clause_name(const clause& c) {
  std::string name;
  for (const auto& h : c.has) name += "_has:" + h.type + ":" + h.param + ":";
  name += c.code;
  if (!c.modifier.empty()) name += ":" + c.modifier;
  for (const auto& l : c.chain) {
    name += "." + l.code;
    if (!l.modifier.empty()) name += ":" + l.modifier;
  }
  return name;
}

std::string unknown_param(std::string_view code, std::string_view type) {
  return "unknown search parameter " + quoted(code) + " for " + std::string(type);
}

bool is_resource_type(std::string_view name) { return find_resource_type(name).has_value(); }

bool allows_prefix(param_type t) {
  return t == param_type::number || t == param_type::date || t == param_type::quantity;
}

// The type-name modifier (subject:Patient) must name one of the targets.
bool is_target(const search_param& p, std::string_view type) {
  return is_resource_type(type) && (p.targets.empty() || contains(p.targets, type));
}

status check_modifier(const search_param& p, std::string_view modifier, const std::string& where) {
  if (modifier.empty() || modifier == "missing") return status::ok();
  bool allowed = false;
  switch (p.type) {
    case param_type::string: allowed = modifier == "exact" || modifier == "contains"; break;
    case param_type::token: {
      static constexpr std::string_view token_modifiers[] = {"text", "not",    "above",  "below",
                                                             "in",   "not-in", "of-type"};
      allowed = std::ranges::find(token_modifiers, modifier) != std::end(token_modifiers);
      break;
    }
    case param_type::reference:
      allowed = modifier == "identifier" || modifier == "above" || modifier == "below" ||
                is_target(p, modifier);
      break;
    case param_type::uri: allowed = modifier == "above" || modifier == "below"; break;
    default: break;
  }
  if (allowed) return status::ok();
  return invalid("modifier " + quoted(modifier) + " is not allowed on " + quoted(where) + " (a " +
                     param_type_name(p.type) + " parameter)",
                 where);
}

status check_value(const search_param& p, std::string_view modifier, raw_value& v,
                   const std::string& where, const param_registry& registry);

status check_composite(const search_param& p, raw_value& v, const std::string& where,
                       const param_registry& registry) {
  const auto components = split_escaped(v.raw, '$');
  if (components.size() != p.components.size())
    return invalid(quoted(where) + " needs " + std::to_string(p.components.size()) +
                       " components separated by '$', not " + quoted(v.raw),
                   where);
  v.components.clear();
  for (std::size_t i = 0; i < components.size(); ++i) {
    const search_param* part = registry.find_url(p.components[i].definition);
    if (!part)
      return invalid(quoted(where) + "'s component " + p.components[i].definition +
                         " is not a known search parameter",
                     where);
    raw_value component = make_value(components[i], allows_prefix(part->type));
    if (auto s = check_value(*part, "", component, where, registry); !s) return s;
    v.components.push_back(std::move(component));
  }
  return status::ok();
}

status check_value(const search_param& p, std::string_view modifier, raw_value& v,
                   const std::string& where, const param_registry& registry) {
  const auto bad = [&](std::string_view what) {
    return invalid(
        quoted(v.raw) + " is not " + std::string(what) + " (parameter " + quoted(where) + ")",
        where);
  };
  if (modifier == "missing") {
    v = make_value(v.raw, false);
    return v.text == "true" || v.text == "false" ? status::ok() : bad("true or false");
  }
  // Parsing guessed at a prefix; only these types have one.
  v = make_value(v.raw, allows_prefix(p.type) && modifier.empty());
  switch (p.type) {
    case param_type::number: return is_decimal(v.text) ? status::ok() : bad("a number");
    case param_type::date:
      return parse_fhir_datetime(v.text) ? status::ok() : bad("a date, dateTime or instant");
    case param_type::quantity:
      if ((v.parts.size() != 1 && v.parts.size() != 3) || !is_decimal(v.parts[0]))
        return bad("a quantity (number or number|system|code)");
      return status::ok();
    case param_type::token:
      if (modifier == "of-type")
        return v.parts.size() == 3 ? status::ok() : bad("system|code|value");
      if (modifier != "text" && v.parts.size() > 2) return bad("a token ([system|]code)");
      return status::ok();
    case param_type::reference: {
      if (modifier == "identifier")
        return v.parts.size() <= 2 ? status::ok() : bad("an identifier ([system|]value)");
      // A relative reference names its type: it must be one the parameter allows.
      const auto slash = v.text.find('/');
      if (!modifier.empty() || slash == std::string::npos || v.text.find(':') != std::string::npos)
        return status::ok();
      const std::string_view type(v.text.data(), slash);
      if (is_resource_type(type) && !p.targets.empty() && !contains(p.targets, type))
        return bad("a reference to a type that " + quoted(p.code) + " allows");
      return status::ok();
    }
    case param_type::composite: return check_composite(p, v, where, registry);
    default: return status::ok();
  }
}

// Types a chain step may land on: the type modifier, or every target.
std::vector<std::string_view> chain_targets(const std::vector<const search_param*>& from,
                                            std::string_view modifier) {
  if (!modifier.empty()) return {modifier};
  std::vector<std::string_view> types;
  for (const auto* p : from) {
    if (p->targets.empty()) { // any resource: the whole R4 list
      types.clear();
      for (std::size_t i = 0; i < resource_type_count(); ++i)
        types.push_back(resource_type_name(static_cast<type_id>(i)));
      return types;
    }
    for (const auto& t : p->targets)
      if (std::ranges::find(types, t) == types.end()) types.push_back(t);
  }
  return types;
}

std::string join(const std::vector<std::string_view>& items) {
  std::string out;
  for (auto item : items) out += (out.empty() ? "" : ", ") + std::string(item);
  return out;
}

// Resolves one clause. An error status for malformed values or modifiers; an
// empty status with `problem` set when the clause names unknown things.
status bind_clause(clause& c, std::string_view type, const param_registry& registry,
                   std::string& problem) {
  const std::string name = clause_name(c);
  std::string_view on = type;
  for (const auto& h : c.has) {
    if (!is_resource_type(h.type)) {
      problem = "unknown resource type " + quoted(h.type) + " in " + quoted(name);
      return status::ok();
    }
    const search_param* link = registry.find(h.type, h.param);
    if (!link) {
      problem = unknown_param(h.param, h.type) + " in " + quoted(name);
      return status::ok();
    }
    if (link->type != param_type::reference || !is_target(*link, on)) {
      problem = quoted(h.type + ":" + h.param) + " does not refer to " + std::string(on) + " in " +
                quoted(name);
      return status::ok();
    }
    on = h.type;
  }

  const search_param* first = registry.find(on, c.code);
  if (!first) {
    problem = unknown_param(c.code, on);
    if (!c.has.empty() || !c.chain.empty()) problem += " in " + quoted(name);
    return status::ok();
  }
  // Each chain step may reach several parameters (one per target type that
  // has the code); all are kept so that the next step sees all their targets.
  std::vector<const search_param*> reached = {first};
  std::string_view modifier = c.modifier;
  std::string_view code = c.code;
  for (const auto& link : c.chain) {
    std::erase_if(reached, [](const auto* p) { return p->type != param_type::reference; });
    if (reached.empty()) {
      problem =
          quoted(code) + " is not a reference parameter, so " + quoted(name) + " cannot chain";
      return status::ok();
    }
    if (!modifier.empty() &&
        std::ranges::none_of(reached, [&](const auto* p) { return is_target(*p, modifier); }))
      return invalid("modifier " + quoted(modifier) + " is not a target type of " + quoted(code) +
                         " in " + quoted(name),
                     name);
    const auto targets = chain_targets(reached, modifier);
    std::vector<const search_param*> next;
    for (auto t : targets)
      if (const auto* p = registry.find(t, link.code);
          p && std::ranges::find(next, p) == next.end())
        next.push_back(p);
    if (next.empty()) {
      problem = unknown_param(link.code, targets.size() == 1 ? std::string(targets[0])
                                                             : "any of " + join(targets)) +
                " in " + quoted(name);
      return status::ok();
    }
    reached = std::move(next);
    modifier = link.modifier;
    code = link.code;
  }

  const search_param& last = *reached.front();
  if (auto s = check_modifier(last, modifier, name); !s) return s;
  for (auto& v : c.values)
    if (auto s = check_value(last, modifier, v, name, registry); !s) return s;
  return status::ok();
}

// An _include or _revinclude that names unknown things becomes a problem.
bool include_ok(const include_spec& spec, std::string_view name, const param_registry& registry,
                std::vector<std::string>& problems) {
  const std::string text = std::string(name) + "=" + spec.source_type + ":" + spec.param +
                           (spec.target_type.empty() ? "" : ":" + spec.target_type);
  if (spec.source_type == "*" && spec.param == "*") return true;
  if (!is_resource_type(spec.source_type)) {
    problems.push_back("unknown resource type " + quoted(spec.source_type) + " in " + quoted(text));
    return false;
  }
  if (spec.param == "*") return true;
  const search_param* p = registry.find(spec.source_type, spec.param);
  if (!p || p->type != param_type::reference) {
    problems.push_back(quoted(spec.param) + " is not a reference parameter of " + spec.source_type +
                       " in " + quoted(text));
    return false;
  }
  if (!spec.target_type.empty() && !is_target(*p, spec.target_type)) {
    problems.push_back(quoted(spec.target_type) + " is not a target of " + quoted(spec.param) +
                       " in " + quoted(text));
    return false;
  }
  return true;
}

} // namespace

result<search_query> parse_query(const http::query_params& params) {
  search_query q;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto& [name, value] = params[i];
    // Content negotiation, not search: the HTTP layer reads these.
    if (name == "_format" || name == "_pretty") continue;
    const auto includes = q.includes.size(), revincludes = q.revincludes.size();
    if (auto handled = parse_result_param(q, name, value)) {
      if (!*handled) return std::move(*handled);
      for (auto k = includes; k < q.includes.size(); ++k) q.includes[k].param_index = i;
      for (auto k = revincludes; k < q.revincludes.size(); ++k) q.revincludes[k].param_index = i;
      continue;
    }
    if (name == "_contained" || name == "_containedType" || name == "_score") {
      q.problems.push_back(name + " is not supported");
      q.ignored.push_back(i);
      continue;
    }
    if (name.empty()) {
      q.problems.push_back("a parameter without a name");
      q.ignored.push_back(i);
      continue;
    }
    std::string problem;
    if (auto c = parse_clause(name, value, problem)) {
      c->param_index = i;
      q.clauses.push_back(std::move(*c));
    } else {
      q.problems.push_back(std::move(problem));
      q.ignored.push_back(i);
    }
  }
  return q;
}

status bind_query(search_query& q, std::string_view type, const param_registry& registry) {
  // A system search ([base]?…) has no type: only Resource's parameters apply.
  const std::string_view on = type.empty() ? std::string_view("Resource") : type;
  if (!type.empty() && !is_resource_type(type))
    return invalid("unknown resource type " + quoted(type), std::string(type));

  std::vector<clause> bound;
  for (auto& c : q.clauses) {
    std::string problem;
    if (auto s = bind_clause(c, on, registry, problem); !s) return s;
    if (problem.empty()) {
      bound.push_back(std::move(c));
    } else {
      q.problems.push_back(std::move(problem));
      q.ignored.push_back(c.param_index);
    }
  }
  q.clauses = std::move(bound);

  std::erase_if(q.sort, [&](const sort_key& key) {
    if (registry.find(on, key.code)) return false;
    q.problems.push_back("unknown sort parameter " + quoted(key.code) + " for " + std::string(on));
    return true;
  });
  auto drop_include = [&](std::string_view name) {
    return [&, name](const include_spec& s) {
      if (include_ok(s, name, registry, q.problems)) return false;
      q.ignored.push_back(s.param_index);
      return true;
    };
  };
  std::erase_if(q.includes, drop_include("_include"));
  std::erase_if(q.revincludes, drop_include("_revinclude"));
  std::erase_if(q.types, [&](const std::string& t) {
    if (is_resource_type(t)) return false;
    q.problems.push_back("unknown resource type " + quoted(t) + " in _type");
    return true;
  });
  return status::ok();
}

fhir::subset_request subset_of(const search_query& q, std::string_view type,
                               std::vector<std::string>& problems) {
  using mode = fhir::subset_request::mode;
  fhir::subset_request r;
  switch (q.summary) {
    case summary_mode::true_: r.m = mode::summary; return r;
    case summary_mode::text: r.m = mode::text; return r;
    case summary_mode::data: r.m = mode::data; return r;
    default: break;
  }
  if (q.elements.empty()) return r;
  r.m = mode::elements;
  for (const auto& e : q.elements) {
    std::string_view name = e;
    if (name.starts_with(type) && name.size() > type.size() && name[type.size()] == '.')
      name.remove_prefix(type.size() + 1);
    if (!type.empty() && !fhir::has_element(type, name))
      problems.push_back("_elements: " + std::string{type} + " has no element '" + e + "'");
    r.elements.push_back(e);
  }
  return r;
}

} // namespace atrium::fhir::search
