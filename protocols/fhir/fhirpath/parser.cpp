#include "protocols/fhir/fhirpath/parser.hpp"

#include <cstdlib>

#include "protocols/fhir/fhirpath/functions.hpp"
#include "protocols/fhir/fhirpath/lexer.hpp"

namespace atrium::fhir::fhirpath {

namespace {

using node_ptr = std::unique_ptr<node>;

status error_at(std::size_t pos, std::string message) {
  return status(errc::invalid, std::move(message), "offset " + std::to_string(pos));
}

struct op_entry {
  std::string_view text;
  binary_op op;
  bool keyword;
};

// Binary operator levels, loosest first. is/as (level 7) take a type, not an
// expression, and are handled by parse_type_op.
const std::vector<std::vector<op_entry>>& levels() {
  static const std::vector<std::vector<op_entry>> table = {
      {{"implies", binary_op::implies, true}},
      {{"or", binary_op::or_, true}, {"xor", binary_op::xor_, true}},
      {{"and", binary_op::and_, true}},
      {{"in", binary_op::in, true}, {"contains", binary_op::contains, true}},
      {{"=", binary_op::eq, false}, {"~", binary_op::equiv, false}, {"!=", binary_op::ne, false},
       {"!~", binary_op::not_equiv, false}},
      {{"<", binary_op::lt, false}, {"<=", binary_op::le, false}, {">", binary_op::gt, false},
       {">=", binary_op::ge, false}},
      {{"|", binary_op::union_, false}},
      {}, // is / as
      {{"+", binary_op::add, false}, {"-", binary_op::sub, false}, {"&", binary_op::concat, false}},
      {{"*", binary_op::mul, false}, {"/", binary_op::div, false},
       {"div", binary_op::int_div, true}, {"mod", binary_op::mod, true}},
  };
  return table;
}

constexpr std::size_t type_level = 7;

class parser {
public:
  explicit parser(std::vector<token> tokens) : t_(std::move(tokens)) {}

  result<node_ptr> parse_all() {
    auto e = parse_level(0);
    if (!e) return e;
    if (peek().kind != token_kind::end)
      return error_at(peek().pos, "unexpected '" + peek().text + "' after the expression");
    return e;
  }

private:
  const token& peek(std::size_t ahead = 0) const {
    const std::size_t k = i_ + ahead;
    return t_[k < t_.size() ? k : t_.size() - 1];
  }
  bool is_symbol(std::string_view s, std::size_t ahead = 0) const {
    return peek(ahead).kind == token_kind::symbol && peek(ahead).text == s;
  }
  bool is_keyword(std::string_view s) const {
    return peek().kind == token_kind::identifier && peek().text == s;
  }

  static node_ptr make(node_kind kind, std::size_t pos) {
    auto n = std::make_unique<node>();
    n->kind = kind;
    n->pos = pos;
    return n;
  }

  result<node_ptr> parse_level(std::size_t level) {
    if (level == levels().size()) return parse_unary();
    if (level == type_level) return parse_type_op();
    auto left = parse_level(level + 1);
    if (!left) return left;
    for (;;) {
      const op_entry* found = nullptr;
      for (const auto& e : levels()[level]) {
        if (e.keyword ? is_keyword(e.text) : is_symbol(e.text)) found = &e;
      }
      if (!found) return left;
      auto n = make(node_kind::binary, peek().pos);
      ++i_;
      auto right = parse_level(level + 1);
      if (!right) return right;
      n->op = found->op;
      n->target = std::move(*left);
      n->right = std::move(*right);
      left = std::move(n);
    }
  }

  result<std::string> parse_type_name() {
    std::string name;
    for (;;) {
      const token& t = peek();
      if (t.kind != token_kind::identifier && t.kind != token_kind::delimited_identifier)
        return error_at(t.pos, "expected a type name");
      name += t.text;
      ++i_;
      if (!is_symbol(".")) return name;
      name += '.';
      ++i_;
    }
  }

  result<node_ptr> parse_type_op() {
    auto left = parse_level(type_level + 1);
    if (!left) return left;
    while (is_keyword("is") || is_keyword("as")) {
      auto n = make(is_keyword("is") ? node_kind::is_type : node_kind::as_type, peek().pos);
      ++i_;
      auto type = parse_type_name();
      if (!type) return type.error();
      n->type = std::move(*type);
      n->target = std::move(*left);
      left = std::move(n);
    }
    return left;
  }

