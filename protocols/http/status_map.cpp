#include "protocols/http/status_map.hpp"

namespace atrium::http {

unsigned status_for(errc code) noexcept {
  switch (code) {
    case errc::ok: return 200;
    case errc::invalid: return 400;
    case errc::not_found: return 404;
    case errc::method_not_allowed: return 405;
    case errc::not_acceptable: return 406;
    case errc::conflict: return 409;
    case errc::gone: return 410;
    case errc::precondition_failed: return 412;
    case errc::too_large: return 413;
    case errc::unsupported_media: return 415;
    case errc::unprocessable: return 422;
    case errc::too_many_requests: return 429;
    case errc::not_implemented: return 501;
    case errc::unavailable: return 503;
    case errc::timeout: return 504;
    case errc::io_error:
    case errc::internal: return 500;
  }
  return 500;
}

errc errc_for(unsigned status) noexcept {
  switch (status) {
    case 400: return errc::invalid;
    case 404: return errc::not_found;
    case 405: return errc::method_not_allowed;
    case 406: return errc::not_acceptable;
    case 409: return errc::conflict;
    case 410: return errc::gone;
    case 412: return errc::precondition_failed;
    case 413: return errc::too_large;
    case 415: return errc::unsupported_media;
    case 422: return errc::unprocessable;
    case 429: return errc::too_many_requests;
    case 501: return errc::not_implemented;
    case 503: return errc::unavailable;
    case 504: return errc::timeout;
    default: return errc::internal;
  }
}

const char* reason_phrase(unsigned status) noexcept {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
  }
  return "Error";
}

/// errc for an HTTP status found before routing (edge-level errors).
} // namespace atrium::http
