// The ONE mapping from ckg::errc to an HTTP status, the public error code and
// a human sentence (docs/api.md, "Errors"). A request the caller can fix
// carries its own sentence and the parameter at fault; detail about anything
// else (why a token failed, what the upstream said) goes to the log only.
#pragma once

#include "chatkit_gateway/core/errc.hpp"
#include "chatkit_gateway/core/result.hpp"
#include "chatkit_gateway/http/handler.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace ckg::http_server {

struct api_error {
    errc code = errc::internal_error;
    std::string log_detail;                           // for the log line only
    std::optional<std::chrono::seconds> retry_after;  // 429 and 503 (default 1 s)
    std::string allow;                                // 405
    std::string message;                              // public; empty: the code's general sentence
    std::string param;  // 400: the field, query parameter or path segment at fault
};

// The error answer for a failure from another room, its public message and
// parameter kept.
api_error api_error_of(const failure& f);

http::status status_of(errc code) noexcept;

// Builds the complete error response: status, JSON body and the headers the
// code requires (WWW-Authenticate, Allow, Retry-After).
response make_error_response(const api_error& error, unsigned http_version);
reply make_error_reply(const api_error& error, unsigned http_version);

// A JSON response with the documented content type (docs/api.md).
response make_json_response(http::status status, const boost::json::value& body,
                            unsigned http_version);
// The same with the body already serialized.
response make_json_response(http::status status, std::string json_text, unsigned http_version);

}  // namespace ckg::http_server
