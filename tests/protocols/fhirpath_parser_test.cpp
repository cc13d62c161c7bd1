#include <catch2/catch.hpp>

#include "fhirpath_test_support.hpp"
#include "protocols/fhir/fhirpath/lexer.hpp"
#include "protocols/fhir/fhirpath/parser.hpp"

using namespace atrium;
using namespace atrium::fhir::fhirpath;
using namespace fhirpath_test;

namespace {

std::vector<std::string> kinds_and_texts(std::string_view text) {
  auto t = tokenize(text);
  if (!t) FAIL("tokenize failed: " << t.error().message());
  std::vector<std::string> out;
  for (const auto& tok : *t) {
    switch (tok.kind) {
    case token_kind::identifier: out.push_back("id:" + tok.text); break;
    case token_kind::delimited_identifier: out.push_back("did:" + tok.text); break;
    case token_kind::string: out.push_back("str:" + tok.text); break;
    case token_kind::number: out.push_back("num:" + tok.text); break;
    case token_kind::date: out.push_back("date:" + tok.text); break;
    case token_kind::datetime: out.push_back("dt:" + tok.text); break;
    case token_kind::time: out.push_back("time:" + tok.text); break;
    case token_kind::this_: case token_kind::index: case token_kind::total: out.push_back(tok.text); break;
    case token_kind::env: out.push_back("env:" + tok.text); break;
    case token_kind::symbol: out.push_back(tok.text); break;
    case token_kind::end: out.push_back("end"); break;
    }
  }
  return out;
}

// Renders the tree with explicit parentheses, to check precedence.
std::string show(const node* n) {
  if (!n) return "";
  switch (n->kind) {
  case node_kind::literal: return n->literal.empty() ? "{}" : to_text(n->literal[0]).value_or("?");
  case node_kind::member: return n->target ? show(n->target.get()) + "." + n->name : n->name;
  case node_kind::function: {
    std::string s = (n->target ? show(n->target.get()) + "." : "") + n->name + "(" + n->type;
    for (std::size_t i = 0; i < n->args.size(); ++i) s += (i ? "," : "") + show(n->args[i].get());
    return s + ")";
  }
  case node_kind::this_: return "$this";
  case node_kind::index: return "$index";
  case node_kind::total: return "$total";
  case node_kind::env: return "%" + n->name;
  case node_kind::indexer: return show(n->target.get()) + "[" + show(n->right.get()) + "]";
  case node_kind::negate: return "(-" + show(n->target.get()) + ")";
  case node_kind::is_type: return "(" + show(n->target.get()) + " is " + n->type + ")";
  case node_kind::as_type: return "(" + show(n->target.get()) + " as " + n->type + ")";
  case node_kind::binary: {
    static const char* ops[] = {"*", "/", "div", "mod", "+", "-", "&", "|", "<", "<=", ">", ">=",
                                "=", "!=", "~", "!~", "in", "contains", "and", "or", "xor", "implies"};
    return "(" + show(n->target.get()) + " " + ops[static_cast<int>(n->op)] + " " +
           show(n->right.get()) + ")";
  }
  }
  return "?";
}

std::string parsed(std::string_view text) {
  auto e = compile(text);
  if (!e) FAIL(text << ": " << e.error().message() << " at " << e.error().where());
  return show(e->root());
}

} // namespace

TEST_CASE("lexer: identifiers, strings, numbers and symbols", "[fhirpath]") {
  CHECK(kinds_and_texts("Patient.name.where(given = 'Jo\\'n')") ==
        std::vector<std::string>{"id:Patient", ".", "id:name", ".", "id:where", "(", "id:given", "=",
                                 "str:Jo'n", ")", "end"});
  CHECK(kinds_and_texts("`div`.x != 1.5 <= 2 !~ 3") ==
        std::vector<std::string>{"did:div", ".", "id:x", "!=", "num:1.5", "<=", "num:2", "!~", "num:3", "end"});
  CHECK(kinds_and_texts("'\\u00e9\\n\\t\\\\'") == std::vector<std::string>{"str:\xC3\xA9\n\t\\", "end"});
  CHECK(kinds_and_texts("$this $index $total %resource %`vs-x` %ext-foo") ==
        std::vector<std::string>{"$this", "$index", "$total", "env:resource", "env:vs-x", "env:ext-foo", "end"});
  CHECK(kinds_and_texts("a // comment\n + /* block */ b") ==
        std::vector<std::string>{"id:a", "+", "id:b", "end"});
  CHECK(kinds_and_texts("{} | 4 'mg'") == std::vector<std::string>{"{", "}", "|", "num:4", "str:mg", "end"});
}

TEST_CASE("lexer: date, dateTime and time literals", "[fhirpath]") {
  CHECK(kinds_and_texts("@2020") == std::vector<std::string>{"date:2020", "end"});
  CHECK(kinds_and_texts("@2020-01-02 - 1 day") ==
        std::vector<std::string>{"date:2020-01-02", "-", "num:1", "id:day", "end"});
  CHECK(kinds_and_texts("@2020-01-02T10:30:00.123+01:00") ==
        std::vector<std::string>{"dt:2020-01-02T10:30:00.123+01:00", "end"});
  CHECK(kinds_and_texts("@2015-02-04T") == std::vector<std::string>{"dt:2015-02-04T", "end"});
  CHECK(kinds_and_texts("@2020-01-02T10Z") == std::vector<std::string>{"dt:2020-01-02T10Z", "end"});
  CHECK(kinds_and_texts("@T14:30") == std::vector<std::string>{"time:14:30", "end"});
}

