#include "chatkit_gateway/net/connect_tunnel.hpp"

namespace ckg::transport {

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
    co_return tunnel_answer(ec, parser, reader);
}

}  // namespace ckg::transport
