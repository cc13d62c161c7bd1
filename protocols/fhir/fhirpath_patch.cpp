#include "protocols/fhir/fhirpath_patch.hpp"

#include <algorithm>
#include <utility>

#include <simdjson.h>

#include "protocols/fhir/fhirpath/types.hpp"
#include "protocols/fhir/fhirpath_patch_params.hpp"
#include "protocols/fhir/fhirpath_patch_select.hpp"
#include "protocols/fhir/json_tree.hpp"

namespace atrium::fhir {

namespace {

using patch::operation;
using patch::step;
using patch::target;

json_tree null_json() {
  json_tree n;
  n.raw = "null";
  return n;
}

// Primitive extensions are not patched: paths never select "_name" members
// and values' "_valueX" are dropped. A primitive list keeps its ids and
// extensions in a parallel "_name" array, though, so every change to the
// shape of a list is made to that array too; otherwise an extension would
// end up on another value. Deleting an element deletes its "_name" with it.
json_tree* partner(json_tree& owner, const std::string& key) {
  json_tree* p = owner.member("_" + key);
  return p && p->is_array() ? p : nullptr;
}

void pad(json_tree& list, std::size_t size) {
  while (list.items.size() < size) list.items.push_back(null_json());
}

void drop_if_all_null(json_tree& owner, const std::string& key) {
  json_tree* p = partner(owner, key);
  if (!p) return;
  for (const auto& item : p->items)
    if (item.raw != "null") return;
  owner.erase_member("_" + key);
}

/// A whole list a path selects, with the object holding it under `key`.
struct list_ref {
  json_tree* owner = nullptr;
  json_tree* list = nullptr;
  std::string key;
  const element_shape* element = nullptr;
};

class patcher {
public:
  explicit patcher(json_tree root) : root_(std::move(root)) {}

  status apply(const operation& op) {
    auto targets = patch::select(root_, op.path);
    if (!targets) {
      const status& e = targets.error();
      return op.error(e.code(), "path \"" + op.path + "\": " + e.message() +
                                    (e.where().empty() ? "" : " (" + e.where() + ")"));
    }
    if (op.type == "add") return add(op, *targets);
    if (op.type == "insert") return insert(op, *targets);
    if (op.type == "delete") return erase(op, *targets);
    if (op.type == "replace") return replace(op, *targets);
    return move(op, *targets);
  }

  const json_tree& root() const { return root_; }

private:
  // delete: nothing to delete is no error; several is (R4: "Only a single
  // element can be deleted").
  status erase(const operation& op, const std::vector<target>& targets) {
    if (targets.empty()) return status::ok();
    if (auto s = one(op, targets); !s) return s;
    if (targets.front().steps.empty())
      return op.error(errc::unprocessable, "the resource itself cannot be deleted");
    erase_at(targets.front().steps, targets.front().steps.size());
    return status::ok();
  }

  // Removes the node at the first `count` steps, then any object or list
  // left empty above it: FHIR JSON has no empty objects or arrays.
  void erase_at(const std::vector<step>& steps, std::size_t count) {
    if (count == 0) return; // the resource itself stays, even if empty
    json_tree* parent = patch::node_at(root_, steps, count - 1);
    const step& last = steps[count - 1];
    if (last.is_index) {
      parent->items.erase(parent->items.begin() + static_cast<std::ptrdiff_t>(last.index));
      json_tree* owner = patch::node_at(root_, steps, count - 2);
      const std::string& key = steps[count - 2].key;
      if (json_tree* p = partner(*owner, key); p && last.index < p->items.size()) {
        p->items.erase(p->items.begin() + static_cast<std::ptrdiff_t>(last.index));
        drop_if_all_null(*owner, key);
      }
      if (parent->items.empty()) erase_at(steps, count - 1);
      return;
    }
    parent->erase_member(last.key);
    parent->erase_member("_" + last.key);
    if (parent->members.empty()) erase_at(steps, count - 1);
  }

