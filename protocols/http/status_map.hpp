#pragma once
// The one place that turns an error code into an HTTP status.
#include "protocols/common/status.hpp"

namespace atrium::http {

unsigned status_for(errc code) noexcept;
/// The standard reason phrase ("Not Found").
const char* reason_phrase(unsigned status) noexcept;

} // namespace atrium::http
