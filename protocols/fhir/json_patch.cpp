#include "protocols/fhir/json_patch.hpp"

#include <charconv>
#include <memory>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "protocols/fhir/json_text.hpp"

namespace atrium::fhir {

namespace {

/// A JSON value as a tree of raw texts: members keep their order and keys
/// as written, scalars their text (so numbers are never re-formatted).
struct node {
  enum class kind : std::uint8_t { object, array, scalar } k = kind::scalar;
  std::string raw; // scalar
  std::vector<std::pair<std::string, node>> members;
  std::vector<node> items;
};

node parse(std::string_view minified) {
  node n;
  if (minified.empty()) return n;
  if (minified.front() == '{') {
    n.k = node::kind::object;
    for (auto m : raw_members(minified)) n.members.emplace_back(std::string(m.key), parse(m.value));
  } else if (minified.front() == '[') {
    n.k = node::kind::array;
    for (auto e : raw_elements(minified)) n.items.push_back(parse(e));
  } else {
    n.raw = std::string(minified);
  }
  return n;
}

void render(const node& n, std::string& out) {
  switch (n.k) {
    case node::kind::scalar: out += n.raw; return;
    case node::kind::object:
      out.push_back('{');
      for (std::size_t i = 0; i < n.members.size(); ++i) {
        if (i) out.push_back(',');
        out.push_back('"');
        out += n.members[i].first;
        out += "\":";
        render(n.members[i].second, out);
      }
      out.push_back('}');
      return;
    case node::kind::array:
      out.push_back('[');
      for (std::size_t i = 0; i < n.items.size(); ++i) {
        if (i) out.push_back(',');
        render(n.items[i], out);
      }
      out.push_back(']');
      return;
  }
}

std::string rendered(const node& n) {
  std::string out;
  render(n, out);
  return out;
}

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

node* child(node& n, const std::string& token) {
  if (n.k == node::kind::object) {
    for (auto& [key, value] : n.members)
      if (key == token) return &value;
    return nullptr;
  }
  if (n.k == node::kind::array) {
    auto i = index_of(token);
    return i && *i < n.items.size() ? &n.items[*i] : nullptr;
  }
  return nullptr;
}

/// The node a pointer names, or null.
node* find(node& root, const std::vector<std::string>& tokens, std::size_t count) {
  node* at = &root;
  for (std::size_t i = 0; i < count && at; ++i) at = child(*at, tokens[i]);
  return at;
}

class patcher {
public:
  explicit patcher(node root) : root_(std::move(root)) {}

  status add(std::size_t op, const std::vector<std::string>& path, node value) {
    if (path.empty()) {
      root_ = std::move(value);
      return status::ok();
    }
    node* parent = find(root_, path, path.size() - 1);
    if (!parent) return not_applicable(op, "the parent of the path does not exist");
    const auto& last = path.back();
    if (parent->k == node::kind::object) {
      if (node* existing = child(*parent, last)) *existing = std::move(value);
      else parent->members.emplace_back(last, std::move(value));
      return status::ok();
    }
    if (parent->k != node::kind::array) return not_applicable(op, "the parent is not a container");
    if (last == "-") {
      parent->items.push_back(std::move(value));
      return status::ok();
    }
    auto i = index_of(last);
    if (!i || *i > parent->items.size()) return not_applicable(op, "array index out of range");
    parent->items.insert(parent->items.begin() + static_cast<std::ptrdiff_t>(*i), std::move(value));
    return status::ok();
  }

  result<node> remove(std::size_t op, const std::vector<std::string>& path) {
    if (path.empty()) return not_applicable(op, "the whole document cannot be removed");
    node* parent = find(root_, path, path.size() - 1);
    if (!parent || !child(*parent, path.back()))
      return not_applicable(op, "the path does not exist");
    node removed;
    if (parent->k == node::kind::object) {
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

  node* get(const std::vector<std::string>& path) { return find(root_, path, path.size()); }
  const node& root() const { return root_; }

private:
  node root_;
};

/// The text without insignificant white space, tokens as written (a DOM
/// would re-format numbers); the caller has validated it.
std::string minified(std::string_view json) {
  std::string out(json.size(), '\0');
  std::size_t length = 0;
  if (simdjson::minify(json.data(), json.size(), out.data(), length) != simdjson::SUCCESS)
    return std::string(json);
  out.resize(length);
  return out;
}

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
  auto minified_patch = minified(patch);
  auto raw_ops = raw_elements(minified_patch);

  simdjson::dom::parser doc_parser;
  simdjson::padded_string doc_text(document);
  simdjson::dom::element doc_root;
  if (doc_parser.parse(doc_text).get(doc_root) != simdjson::SUCCESS)
    return status{errc::internal, "the resource to patch is not JSON"};
  const auto minified_document = minified(document);
  patcher p{parse(minified_document)};

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
    std::optional<node> value;
    for (auto m : raw_members(raw_ops[index]))
      if (m.key == "value") value = parse(m.value);
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
      node* target = p.get(*path);
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
      node* source = p.get(*from);
      if (!source) return not_applicable(index, "\"from\" does not exist");
      node copy = *source;
      s = p.add(index, *path, std::move(copy));
    } else if (op == "test") {
      node* target = p.get(*path);
      if (!target) return not_applicable(index, "the path does not exist");
      if (rendered(*target) != rendered(*value))
        return not_applicable(index, "test failed: " + std::string(path_text) + " is " +
                                       rendered(*target) + ", not " + rendered(*value));
    } else {
      return malformed(where + ": unknown op \"" + std::string(op) + "\"");
    }
    if (!s) return s;
    ++index;
  }
  return rendered(p.root());
}

} // namespace atrium::fhir