TEST_CASE("lexer: errors carry an offset", "[fhirpath]") {
  auto t = tokenize("name = 'open");
  REQUIRE_FALSE(t);
  CHECK(t.error().code() == errc::invalid);
  CHECK(t.error().where() == "offset 7");
  CHECK_FALSE(tokenize("a ^ b"));
  CHECK_FALSE(tokenize("'\\q'"));
  CHECK_FALSE(tokenize("$that"));
}

TEST_CASE("parser: precedence follows the specification", "[fhirpath]") {
  CHECK(parsed("1 + 2 * 3") == "(1 + (2 * 3))");
  CHECK(parsed("1 - 2 - 3") == "((1 - 2) - 3)");
  CHECK(parsed("a | b = c") == "((a | b) = c)");
  CHECK(parsed("a < b = c > d") == "((a < b) = (c > d))");
  CHECK(parsed("a = b and c or d implies e") == "((((a = b) and c) or d) implies e)");
  CHECK(parsed("a xor b and c") == "(a xor (b and c))");
  CHECK(parsed("a in b and c contains d") == "((a in b) and (c contains d))");
  CHECK(parsed("a + b is Integer") == "((a + b) is Integer)");
  CHECK(parsed("x is FHIR.Quantity | y") == "((x is FHIR.Quantity) | y)");
  CHECK(parsed("-a.b * 2") == "((-a.b) * 2)");
  CHECK(parsed("-5 div 2 mod 3") == "((-5 div 2) mod 3)");
  CHECK(parsed("'a' & 'b' + 'c'") == "((a & b) + c)");
  CHECK(parsed("Patient.name[0].given") == "Patient.name[0].given");
  CHECK(parsed("(a | b).count()") == "(a | b).count()");
  CHECK(parsed("value.ofType(Quantity)") == "value.ofType(Quantity)");
  CHECK(parsed("text.div") == "text.div");
  CHECK(parsed("where(resolve() is Patient)") == "where((resolve() is Patient))");
  CHECK(parsed("{}") == "{}");
  CHECK(parsed("iif(a, 'x', 'y')") == "iif(a,x,y)");
}

TEST_CASE("parser: literals", "[fhirpath]") {
  auto lit = [](std::string_view text) {
    auto e = compile(text);
    REQUIRE(e);
    REQUIRE(e->root()->kind == node_kind::literal);
    return e->root()->literal;
  };
  CHECK(std::get<std::int64_t>(lit("42")[0].v) == 42);
  CHECK(std::get<std::int64_t>(lit("-42")[0].v) == -42);
  CHECK(std::get<decimal>(lit("3.25")[0].v).value == 3.25L);
  CHECK(std::get<bool>(lit("true")[0].v));
  CHECK(std::get<quantity>(lit("4 'mg'")[0].v).unit == "mg");
  CHECK(std::get<quantity>(lit("2 years")[0].v).unit == "year");
  auto dt = std::get<temporal>(lit("@2020-03-04T05:06:07.890Z")[0].v);
  CHECK(dt.kind == temporal_kind::datetime);
  CHECK(dt.prec == precision::millisecond);
  CHECK(dt.millis == 890);
  CHECK(dt.has_tz);
  CHECK(std::get<temporal>(lit("@2020-03")[0].v).prec == precision::month);
  CHECK(std::get<temporal>(lit("@T10:00")[0].v).kind == temporal_kind::time);
}

TEST_CASE("parser: errors", "[fhirpath]") {
  auto err = [](std::string_view text) {
    auto e = compile(text);
    REQUIRE_FALSE(e);
    CHECK(e.error().code() == errc::invalid);
    return e.error();
  };
  CHECK(err("Patient.name.frobnicate()").message().find("frobnicate") != std::string::npos);
  CHECK(err("Patient.name.where()").message().find("argument") != std::string::npos);
  CHECK(err("Patient.name.first(1)").where() == "offset 13");
  err("Patient.").ignore();
  err("(a").ignore();
  err("a b").ignore();
  err("@2020-13-01").ignore();
  err("1 +").ignore();
  err("a is").ignore();
}

TEST_CASE("compile once, evaluate many times", "[fhirpath]") {
  auto e = compile("Patient.name.given.first()");
  REQUIRE(e);
  const json_doc a(R"({"resourceType":"Patient","name":[{"given":["Ann","Beth"]}]})");
  const json_doc b(R"({"resourceType":"Patient","name":[{"given":["Cid"]}]})");
  auto ra = evaluate(*e, a.root);
  auto rb = evaluate(*e, b.root);
  REQUIRE(ra);
  REQUIRE(rb);
  CHECK(texts(*ra) == std::vector<std::string>{"Ann"});
  CHECK(texts(*rb) == std::vector<std::string>{"Cid"});
  expression copy = *e;
  CHECK(copy.text() == "Patient.name.given.first()");
}
