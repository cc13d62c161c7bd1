// System-level search: one type search after another, filling one page.
#include <charconv>
#include <set>

#include "actors/fhir/search_exec.hpp"
#include "protocols/fhir/resource_types.hpp"

namespace atrium::actors::search {

namespace {

namespace fs = fhir::search;

/// The types searched, in order: _type's (unknown names were reported by
/// the edge and are skipped), else every R4 type.
std::vector<std::string> types_of(const fs::search_query& q) {
  if (!q.types.empty()) {
    auto known = q.types;
    std::erase_if(known, [](const std::string& t) { return !fhir::find_resource_type(t); });
    return known;
  }
  std::vector<std::string> all;
  for (std::size_t i = 0; i < fhir::resource_type_count(); ++i)
    all.emplace_back(fhir::resource_type_name(static_cast<std::uint16_t>(i)));
  return all;
}

/// "<type index>-<cursor within that type>".
struct system_cursor {
  std::size_t type_index = 0;
  std::string inner;
};

std::optional<system_cursor> decode(std::string_view s) {
  system_cursor c;
  auto dash = s.find('-');
  if (dash == std::string_view::npos)
    return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + dash, c.type_index);
  if (ec != std::errc{} || p != s.data() + dash)
    return std::nullopt;
  c.inner = s.substr(dash + 1);
  return c;
}

std::string encode(std::size_t type_index, std::string_view inner) {
  return std::to_string(type_index) + "-" + std::string{inner};
}

} // namespace

result<page> run_system_search(const exec_context& ctx, const fs::search_query& q) {
  const auto types = types_of(q);
  system_cursor at;
  if (!q.cursor.empty()) {
    auto c = decode(q.cursor);
    if (!c || c->type_index >= types.size())
      return status{errc::invalid, "the paging cursor is malformed", "_cursor"};
    at = std::move(*c);
  }

  page out;
  std::size_t matches = 0;
  std::set<std::pair<std::uint16_t, std::string>> seen; // a resource once per page
  std::vector<hit> includes;
  // Every type runs when a total is wanted; else the walk stops at the first
  // type after a full page that has a match (so that a next link never leads
  // to an empty page).
  for (std::size_t i = at.type_index; i < types.size(); ++i) {
    const bool full = matches >= q.count;
    if (full && !out.next_cursor.empty() && q.total == fs::total_mode::none)
      break;
    fs::search_query one = q;
    one.types.clear();
    one.cursor = i == at.type_index ? at.inner : "";
    one.count = full ? 0 : q.count - static_cast<std::uint32_t>(matches);
    if (full)
      one.includes.clear(), one.revincludes.clear();
    if (auto s = fs::bind_query(one, types[i], ctx.registry); !s)
      return s;
    auto p = run_search(ctx, types[i], one);
    if (!p)
      return p.error();
    out.total += p->total;
    if (full) {
      if (p->total > 0 && out.next_cursor.empty() && q.count > 0)
        out.next_cursor = encode(i, "");
      continue;
    }
    for (auto& h : p->hits) {
      if (!h.included) {
        ++matches;
        seen.emplace(h.type, h.id);
        out.hits.push_back(std::move(h));
      } else {
        includes.push_back(std::move(h));
      }
    }
    if (!p->next_cursor.empty())
      out.next_cursor = encode(i, p->next_cursor);
  }
  // Includes after every match, each once and none that is a match itself.
  for (auto& h : includes)
    if (seen.emplace(h.type, h.id).second)
      out.hits.push_back(std::move(h));
  return out;
}

} // namespace atrium::actors::search
