// libFuzzer target: a STOW-RS request body part, as parse_instance sees it.
// Also runs what the DICOM service does next with a parsed instance: the
// stored DICOM JSON, parsed back by QIDO/WADO, and the per-attribute values
// the study index keeps.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "protocols/dicom/instance.hpp"
#include "protocols/dicom/qido.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace atrium::dicom;
  auto parsed = parse_instance({reinterpret_cast<const char*>(data), size});
  auto* i = std::get_if<instance>(&parsed);
  if (!i)
    return 0;
  /// The metadata we store must read back whole: an attribute whose JSON
  /// simdjson refuses would empty the instance's metadata for every reader.
  auto back = parse_dataset(dataset_json(i->attributes));
  if (back.size() != i->attributes.size())
    __builtin_trap();
  for (auto& a : i->attributes)
    (void)first_value_text(a);
  return 0;
}
