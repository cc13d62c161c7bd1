#include "protocols/fhir/fhirpath_patch_select.hpp"

#include <cctype>
#include <optional>

#include <simdjson.h>

// The engine's internals, to evaluate where()'s criteria on each candidate
// with $this and $index as where() itself sets them, and to read the result
// as a Boolean by the same rule (to_logic).
#include "protocols/fhir/fhirpath/engine.hpp"
#include "protocols/fhir/fhirpath/parser.hpp"
#include "protocols/fhir/fhirpath/types.hpp"

namespace atrium::fhir::patch {

namespace fp = fhirpath;

namespace {

std::string unquoted(std::string_view raw) {
  if (raw.size() >= 2 && raw.front() == '"') return std::string(raw.substr(1, raw.size() - 2));
  return {};
}

status unsupported(const fp::node& n, std::string what) {
  return status(errc::not_implemented,
                what + " is not supported in a FHIRPath Patch path (supported: member names, [n], "
                       "where(), first(), last(), extension('url'))",
                "offset " + std::to_string(n.pos));
}

/// The choice element `key` is an instance of ("deceasedBoolean" →
/// deceased) below `owner`, with its type from the suffix; nullopt otherwise.
struct choice_match {
  std::string name;
  std::string_view type;
  const element_shape* shape = nullptr;
};
std::optional<choice_match> choice_of(std::string_view owner, std::string_view key) {
  for (std::size_t i = 1; i < key.size(); ++i) {
    if (!std::isupper(static_cast<unsigned char>(key[i]))) continue;
    const std::string_view type = fp::type_for_choice_suffix(key.substr(i));
    if (type.empty()) continue;
    const element_shape* s = find_element_shape(owner, key.substr(0, i));
    if (s && s->k == element_shape::kind::choice) return choice_match{std::string(key.substr(0, i)), type, s};
  }
  return std::nullopt;
}

class selector {
public:
  explicit selector(const json_tree& root) : root_(root) {
    root_target_.type = resource_type_of(root);
  }

  result<std::vector<target>> eval(const fp::node& n) {
    switch (n.kind) {
    case fp::node_kind::member: return member(n);
    case fp::node_kind::indexer: return indexer(n);
    case fp::node_kind::function: return function(n);
    case fp::node_kind::literal: return unsupported(n, "a literal");
    case fp::node_kind::env: return unsupported(n, "%" + n.name);
    case fp::node_kind::binary:
    case fp::node_kind::negate: return unsupported(n, "an operator");
    case fp::node_kind::is_type:
    case fp::node_kind::as_type: return unsupported(n, "is/as");
    default: return unsupported(n, "$this, $index or $total");
    }
  }

private:
  result<std::vector<target>> input_of(const fp::node& n) {
    if (n.target) return eval(*n.target);
    return std::vector<target>{root_target_};
  }

  result<std::vector<target>> member(const fp::node& n) {
    // A leading type name is the resource itself (Patient.name on a Patient),
    // as the engine reads it.
    if (!n.target && !n.name.empty() && std::isupper(static_cast<unsigned char>(n.name[0])) &&
        (n.name == root_target_.type || n.name == "Resource" || n.name == "DomainResource"))
      return std::vector<target>{root_target_};
    auto in = input_of(n);
    if (!in) return in;
    std::vector<target> out;
    for (const target& t : *in) children(t, n.name, out);
    return out;
  }

  // The children of `t` named `name`; arrays give one target an item.
  // Primitive extensions ("_name") are not patched, so never selected, and
  // resourceType is not an element.
  void children(const target& t, std::string_view name, std::vector<target>& out) {
    const json_tree* node = node_at(root_, t.steps);
    if (!node || !node->is_object() || name.empty() || name.starts_with('_') || name == "resourceType")
      return;
    for (const auto& [key, value] : node->members) {
      target child;
      if (!names(t.type, key, name, child)) continue;
      child.steps = t.steps;
      child.steps.push_back(step{key});
      if (!value.is_array()) {
        typed(child, value);
        out.push_back(std::move(child));
        continue;
      }
      for (std::size_t i = 0; i < value.items.size(); ++i) {
        target item = child;
        item.steps.push_back(step{{}, i, true});
        typed(item, value.items[i]);
        out.push_back(std::move(item));
      }
    }
  }

  // Whether the member `key` of a node of type `owner` is what `name` names:
  // the member of that key, or an instance of a choice element ("value" or
  // "valueQuantity" for valueQuantity). Sets the child's element, and its
  // choice and type for a choice.
  static bool names(std::string_view owner, std::string_view key, std::string_view name, target& child) {
    std::string_view type;
    if (key == name) {
      child.element = find_element_shape(owner, key);
      auto c = child.element ? std::nullopt : choice_of(owner, key);
      if (!c) return true;
      child.element = c->shape;
      child.choice = c->name;
      type = c->type;
    } else if (key.size() > name.size() && key.starts_with(name) &&
               std::isupper(static_cast<unsigned char>(key[name.size()]))) {
      type = fp::type_for_choice_suffix(key.substr(name.size()));
      child.element = find_element_shape(owner, name);
      // "codeX" is an instance of code[x] only where code is a choice.
      if (type.empty() || (child.element && child.element->k != element_shape::kind::choice)) return false;
      child.choice = std::string(name);
    } else {
      return false;
    }
    // Primitive types ("dateTime") are left out, as elsewhere.
    if (std::isupper(static_cast<unsigned char>(type[0]))) child.type = std::string(type);
    return true;
  }

