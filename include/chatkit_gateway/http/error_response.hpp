// The ONE mapping from ckg::errc to an HTTP status, the public error code and
// a fixed human sentence (SPEC section 2, "Errors"). Detail about what went
// wrong goes to the log only, never into the body.
#pragma once

#include "chatkit_gateway/core/errc.hpp"
#include "chatkit_gateway/http/handler.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace ckg::http_server {

struct api_error {
    errc code = errc::internal_error;
    std::string log_detail;                         // for the log line only
    std::optional<std::chrono::seconds> retry_after;  // 429 and 503 (default 1 s)
    std::string allow;                              // 405
    // Replaces the fixed sentence when set: a 400 that names its problem
    // (admin API). Never holds secrets or peer-controlled bytes beyond names.
    std::string public_message;
};

http::status status_of(errc code) noexcept;

// Builds the complete error response: status, JSON body and the headers the
// code requires (WWW-Authenticate, Allow, Retry-After).
response make_error_response(const api_error& error, unsigned http_version);
reply make_error_reply(const api_error& error, unsigned http_version);

// A JSON response with the SPEC content type.
response make_json_response(http::status status, const boost::json::value& body, unsigned http_version);
// The same with the body already serialized.
response make_json_response(http::status status, std::string json_text, unsigned http_version);

}  // namespace ckg::http_server
