// libFuzzer target: a resource body as a client writes it. The first line
// of the input is the URL's type (empty: Patient), the rest the body. What
// prepare_resource accepts must render into a resource it accepts again,
// unchanged but for version and time, as an update by the same id.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocols/fhir/resource_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace atrium::fhir;
  std::string_view input{reinterpret_cast<const char*>(data), size};
  const auto eol = input.find('\n');
  std::string_view type = input.substr(0, eol);
  if (type.empty() || eol == std::string_view::npos) type = "Patient";
  const std::string_view body = eol == std::string_view::npos ? input : input.substr(eol + 1);

  auto prepared = prepare_resource(body, type, "fuzz-1", id_rule::replace);
  if (!prepared) return 0;
  const std::string stored = render_resource(*prepared, 1, 0);
  auto again = prepare_resource(stored, type, "fuzz-1", id_rule::must_match);
  if (!again) std::abort(); // what was stored would be refused as an update
  if (render_resource(*again, 1, 0) != stored) std::abort();
  return 0;
}