  // Sets the node's type from its element unless a choice suffix gave it.
  static void typed(target& t, const json_tree& node) {
    if (!t.choice.empty() || !t.element) return;
    switch (t.element->k) {
    case element_shape::kind::complex:
    case element_shape::kind::backbone: t.type = t.element->type; break;
    case element_shape::kind::resource: t.type = resource_type_of(node); break;
    default: break;
    }
  }

  result<std::vector<target>> indexer(const fp::node& n) {
    const fp::node& index = *n.right;
    const std::int64_t* i = nullptr;
    if (index.kind == fp::node_kind::literal && index.literal.size() == 1)
      i = std::get_if<std::int64_t>(&index.literal.front().v);
    if (!i) return unsupported(index, "an index other than an integer literal");
    auto in = eval(*n.target);
    if (!in) return in;
    if (*i < 0 || static_cast<std::size_t>(*i) >= in->size()) return std::vector<target>{};
    return std::vector<target>{(*in)[static_cast<std::size_t>(*i)]};
  }

  result<std::vector<target>> function(const fp::node& n) {
    auto in = input_of(n);
    if (!in) return in;
    switch (n.fn) {
    case fp::function_id::first:
      if (in->size() > 1) in->resize(1);
      return in;
    case fp::function_id::last:
      if (in->size() > 1) in->erase(in->begin(), in->end() - 1);
      return in;
    case fp::function_id::where: return where(n, std::move(*in));
    case fp::function_id::extension: return extension(n, *in);
    default: return unsupported(n, n.name + "()");
    }
  }

  result<std::vector<target>> extension(const fp::node& n, const std::vector<target>& in) {
    const fp::node& arg = *n.args[0];
    const std::string* url = nullptr;
    if (arg.kind == fp::node_kind::literal && arg.literal.size() == 1)
      url = std::get_if<std::string>(&arg.literal.front().v);
    if (!url) return unsupported(arg, "an extension() argument other than a string literal");
    std::vector<target> all, out;
    for (const target& t : in) children(t, "extension", all);
    if (all.empty()) return out;
    // The url as a JSON string decodes ("http:\/\/…" is the same url).
    if (auto s = parse_dom(); !s) return s;
    for (target& t : all) {
      simdjson::dom::element ext;
      std::string_view u;
      if (dom_element(t.steps, ext) && ext["url"].get(u) == simdjson::SUCCESS && u == *url)
        out.push_back(std::move(t));
    }
    return out;
  }

  // The resource as a DOM too, once, for what the tree has as text only.
  status parse_dom() {
    if (dom_) return status::ok();
    text_ = simdjson::padded_string(root_.rendered());
    if (parser_.parse(text_).get(dom_root_) != simdjson::SUCCESS)
      return status(errc::internal, "the resource being patched is not JSON");
    dom_ = true;
    return status::ok();
  }

  // Keeps the candidates for which the engine finds the criteria true, with
  // %resource the resource as it stands before this operation.
  result<std::vector<target>> where(const fp::node& n, std::vector<target> in) {
    if (in.empty()) return in;
    if (auto s = parse_dom(); !s) return s;
    fp::collection input{fp::json_item(dom_root_)}, one(1);
    fp::engine e(ctx_, dom_root_, input);
    std::vector<target> out;
    for (std::size_t i = 0; i < in.size(); ++i) {
      simdjson::dom::element element;
      if (!dom_element(in[i].steps, element)) continue;
      // Backbone paths are no FHIR type names: the engine gets none for them.
      const bool named = in[i].type.find('.') == std::string::npos;
      one[0] = fp::json_item(element, named ? std::string_view(in[i].type) : std::string_view{});
      fp::scope sc;
      sc.focus = &one;
      sc.index = static_cast<std::int64_t>(i);
      auto r = e.eval(*n.args[0], sc);
      if (!r) return r.error();
      auto b = fp::to_logic(*r, n);
      if (!b) return b.error();
      if (*b == true) out.push_back(std::move(in[i]));
    }
    return out;
  }

  bool dom_element(const std::vector<step>& steps, simdjson::dom::element& out) const {
    simdjson::dom::element at = dom_root_;
    for (const step& s : steps) {
      auto next = s.is_index ? at.at(s.index) : at.at_key(s.key);
      if (next.get(at) != simdjson::SUCCESS) return false;
    }
    out = at;
    return true;
  }

  const json_tree& root_;
  target root_target_;
  fp::context ctx_;
  bool dom_ = false;
  simdjson::padded_string text_;
  simdjson::dom::parser parser_;
  simdjson::dom::element dom_root_;
};

} // namespace

std::string resource_type_of(const json_tree& resource) {
  const json_tree* rt = resource.member("resourceType");
  return rt ? unquoted(rt->raw) : std::string{};
}

const json_tree* node_at(const json_tree& root, const std::vector<step>& steps, std::size_t count) {
  const json_tree* at = &root;
  for (std::size_t i = 0; i < count && at; ++i) {
    const step& s = steps[i];
    if (s.is_index) at = at->is_array() && s.index < at->items.size() ? &at->items[s.index] : nullptr;
    else at = at->member(s.key);
  }
  return at;
}

result<std::vector<target>> select(const json_tree& root, std::string_view path) {
  auto expr = fp::compile(path);
  if (!expr) return expr.error();
  selector s(root);
  return s.eval(*expr->root());
}

} // namespace atrium::fhir::patch
