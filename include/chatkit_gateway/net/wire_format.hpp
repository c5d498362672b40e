// HTTP/1.1 messages as the bytes that go on the wire, in one buffer: the
// start line, the fields as they are, an empty line and the body. Writing
// that buffer is one TLS record and one send, without Beast's serializer
// and its chain of buffer-sequence write operations (visible in profiles of
// the mint path). The message must already be prepared (prepare_payload:
// Content-Length and the keep-alive fields set); chunked bodies are not
// supported (the service never sends them).
#pragma once

#include "chatkit_gateway/core/asio.hpp"

#include <string>

namespace ckg::transport {

// Replaces `out` with the wire form of `res` / `req` (its capacity is reused).
// `extra_fields`: header lines ("Name: value\r\n" each, already safe) sent
// after the message's own fields, for headers every reply carries.
void to_wire(const http::response<http::string_body>& res, std::string& out,
             std::string_view extra_fields = {});
void to_wire(const http::request<http::string_body>& req, std::string& out);

}  // namespace ckg::transport
