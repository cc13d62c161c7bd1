#include "protocols/fhir/link_values.hpp"

#include <simdjson.h>

#include "protocols/fhir/json_text.hpp"
#include "protocols/fhir/structure_schema.hpp"

namespace atrium::fhir {
namespace {

using namespace structure;

bool is_uri_like(primitive p) {
  return p == primitive::uri || p == primitive::url || p == primitive::canonical ||
         p == primitive::oid || p == primitive::uuid;
}

class link_walker {
public:
  link_walker(const schema& s, std::string_view text)
    : s_(s), text_(text), reference_(s.owner_of("Reference")), bundle_(s.owner_of("Bundle")) {}

  std::vector<link_value> found;

  void object(std::string_view text, std::uint16_t owner) {
    const owner_schema& o = s_.owners[owner];
    for (const auto& m : raw_members(text)) {
      const auto it = o.fields.find(m.key);
      if (it == o.fields.end())
        continue;
      if (owner == bundle_ && m.key == "entry")
        continue;
      const field& f = it->second;
      const bool is_reference = owner == reference_ && m.key == "reference";
      if (!m.value.empty() && m.value.front() == '[')
        for (auto item : raw_elements(m.value)) value(item, f, is_reference);
      else
        value(m.value, f, is_reference);
    }
  }

  void resource(std::string_view text) {
    for (const auto& m : raw_members(text)) {
      if (m.key != "resourceType")
        continue;
      if (m.value.size() < 2)
        return;
      std::string_view type = m.value.substr(1, m.value.size() - 2);
      simdjson::dom::parser parser;
      if (type.find('\\') != std::string_view::npos && parser.parse(m.value).get_string().get(type))
        return; // escaped ("B\u0075ndle"): decoded
      const auto it = s_.index.find(type);
      if (it != s_.index.end() && s_.owners[it->second].is_resource)
        object(text, it->second);
      return;
    }
  }

private:
  const schema& s_;
  std::string_view text_;
  std::uint16_t reference_;
  std::uint16_t bundle_;

  void value(std::string_view v, const field& f, bool is_reference) {
    if (v.empty())
      return;
    switch (f.w) {
      case field::what::primitive:
        if (v.front() != '"' || v.size() < 2)
          return;
        if (is_reference)
          add(v, link_kind::reference);
        else if (is_uri_like(f.p))
          add(v, link_kind::uri);
        else if (f.p == primitive::xhtml)
          add(v, link_kind::narrative);
        return;
      case field::what::partner:
        if (v.front() == '{') object(v, s_.element);
        return;
      case field::what::object:
        if (v.front() == '{') object(v, f.owner);
        return;
      case field::what::resource:
        if (v.front() == '{') resource(v);
        return;
    }
  }

  void add(std::string_view quoted, link_kind kind) {
    const auto begin = static_cast<std::size_t>(quoted.data() - text_.data()) + 1;
    found.push_back({begin, begin + quoted.size() - 2, kind});
  }
};

} // namespace

std::vector<link_value> link_values(std::string_view resource, std::string_view type) {
  const schema& s = the_schema();
  const auto it = s.index.find(type);
  if (it == s.index.end() || !s.owners[it->second].is_resource)
    return {};
  link_walker walker(s, resource);
  walker.object(resource, it->second);
  return std::move(walker.found);
}

} // namespace atrium::fhir
