#include "protocols/fhir/json_patch.hpp"

#include <charconv>
#include <memory>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "protocols/fhir/json_text.hpp"
#include "protocols/fhir/json_tree.hpp"

namespace atrium::fhir {

namespace {

status malformed(std::string why) {
  return {errc::invalid, "the JSON Patch document is malformed: " + std::move(why)};
}

status not_applicable(std::size_t op, std::string why) {
  return {errc::unprocessable,
          "JSON Patch operation " + std::to_string(op) + " does not apply: " + std::move(why)};
}

/// A JSON Pointer's reference tokens ("/a/b~1c" → a, b/c); nullopt when
/// malformed. Member keys are compared as written, which for FHIR's names
/// (no escapes) is their value.
std::optional<std::vector<std::string>> tokens_of(std::string_view pointer) {
  std::vector<std::string> out;
  if (pointer.empty()) return out;
  if (pointer.front() != '/') return std::nullopt;
  pointer.remove_prefix(1);
  while (true) {
    auto slash = pointer.find('/');
    std::string token;
    for (std::size_t i = 0; i < std::min(slash, pointer.size()); ++i) {
      if (pointer[i] != '~') {
        token.push_back(pointer[i]);
        continue;
      }
      if (i + 1 >= pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1'))
        return std::nullopt;
      token.push_back(pointer[++i] == '0' ? '~' : '/');
    }
    out.push_back(std::move(token));
    if (slash == std::string_view::npos) return out;
    pointer.remove_prefix(slash + 1);
  }
}

/// An array index token: digits without a leading zero; nullopt otherwise.
std::optional<std::size_t> index_of(const std::string& token) {
  if (token.empty() || (token.size() > 1 && token[0] == '0')) return std::nullopt;
  std::size_t i = 0;
  auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), i);
  if (ec != std::errc{} || p != token.data() + token.size()) return std::nullopt;
  return i;
}

json_tree* child(json_tree& n, const std::string& token) {
  if (n.is_object()) return n.member(token);
  if (n.k == json_tree::kind::array) {
    auto i = index_of(token);
    return i && *i < n.items.size() ? &n.items[*i] : nullptr;
  }
  return nullptr;
}

/// The node a pointer names, or null.
json_tree* find(json_tree& root, const std::vector<std::string>& tokens, std::size_t count) {
  json_tree* at = &root;
  for (std::size_t i = 0; i < count && at; ++i) at = child(*at, tokens[i]);
  return at;
}

class patcher {
public:
  explicit patcher(json_tree root) : root_(std::move(root)) {}

  status add(std::size_t op, const std::vector<std::string>& path, json_tree value) {
    if (path.empty()) {
      root_ = std::move(value);
      return status::ok();
    }
    json_tree* parent = find(root_, path, path.size() - 1);
    if (!parent) return not_applicable(op, "the parent of the path does not exist");
    const auto& last = path.back();
    if (parent->k == json_tree::kind::object) {
      if (json_tree* existing = child(*parent, last)) *existing = std::move(value);
      else parent->members.emplace_back(last, std::move(value));
      return status::ok();
    }
    if (parent->k != json_tree::kind::array) return not_applicable(op, "the parent is not a container");
    if (last == "-") {
      parent->items.push_back(std::move(value));
      return status::ok();
    }
    auto i = index_of(last);
    if (!i || *i > parent->items.size()) return not_applicable(op, "array index out of range");
    parent->items.insert(parent->items.begin() + static_cast<std::ptrdiff_t>(*i), std::move(value));
    return status::ok();
  }

  result<json_tree> remove(std::size_t op, const std::vector<std::string>& path) {
    if (path.empty()) return not_applicable(op, "the whole document cannot be removed");
    json_tree* parent = find(root_, path, path.size() - 1);
    if (!parent || !child(*parent, path.back()))
      return not_applicable(op, "the path does not exist");
    json_tree removed;
    if (parent->k == json_tree::kind::object) {
      auto it = std::find_if(parent->members.begin(), parent->members.end(),
                             [&](auto& m) { return m.first == path.back(); });
      removed = std::move(it->second);
      parent->members.erase(it);
    } else {
      auto i = *index_of(path.back());
      removed = std::move(parent->items[i]);
      parent->items.erase(parent->items.begin() + static_cast<std::ptrdiff_t>(i));
    }
    return removed;
  }