  result<node_ptr> parse_unary() {
    if (is_symbol("-") || is_symbol("+")) {
      const bool minus = is_symbol("-");
      const std::size_t pos = peek().pos;
      ++i_;
      auto operand = parse_unary();
      if (!operand || !minus) return operand;
      // Fold -literal so that -1 is an Integer literal, as the spec's grammar reads it.
      node& o = **operand;
      if (o.kind == node_kind::literal && o.literal.size() == 1) {
        auto& v = o.literal[0].v;
        if (auto* i = std::get_if<std::int64_t>(&v)) { *i = -*i; return operand; }
        if (auto* d = std::get_if<decimal>(&v)) { d->value = -d->value; return operand; }
        if (auto* q = std::get_if<quantity>(&v)) { q->value = -q->value; return operand; }
      }
      auto n = make(node_kind::negate, pos);
      n->target = std::move(*operand);
      return n;
    }
    return parse_postfix();
  }

  result<node_ptr> parse_postfix() {
    auto e = parse_term();
    if (!e) return e;
    for (;;) {
      if (is_symbol(".")) {
        ++i_;
        auto inv = parse_invocation();
        if (!inv) return inv;
        (*inv)->target = std::move(*e);
        e = std::move(inv);
      } else if (is_symbol("[")) {
        auto n = make(node_kind::indexer, peek().pos);
        ++i_;
        auto index = parse_level(0);
        if (!index) return index;
        if (!is_symbol("]")) return error_at(peek().pos, "expected ']'");
        ++i_;
        n->target = std::move(*e);
        n->right = std::move(*index);
        e = std::move(n);
      } else {
        return e;
      }
    }
  }

  // identifier | function call | $this | $index | $total, after '.' or as a term.
  result<node_ptr> parse_invocation() {
    const token& t = peek();
    switch (t.kind) {
    case token_kind::this_: ++i_; return make(node_kind::this_, t.pos);
    case token_kind::index: ++i_; return make(node_kind::index, t.pos);
    case token_kind::total: ++i_; return make(node_kind::total, t.pos);
    case token_kind::identifier:
    case token_kind::delimited_identifier: break;
    default: return error_at(t.pos, "expected a name");
    }
    const std::size_t pos = t.pos;
    std::string name = t.text;
    const bool delimited = t.kind == token_kind::delimited_identifier;
    ++i_;
    if (delimited || !is_symbol("(")) {
      auto n = make(node_kind::member, pos);
      n->name = std::move(name);
      return n;
    }
    return parse_call(std::move(name), pos);
  }

  result<node_ptr> parse_call(std::string name, std::size_t pos) {
    const function_spec* spec = find_function(name);
    if (!spec) return error_at(pos, "unknown function " + name + "()");
    ++i_; // (
    auto n = make(node_kind::function, pos);
    n->fn = spec->id;
    n->name = name;
    if (!is_symbol(")")) {
      for (;;) {
        if (spec->type_argument && n->args.empty()) {
          auto type = parse_type_name();
          if (!type) return type.error();
          n->type = std::move(*type);
          n->args.push_back(make(node_kind::literal, pos)); // placeholder for arity
        } else {
          auto arg = parse_level(0);
          if (!arg) return arg;
          n->args.push_back(std::move(*arg));
        }
        if (is_symbol(",")) {
          ++i_;
          continue;
        }
        break;
      }
    }
    if (!is_symbol(")")) return error_at(peek().pos, "expected ')' to close " + name + "(");
    ++i_;
    if (n->args.size() < spec->min_args || n->args.size() > spec->max_args)
      return error_at(pos, name + "() takes " + std::to_string(spec->min_args) +
                               (spec->min_args == spec->max_args
                                    ? ""
                                    : " to " + std::to_string(spec->max_args)) +
                               " argument(s), not " + std::to_string(n->args.size()));
    if (spec->type_argument) n->args.clear();
    return n;
  }

  result<node_ptr> literal(item value, std::size_t pos) {
    auto n = make(node_kind::literal, pos);
    n->literal.push_back(std::move(value));
    ++i_;
    return n;
  }

