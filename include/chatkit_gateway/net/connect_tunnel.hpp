// The HTTP CONNECT exchange with an egress proxy (RFC 9110 section 9.3.6),
// on a TCP connection to the proxy that is already open: the request names
// the origin, the proxy's answer is read with the shared bounded
// message_reader, and on a 2xx the connection is a byte tunnel to the origin
// in which the caller's TLS runs end to end (docs/operations.md, egress
// proxy). The proxy only ever sees the origin's name and port.
#pragma once

#include "chatkit_gateway/core/asio.hpp"
#include "chatkit_gateway/net/message_reader.hpp"
#include "chatkit_gateway/net/reply_parser.hpp"

#include <string>
#include <string_view>

namespace ckg::transport {

// How the CONNECT exchange ended.
enum class tunnel_outcome {
    open,       // 2xx: the connection now carries bytes to the origin
    refused,    // a well-formed non-2xx answer (status says which)
    malformed,  // an answer that is not HTTP, too large, or bytes after the 2xx
    no_answer,  // closed, reset or timed out before a whole answer
    bad_origin  // the origin's name cannot be written in a request line
};

struct tunnel_result {
    tunnel_outcome outcome = tunnel_outcome::no_answer;
    unsigned status = 0;  // the proxy's status when it answered
};

// The largest proxy answer read; proxies answer CONNECT with a short header.
inline constexpr std::size_t max_tunnel_answer_bytes = 16 * 1024;

// The request-target "host:port" (IPv6 bracketed), or "" when `host` holds
// anything but letters, digits, '-', '.', '_' or an IPv6 address's ':'
// (a name taken from a peer's document must not inject header lines).
std::string tunnel_authority(std::string_view host, std::string_view port);

// Sends CONNECT for host:port on `proxy` and reads the answer. The caller's
// deadline on `proxy` (expires_at) bounds the whole exchange.
net::awaitable<tunnel_result> open_connect_tunnel(beast::tcp_stream& proxy, std::string_view host,
                                                  std::string_view port);

// What the proxy's answer comes to, once `reader` has read its header into
// `parser` (`ec`: how that read ended). Separate for the fuzz target.
tunnel_result tunnel_answer(const beast::error_code& ec, const reply_parser& parser,
                            const message_reader& reader);

}  // namespace ckg::transport