  json_tree* get(const std::vector<std::string>& path) { return find(root_, path, path.size()); }
  const json_tree& root() const { return root_; }
  void drop_empty() { root_.drop_empty(); }

private:
  json_tree root_;
};

std::string_view string_member(simdjson::dom::object o, std::string_view key, bool& present) {
  std::string_view s;
  present = o.at_key(key).get_string().get(s) == simdjson::SUCCESS;
  return s;
}

} // namespace

result<std::string> apply_json_patch(std::string_view document, std::string_view patch) {
  simdjson::dom::parser parser;
  simdjson::padded_string patch_text(patch);
  simdjson::dom::element patch_root;
  if (parser.parse(patch_text).get(patch_root) != simdjson::SUCCESS)
    return malformed("not JSON");
  simdjson::dom::array ops;
  if (patch_root.get_array().get(ops) != simdjson::SUCCESS)
    return malformed("expected an array of operations");
  // Values come from the minified text, as written.
  auto minified_patch = minified_json(patch);
  auto raw_ops = raw_elements(minified_patch);

  simdjson::dom::parser doc_parser;
  simdjson::padded_string doc_text(document);
  simdjson::dom::element doc_root;
  if (doc_parser.parse(doc_text).get(doc_root) != simdjson::SUCCESS)
    return status{errc::internal, "the resource to patch is not JSON"};
  const auto minified_document = minified_json(document);
  patcher p{json_tree::parse(minified_document)};

  std::size_t index = 0;
  for (simdjson::dom::element e : ops) {
    const auto where = "operation " + std::to_string(index);
    simdjson::dom::object o;
    if (e.get_object().get(o) != simdjson::SUCCESS) return malformed(where + " is not an object");
    bool has_op = false, has_path = false, has_from = false;
    auto op = string_member(o, "op", has_op);
    auto path_text = string_member(o, "path", has_path);
    auto from_text = string_member(o, "from", has_from);
    if (!has_op) return malformed(where + " has no \"op\"");
    if (!has_path) return malformed(where + " has no \"path\"");
    auto path = tokens_of(path_text);
    if (!path) return malformed(where + ": \"" + std::string(path_text) + "\" is not a JSON Pointer");
    std::optional<json_tree> value;
    for (auto m : raw_members(raw_ops[index]))
      if (m.key == "value") value = json_tree::parse(m.value);
    const bool needs_value = op == "add" || op == "replace" || op == "test";
    const bool needs_from = op == "move" || op == "copy";
    if (needs_value && !value) return malformed(where + " (" + std::string(op) + ") has no \"value\"");
    std::optional<std::vector<std::string>> from;
    if (needs_from) {
      if (!has_from) return malformed(where + " (" + std::string(op) + ") has no \"from\"");
      from = tokens_of(from_text);
      if (!from) return malformed(where + ": \"" + std::string(from_text) + "\" is not a JSON Pointer");
    }
    status s = status::ok();
    if (op == "add") {
      s = p.add(index, *path, std::move(*value));
    } else if (op == "remove") {
      auto removed = p.remove(index, *path);
      if (!removed) s = removed.error();
    } else if (op == "replace") {
      json_tree* target = p.get(*path);
      if (!target) return not_applicable(index, "the path does not exist");
      *target = std::move(*value);
    } else if (op == "move") {
      if (from_text == path_text) {
        s = p.get(*from) ? status::ok() : not_applicable(index, "\"from\" does not exist");
      } else if (path_text.starts_with(std::string(from_text) + "/")) {
        s = not_applicable(index, "a value cannot move into itself");
      } else {
        auto moved = p.remove(index, *from);
        s = moved ? p.add(index, *path, std::move(*moved)) : moved.error();
      }
    } else if (op == "copy") {
      json_tree* source = p.get(*from);
      if (!source) return not_applicable(index, "\"from\" does not exist");
      json_tree copy = *source;
      s = p.add(index, *path, std::move(copy));
    } else if (op == "test") {
      json_tree* target = p.get(*path);
      if (!target) return not_applicable(index, "the path does not exist");
      if (target->rendered() != value->rendered())
        return not_applicable(index, "test failed: " + std::string(path_text) + " is " +
                                       target->rendered() + ", not " + value->rendered());
    } else {
      return malformed(where + ": unknown op \"" + std::string(op) + "\"");
    }
    if (!s) return s;
    ++index;
  }
  // Removing a resource's last given name leaves "given":[]: R4 JSON has
  // no empty arrays or objects, so they go, as FHIRPath Patch's delete does.
  p.drop_empty();
  return p.root().rendered();
}

} // namespace atrium::fhir
