#include <catch2/catch.hpp>

#include "protocols/http/preconditions.hpp"
#include "protocols/http/query.hpp"

using namespace atrium::http;

TEST_CASE("percent_decode") {
  CHECK(percent_decode("a%20b%2Fc", false) == "a b/c");
  CHECK(percent_decode("a+b", false) == "a+b");
  CHECK(percent_decode("a+b%2B", true) == "a b+");
  CHECK(percent_decode("%e2%9C%93", false) == "\xe2\x9c\x93");
  CHECK(percent_decode("", true) == "");
  CHECK_FALSE(percent_decode("%zz", true));
  CHECK_FALSE(percent_decode("%2", true));
  CHECK_FALSE(percent_decode("abc%", true));
  CHECK_FALSE(percent_decode("%g0", false));
}

TEST_CASE("parse_query keeps order and repeats") {
  const auto q = parse_query("name=Doe&birthdate=ge2000&name=Jo+Ann&_count&&x=a%3Db=c&=v");
  REQUIRE(q);
  const query_params expected = {{"name", "Doe"}, {"birthdate", "ge2000"}, {"name", "Jo Ann"},
                                 {"_count", ""},  {"x", "a=b=c"},         {"", "v"}};
  CHECK(*q == expected);
  CHECK(find_param(*q, "name") == "Doe");
  CHECK(find_param(*q, "_count") == "");
  CHECK_FALSE(find_param(*q, "missing"));
  CHECK(parse_query("")->empty());
  CHECK(parse_query("&&")->empty());
}

TEST_CASE("parse_query refuses malformed escapes") {
  CHECK_FALSE(parse_query("a=1&b=%zz"));
  CHECK_FALSE(parse_query("%zz=1"));
  CHECK_FALSE(parse_query("a=%4"));
}

TEST_CASE("split_target and split_path") {
  using pair = std::pair<std::string_view, std::string_view>;
  CHECK(split_target("/fhir/Patient?name=x&y") == pair{"/fhir/Patient", "name=x&y"});
  CHECK(split_target("/fhir/Patient") == pair{"/fhir/Patient", ""});
  CHECK(split_target("/fhir/Patient?") == pair{"/fhir/Patient", ""});
  CHECK(split_target("/a?b?c") == pair{"/a", "b?c"});

  using segments = std::vector<std::string>;
  CHECK(split_path("/a//b/") == segments{"a", "b"});
  CHECK(split_path("/fhir/Patient/p%201+2") == segments{"fhir", "Patient", "p 1+2"});
  CHECK(split_path("/") == segments{});
  CHECK(split_path("") == segments{});
  CHECK_FALSE(split_path("/fhir/%zz"));
}

TEST_CASE("percent_encode keeps unreserved characters and round-trips") {
  using atrium::http::percent_decode;
  using atrium::http::percent_encode;
  CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(percent_encode("2026-11-26T14:00:00+02:00") == "2026-11-26T14%3A00%3A00%2B02%3A00");
  CHECK(percent_encode("a b&c=d/é") == "a%20b%26c%3Dd%2F%C3%A9");
  std::string all;
  for (int c = 0; c < 256; ++c)
    all.push_back(static_cast<char>(c));
  CHECK(percent_decode(percent_encode(all), false) == all);
}

TEST_CASE("If-None-Match names a tag weakly, in a list, or by *") {
  CHECK(none_match_names(R"(W/"3")", R"(W/"3")"));
  CHECK(none_match_names(R"("3")", R"(W/"3")")); // weak comparison
  CHECK(none_match_names(R"(W/"3")", R"("3")"));
  CHECK(none_match_names(R"("x", W/"7" , "3")", R"(W/"7")"));
  CHECK(none_match_names("*", R"("anything")"));
  CHECK_FALSE(none_match_names(R"(W/"3")", R"(W/"33")"));
  CHECK_FALSE(none_match_names(R"("3", "4")", R"("5")"));
  CHECK_FALSE(none_match_names("", R"("5")"));
}

TEST_CASE("find_param_nocase and without_param") {
  const query_params q{{"includeMetadata", "false"}, {"limit", "2"}};
  CHECK(find_param_nocase(q, "includemetadata") == "false");
  CHECK(find_param_nocase(q, "LIMIT") == "2");
  CHECK_FALSE(find_param_nocase(q, "offset"));
  CHECK(without_param("identifier=a%7Cb&hardDelete=true&_count=5", "hardDelete") ==
        "identifier=a%7Cb&_count=5");
  CHECK(without_param("hardDelete=true", "hardDelete").empty());
}