  status replace(const operation& op, const std::vector<target>& targets) {
    if (auto s = one(op, targets); !s) return s;
    const target& t = targets.front();
    if (t.steps.empty()) return op.error(errc::unprocessable, "the resource itself cannot be replaced");
    auto value = fitting(op, t.element, "\"" + op.path + "\"", *op.value);
    if (!value) return value.error();
    *patch::node_at(root_, t.steps) = std::move(*value);
    // A choice takes the name of its new type: deceasedBoolean becomes
    // deceasedDateTime.
    const step& last = t.steps.back();
    if (!t.choice.empty() && !last.is_index && op.value->k == patch::part_value::kind::typed) {
      json_tree* owner = patch::node_at(root_, t.steps, t.steps.size() - 1);
      rename(*owner, last.key, t.choice + op.value->suffix);
    }
    return status::ok();
  }

  // add: `name` below the one node `path` names; appended to a repeating
  // element, created where the element is absent.
  status add(const operation& op, const std::vector<target>& targets) {
    if (auto s = one(op, targets); !s) return s;
    const target& t = targets.front();
    json_tree* node = patch::node_at(root_, t.steps);
    if (!node->is_object())
      return op.error(errc::unprocessable, "\"" + op.path + "\" is a primitive; nothing can be added to it");
    if (!has_element_shapes(t.type))
      return op.error(errc::unprocessable, "the elements of \"" + op.path + "\" are not known");
    const element_shape* element = find_element_shape(t.type, op.name);
    if (!element) return op.error(errc::unprocessable, t.type + " has no element \"" + op.name + "\"");
    auto value = fitting(op, element, t.type + "." + op.name, *op.value);
    if (!value) return value.error();
    std::string key = op.name;
    if (element->k == element_shape::kind::choice) {
      if (has_choice(*node, op.name))
        return op.error(errc::unprocessable, t.type + "." + op.name + " already has a value; use replace");
      key += op.value->suffix;
    }
    json_tree* existing = node->member(key);
    if (existing && element->repeats && existing->is_array()) {
      existing->items.push_back(std::move(*value));
      if (json_tree* p = partner(*node, key)) pad(*p, existing->items.size());
      return status::ok();
    }
    if (existing) return op.error(errc::unprocessable, t.type + "." + key + " already exists; use replace");
    if (element->repeats) {
      json_tree list;
      list.k = json_tree::kind::array;
      list.items.push_back(std::move(*value));
      node->members.emplace_back(key, std::move(list));
    } else {
      node->members.emplace_back(key, std::move(*value));
    }
    return status::ok();
  }

  status insert(const operation& op, const std::vector<target>& targets) {
    auto list = whole_list(op, targets);
    if (!list) return list.error();
    json_tree& items = *list->list;
    if (op.at < 0 || static_cast<std::size_t>(op.at) > items.items.size())
      return op.error(errc::unprocessable, "index " + std::to_string(op.at) + " is outside 0.." +
                                               std::to_string(items.items.size()));
    auto value = fitting(op, list->element, "\"" + op.path + "\"", *op.value);
    if (!value) return value.error();
    const auto at = static_cast<std::size_t>(op.at);
    if (json_tree* p = partner(*list->owner, list->key)) {
      pad(*p, items.items.size());
      p->items.insert(p->items.begin() + static_cast<std::ptrdiff_t>(at), null_json());
    }
    items.items.insert(items.items.begin() + static_cast<std::ptrdiff_t>(at), std::move(*value));
    return status::ok();
  }

  status move(const operation& op, const std::vector<target>& targets) {
    auto list = whole_list(op, targets);
    if (!list) return list.error();
    json_tree& items = *list->list;
    const std::size_t size = items.items.size();
    for (auto [what, i] : {std::pair{"source", op.source}, std::pair{"destination", op.destination}})
      if (i < 0 || static_cast<std::size_t>(i) >= size)
        return op.error(errc::unprocessable, std::string(what) + " " + std::to_string(i) +
                                                 " is outside 0.." + std::to_string(size - 1));
    move_item(items, static_cast<std::size_t>(op.source), static_cast<std::size_t>(op.destination));
    if (json_tree* p = partner(*list->owner, list->key)) {
      pad(*p, size);
      move_item(*p, static_cast<std::size_t>(op.source), static_cast<std::size_t>(op.destination));
    }
    return status::ok();
  }

