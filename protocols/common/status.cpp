#include "protocols/common/status.hpp"

namespace atrium {

const char* errc_name(errc code) noexcept {
  switch (code) {
    case errc::ok: return "ok";
    case errc::invalid: return "invalid";
    case errc::not_found: return "not_found";
    case errc::method_not_allowed: return "method_not_allowed";
    case errc::not_acceptable: return "not_acceptable";
    case errc::conflict: return "conflict";
    case errc::gone: return "gone";
    case errc::precondition_failed: return "precondition_failed";
    case errc::too_large: return "too_large";
    case errc::unsupported_media: return "unsupported_media";
    case errc::unprocessable: return "unprocessable";
    case errc::too_many_requests: return "too_many_requests";
    case errc::not_implemented: return "not_implemented";
    case errc::unavailable: return "unavailable";
    case errc::timeout: return "timeout";
    case errc::io_error: return "io_error";
    case errc::internal: return "internal";
  }
  return "unknown";
}

} // namespace atrium