  result<node_ptr> parse_term() {
    const token& t = peek();
    switch (t.kind) {
    case token_kind::string: return literal(item(t.text), t.pos);
    case token_kind::number: return parse_number();
    case token_kind::date:
    case token_kind::datetime: {
      auto v = t.kind == token_kind::date ? parse_date(t.text) : parse_datetime(t.text);
      if (!v) return error_at(t.pos, "invalid date/time literal @" + t.text);
      return literal(item(*v), t.pos);
    }
    case token_kind::time: {
      auto v = parse_time(t.text);
      if (!v) return error_at(t.pos, "invalid time literal @T" + t.text);
      return literal(item(*v), t.pos);
    }
    case token_kind::env: {
      auto n = make(node_kind::env, t.pos);
      n->name = t.text;
      ++i_;
      return n;
    }
    case token_kind::symbol:
      if (t.text == "(") {
        ++i_;
        auto e = parse_level(0);
        if (!e) return e;
        if (!is_symbol(")")) return error_at(peek().pos, "expected ')'");
        ++i_;
        return e;
      }
      if (t.text == "{" && is_symbol("}", 1)) {
        i_ += 2;
        return make(node_kind::literal, t.pos);
      }
      break;
    case token_kind::identifier:
      if (t.text == "true" || t.text == "false") return literal(item(t.text == "true"), t.pos);
      return parse_invocation();
    case token_kind::end: return error_at(t.pos, "unexpected end of expression");
    default: return parse_invocation();
    }
    return error_at(t.pos, "unexpected '" + t.text + "'");
  }

  result<node_ptr> parse_number() {
    const token& t = peek();
    const std::size_t pos = t.pos;
    const bool is_decimal = t.text.find('.') != std::string::npos;
    const long double value = std::strtold(t.text.c_str(), nullptr);
    item v = is_decimal ? item(decimal{value}) : item(static_cast<std::int64_t>(std::strtoll(t.text.c_str(), nullptr, 10)));
    // A quantity: a number followed by a unit string or a calendar keyword.
    const token& unit = peek(1);
    if (unit.kind == token_kind::string ||
        (unit.kind == token_kind::identifier && is_calendar_keyword(unit.text))) {
      quantity q{value, unit.kind == token_kind::string ? unit.text : normalize_unit(unit.text)};
      ++i_;
      return literal(item(std::move(q)), pos);
    }
    return literal(std::move(v), pos);
  }

  std::vector<token> t_;
  std::size_t i_ = 0;
};

} // namespace

namespace {

result<std::unique_ptr<node>> parse_text(std::string_view text) {
  auto tokens = tokenize(text);
  if (!tokens) return tokens.error();
  parser p(std::move(*tokens));
  return p.parse_all();
}

// Drops a leading `Type.` from each top-level union branch (compile_for_resource).
void start_at_members(node& n, std::string_view type) {
  if (n.kind == node_kind::binary && n.op == binary_op::union_ && n.target && n.right) {
    start_at_members(*n.target, type);
    start_at_members(*n.right, type);
    return;
  }
  // Down the chain of inputs (never into arguments, which have their own focus).
  node* parent = nullptr;
  node* cur = &n;
  while (cur->target && (cur->kind == node_kind::member || cur->kind == node_kind::function ||
                         cur->kind == node_kind::indexer || cur->kind == node_kind::as_type ||
                         cur->kind == node_kind::is_type)) {
    parent = cur;
    cur = cur->target.get();
  }
  if (parent && cur->kind == node_kind::member &&
      (cur->name == type || cur->name == "Resource" || cur->name == "DomainResource"))
    parent->target.reset(); // parent now reads from $this, the resource
}

} // namespace

result<expression> compile(std::string_view text) {
  auto root = parse_text(text);
  if (!root) return root.error();
  return expression(std::shared_ptr<const node>(std::move(*root)), std::string(text));
}

result<expression> compile_for_resource(std::string_view text, std::string_view type) {
  auto root = parse_text(text);
  if (!root) return root.error();
  start_at_members(**root, type);
  return expression(std::shared_ptr<const node>(std::move(*root)), std::string(text));
}

} // namespace atrium::fhir::fhirpath
