#pragma once
// HTTP requests and responses as plain values, so that routing and the
// services' HTTP mapping stay independent of Beast (which lives in one
// translation unit: actors/edge/http_server.cpp).
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace atrium::http {

struct request {
  std::string method; // "GET"
  std::string target; // "/default/fhir/Patient?name=x"
  std::vector<std::pair<std::string, std::string>> headers; // names lowercase
  std::string body;

  std::optional<std::string_view> header(std::string_view lowercase_name) const {
    for (auto& [k, v] : headers)
      if (k == lowercase_name)
        return std::string_view{v};
    return std::nullopt;
  }
};

struct response {
  unsigned status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  void add_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

/// Delivers the response for one request. Callable from any thread, once.
using responder = std::function<void(response)>;
/// Handles one request; must not block (answer through the responder).
using handler = std::function<void(request&&, responder)>;
/// Renders an error found before a request reaches its handler (413, 429,
/// 400 for an unparsable request) in the format of the API at `target`.
using error_renderer = std::function<response(std::string_view target, unsigned status,
                                              std::string_view message)>;

} // namespace atrium::http
