// Request-smuggling defence (RFC 9112 section 6.3). Beast 1.81 does not
// refuse ambiguous framing itself, so a request with Content-Length and
// Transfer-Encoding, a Transfer-Encoding other than exactly "chunked", or
// Transfer-Encoding on HTTP/1.0 is refused with 400 before its body is read.
#pragma once

#include "chatkit_gateway/http/handler.hpp"

namespace ckg::http_server {

bool has_ambiguous_framing(const http::request_header<>& header) noexcept;

// RFC 9112 section 3.2: an HTTP/1.1 request without a Host field, or any
// request with more than one, is refused with 400 (two could name two hosts
// to two readers of the same request).
bool has_bad_host(const http::request_header<>& header) noexcept;

}  // namespace ckg::http_server