  static void move_item(json_tree& list, std::size_t from, std::size_t to) {
    json_tree item = std::move(list.items[from]);
    list.items.erase(list.items.begin() + static_cast<std::ptrdiff_t>(from));
    list.items.insert(list.items.begin() + static_cast<std::ptrdiff_t>(to), std::move(item));
  }

  // insert and move name a list by its items: all of them, of one list.
  result<list_ref> whole_list(const operation& op, const std::vector<target>& targets) {
    if (targets.empty())
      return op.error(errc::unprocessable, "path \"" + op.path + "\" matches nothing" +
                                               (op.type == "insert" ? " (add starts a list)" : ""));
    const auto& first = targets.front().steps;
    if (first.size() < 2 || !first.back().is_index)
      return op.error(errc::unprocessable, "path \"" + op.path + "\" does not name a list");
    for (const target& t : targets) {
      const bool same = t.steps.size() == first.size() && t.steps.back().is_index &&
                        std::equal(first.begin(), first.end() - 1, t.steps.begin());
      if (!same)
        return op.error(errc::unprocessable, "path \"" + op.path + "\" names items of more than one list");
    }
    const std::size_t depth = first.size();
    list_ref list{patch::node_at(root_, first, depth - 2), patch::node_at(root_, first, depth - 1),
                  first[depth - 2].key, targets.front().element};
    if (list.list->items.size() != targets.size())
      return op.error(errc::unprocessable, "path \"" + op.path + "\" names some items of a list, not all");
    return list;
  }

  status one(const operation& op, const std::vector<target>& targets) const {
    if (targets.empty()) return op.error(errc::unprocessable, "path \"" + op.path + "\" matches nothing");
    if (targets.size() > 1)
      return op.error(errc::unprocessable, "path \"" + op.path + "\" matches " +
                                               std::to_string(targets.size()) + " elements, not one");
    return status::ok();
  }

  // The value as JSON for `element`, refused when it is of the wrong kind.
  static result<json_tree> fitting(const operation& op, const element_shape* element,
                                   const std::string& what, const patch::part_value& v) {
    if (auto why = patch::misfit(element, v)) return op.error(errc::unprocessable, what + " " + *why);
    return patch::build(op, element, v);
  }

  static bool has_choice(const json_tree& node, std::string_view name) {
    for (const auto& [key, value] : node.members)
      if (key.size() > name.size() && key.starts_with(name) &&
          !fhirpath::type_for_choice_suffix(std::string_view(key).substr(name.size())).empty())
        return true;
    return false;
  }

  static void rename(json_tree& owner, const std::string& from, const std::string& to) {
    if (from == to) return;
    for (auto& [key, value] : owner.members) {
      if (key == from) key = to;
      else if (key == "_" + from) key = "_" + to;
    }
  }

  json_tree root_;
};

} // namespace

result<std::string> apply_fhirpath_patch(std::string_view resource_json,
                                         std::string_view parameters_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(simdjson::padded_string(resource_json)).get(doc) != simdjson::SUCCESS || !doc.is_object())
    return status(errc::internal, "the resource to patch is not a JSON object");
  simdjson::dom::element params;
  std::string_view type;
  if (parser.parse(simdjson::padded_string(parameters_json)).get(params) != simdjson::SUCCESS)
    return status(errc::invalid, "the FHIRPath Patch is not JSON", "Parameters");
  if (params["resourceType"].get(type) != simdjson::SUCCESS || type != "Parameters")
    return status(errc::invalid, "a FHIRPath Patch must be a Parameters resource", "Parameters");
  auto operations = patch::read_operations(json_tree::parse(minified_json(parameters_json)));
  if (!operations) return operations.error();
  patcher p(json_tree::parse(minified_json(resource_json)));
  for (const operation& op : *operations)
    if (auto s = p.apply(op); !s) return s;
  return p.root().rendered();
}

} // namespace atrium::fhir
