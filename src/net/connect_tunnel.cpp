#include "chatkit_gateway/net/connect_tunnel.hpp"

#include "chatkit_gateway/net/message_reader.hpp"
#include "chatkit_gateway/net/reply_parser.hpp"

#include <algorithm>

namespace ckg::transport {

std::string tunnel_authority(std::string_view host, std::string_view port) {
    const bool ipv6 = host.find(':') != std::string_view::npos;
    const bool clean = !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_' || c == ':';
    });
    const bool numeric_port =
        !port.empty() && port.size() <= 5 &&
        std::all_of(port.begin(), port.end(), [](unsigned char c) { return c >= '0' && c <= '9'; });
    if (!clean || !numeric_port) return {};
    std::string authority;
    if (ipv6)
        authority.append("[").append(host).append("]");
    else
        authority.append(host);
    return authority.append(":").append(port);
}

net::awaitable<tunnel_result> open_connect_tunnel(beast::tcp_stream& proxy, std::string_view host,
                                                  std::string_view port) {
    tunnel_result r;
    const auto authority = tunnel_authority(host, port);
    if (authority.empty()) {
        r.outcome = tunnel_outcome::bad_origin;
        co_return r;
    }
    const std::string request =
        "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n";
    auto [wec, wn] = co_await net::async_write(proxy, net::buffer(request), nothrow_awaitable);
    if (wec) co_return r;  // no_answer

    // Only the header is read: a 2xx answer to CONNECT has no body (its
    // framing headers are ignored, RFC 9110 section 9.3.6), and after any
    // other answer the connection is closed unread.
    message_reader reader(max_tunnel_answer_bytes);
    reply_parser parser;
    parser.header_limit(static_cast<std::uint32_t>(max_tunnel_answer_bytes));
    reader.start_message();
    const auto ec = co_await reader.read(proxy, parser, true);
    if (ec) {
        // Beast's HTTP errors other than an early close mean the proxy
        // answered something that is not a bounded HTTP reply.
        const bool http_error =
            ec.category() == http::make_error_code(http::error::bad_version).category();
        const bool closed = ec == http::error::end_of_stream || ec == http::error::partial_message;
        r.outcome = http_error && !closed ? tunnel_outcome::malformed : tunnel_outcome::no_answer;
        co_return r;
    }
    r.status = parser.status();
    if (r.status < 200 || r.status > 299) {
        r.outcome = tunnel_outcome::refused;
        co_return r;
    }
    // The origin speaks first only after our ClientHello: a byte already
    // here did not come from it.
    r.outcome = reader.buffered() == 0 ? tunnel_outcome::open : tunnel_outcome::malformed;
    co_return r;
}

}  // namespace ckg::transport
