// Request-smuggling defence (RFC 9112 section 6.3). Beast 1.81 does not
// refuse ambiguous framing itself, so a request with Content-Length and
// Transfer-Encoding, a Transfer-Encoding other than exactly "chunked", or
// Transfer-Encoding on HTTP/1.0 is refused with 400 before its body is read.
#pragma once

#include "chatkit_gateway/http/handler.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace ckg::http_server {

bool has_ambiguous_framing(const http::request_header<>& header) noexcept;

// RFC 9112 section 3.2: an HTTP/1.1 request without a Host field, or any
// request with more than one, is refused with 400 (two could name two hosts
// to two readers of the same request).
bool has_bad_host(const http::request_header<>& header) noexcept;

// The request target in origin-form (a path starting with '/', and its
// query): an origin-form target as it is, or the path and query of an
// absolute-form one (RFC 9112 section 3.2.2: a server accepts it; its host
// is not used, as Host's is not): an http or https URI with a host and no
// user info, valid percent-encoding and no fragment; "" path is "/".
// nullopt for anything else (authority-form, asterisk-form, garbage): 400.
std::optional<std::string> origin_form_target(std::string_view target);

// The header's fields, kept while a chunked body is read: Beast adds the
// body's trailer fields to them, each next to a field of the same name when
// there is one (not at the end). nullopt for any other body: no trailer
// can follow.
std::optional<http::fields> fields_before_trailer(const http::request_header<>& header,
                                                  bool chunked);

// Puts the header's fields back once the body is read: a chunked body's
// trailer fields are not header fields (RFC 9110 section 6.5.1), so a
// credential, an Origin or a request id there is not the request's, and no
// trailer field takes a header field's place.
void drop_trailer_fields(http::request_header<>& header, std::optional<http::fields> before);

}  // namespace ckg::http_server
