// Request-smuggling defence (RFC 9112 section 6.3). Beast 1.81 does not
// refuse ambiguous framing itself, so a request with Content-Length and
// Transfer-Encoding, a Transfer-Encoding other than exactly "chunked", or
// Transfer-Encoding on HTTP/1.0 is refused with 400 before its body is read.
#pragma once

#include "chatkit_gateway/http/handler.hpp"

namespace ckg::http_server {

bool has_ambiguous_framing(const http::request_header<>& header) noexcept;

}  // namespace ckg::http_server
