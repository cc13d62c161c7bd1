#include "protocols/dicom/query_tags.hpp"

#include <algorithm>
#include <array>

#include <simdjson.h>

#include "protocols/dicom/instance.hpp"
#include "protocols/fhir/json_text.hpp"

namespace atrium::dicom {

namespace {

constexpr std::array indexable_vrs{"AE", "AS", "CS", "DA", "DS", "DT", "FD", "FL", "IS",
                                   "LO", "PN", "SH", "SL", "SS", "TM", "UI", "UL", "US"};

bool indexable(std::string_view vr) {
  return std::find(indexable_vrs.begin(), indexable_vrs.end(), vr) != indexable_vrs.end();
}

std::optional<dicom::level> parse_level(std::string_view s) {
  std::string l{s};
  for (auto& c : l)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "study")
    return dicom::level::study;
  if (l == "series")
    return dicom::level::series;
  if (l == "instance")
    return dicom::level::instance;
  return std::nullopt;
}

status invalid(std::string message) { return {errc::invalid, std::move(message)}; }

} // namespace

const char* level_name(dicom::level l) noexcept {
  switch (l) {
    case dicom::level::study: return "Study";
    case dicom::level::series: return "Series";
    case dicom::level::instance: return "Instance";
  }
  return "";
}

result<std::vector<query_tag>> parse_query_tags(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::array items;
  if (parser.parse(body.data(), body.size()).get(items))
    return invalid("the body must be a JSON array of {\"Path\",\"VR\",\"Level\"} objects");
  std::vector<query_tag> out;
  for (auto item : items) {
    std::string_view path, vr, level;
    if (item["Path"].get(path))
      return invalid("every extended query tag needs a \"Path\" (8 hex digits or a keyword)");
    auto tag = tag_named(path);
    auto* known = tag ? find_attribute(*tag) : nullptr;
    if (!tag)
      return invalid("\"" + std::string{path} + "\" is neither 8 hex digits nor a keyword of "
                     "the DICOM data dictionary");
    if (known && known->searchable)
      return invalid(tag_key(*tag) + " is already searchable");
    query_tag t;
    t.tag = *tag;
    std::string_view creator;
    const bool has_creator = !item["PrivateCreator"].get(creator) && !creator.empty();
    if (is_private(*tag)) {
      // A private data element (gggg,xxee) is named by its creator, which
      // reserves block xx in each file: the file's block may differ.
      if ((*tag & 0xffff) < 0x1000)
        return invalid(tag_key(*tag) + " is a private creator or group length, not a private "
                                       "data element");
      if (!has_creator || creator.size() > 64 || creator.find('\\') != std::string_view::npos)
        return invalid("private tag " + tag_key(*tag) + " needs its \"PrivateCreator\" "
                       "(1-64 characters, as in the files' (gggg,00xx) element)");
      if (item["VR"].get(vr))
        return invalid("private tag " + tag_key(*tag) + " needs its \"VR\"");
      t.private_creator = std::string{creator};
    } else if (has_creator) {
      return invalid("\"PrivateCreator\" is only for private tags (odd groups), not " +
                     tag_key(*tag));
    }
    // The dictionary's VR is the attribute's: a VR given must be it (Azure
    // refuses a mismatch), and one left out is taken from it.
    auto dictionary = known ? std::optional<std::string>{std::string{known->vr}} : dictionary_vr(*tag);
    if (!item["VR"].get(vr)) {
      if (dictionary && vr != *dictionary)
        return invalid("VR '" + std::string{vr} + "' is not the VR of " + tag_key(*tag) +
                       ", which is " + *dictionary);
      t.vr = std::string{vr};
    } else if (dictionary) {
      t.vr = *dictionary;
    }
    if (!indexable(t.vr))
      return invalid("VR '" + t.vr + "' of " + tag_key(t.tag) +
                     " cannot be indexed (AE AS CS DA DS DT FD FL IS LO PN SH SL SS TM UI UL US)");
    if (item["Level"].get(level))
      return invalid("every extended query tag needs a \"Level\": Study, Series or Instance");
    auto l = parse_level(level);
    if (!l)
      return invalid("Level must be Study, Series or Instance, not '" + std::string{level} + "'");
    t.level = *l;
    if (std::any_of(out.begin(), out.end(), [&](auto& o) { return o.tag == t.tag; }))
      return invalid(tag_key(t.tag) + " is listed twice");
    out.push_back(std::move(t));
  }
  if (out.empty())
    return invalid("the body lists no extended query tag");
  return out;
}

std::string query_tag_json(const query_tag& t, std::uint64_t errors, std::string_view errors_url) {
  auto json = R"({"Path":")" + tag_key(t.tag) + R"(","VR":")" + t.vr + '"';
  if (!t.private_creator.empty()) {
    json += R"(,"PrivateCreator":)";
    fhir::append_json_string(json, t.private_creator);
  }
  json += std::string{R"(,"Level":")"} + level_name(t.level) + R"(","Status":")" +
          (t.ready ? "Ready" : "Adding") + R"(","QueryStatus":")" +
          (t.query_enabled ? "Enabled" : "Disabled") + '"';
  if (errors > 0) {
    json += R"(,"Errors":{"Count":)" + std::to_string(errors) + R"(,"Href":)";
    fhir::append_json_string(json, errors_url);
    json += '}';
  }
  return json + '}';
}

std::string encode(const query_tag& t) {
  auto json = query_tag_json(t);
  json.pop_back();
  json += R"(,"Operation":)";
  fhir::append_json_string(json, t.operation);
  json += R"(,"ValidateBelow":)" + std::to_string(t.validate_below) + '}';
  return json;
}

result<query_tag> decode_query_tag(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(json.data(), json.size()).get(e))
    return status{errc::internal, "a stored extended query tag is not JSON"};
  std::string_view path, vr, level, st, op;
  if (e["Path"].get(path) || e["VR"].get(vr) || e["Level"].get(level) || e["Status"].get(st) ||
      e["Operation"].get(op))
    return status{errc::internal, "a stored extended query tag lacks a field"};
  auto tag = parse_tag(path);
  auto l = parse_level(level);
  if (!tag || !l)
    return status{errc::internal, "a stored extended query tag is malformed"};
  // Tags stored before QueryStatus could change say "Enabled" too.
  std::string_view query;
  if (e["QueryStatus"].get(query))
    query = "Enabled";
  // Tags stored before re-index errors were recorded: every instance.
  std::uint64_t below = 0;
  if (e["ValidateBelow"].get(below))
    below = UINT64_MAX;
  std::string_view creator;
  if (e["PrivateCreator"].get(creator))
    creator = {};
  query_tag t;
  t.tag = *tag;
  t.vr = std::string{vr};
  t.level = *l;
  t.ready = st == "Ready";
  t.operation = std::string{op};
  t.query_enabled = query == "Enabled";
  t.validate_below = below;
  t.private_creator = std::string{creator};
  return t;
}

const attribute* find_tag_value(const std::vector<attribute>& attrs, const query_tag& t) {
  auto find = [&](tag wanted) -> const attribute* {
    auto it = std::find_if(attrs.begin(), attrs.end(), [&](auto& a) { return a.tag == wanted; });
    return it == attrs.end() ? nullptr : &*it;
  };
  if (!is_private(t.tag))
    return find(t.tag);
  const tag group = t.tag & 0xffff0000u;
  for (tag block = 0x10; block <= 0xff; ++block)
    if (auto* creator = find(group | block);
        creator && first_value_text(*creator) == t.private_creator)
      return find(group | block << 8 | (t.tag & 0xff));
  return nullptr;
}

} // namespace atrium::dicom
