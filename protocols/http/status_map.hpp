#pragma once
// The one place that turns an error code into an HTTP status.
#include "protocols/common/status.hpp"

namespace atrium::http {

unsigned status_for(errc code) noexcept;
/// The error code an HTTP error status stands for (status_for's inverse;
/// internal for a status it does not map).
errc errc_for(unsigned status) noexcept;
/// The standard reason phrase ("Not Found").
const char* reason_phrase(unsigned status) noexcept;

} // namespace atrium::http
