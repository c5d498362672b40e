// The pure halves of the CONNECT exchange (net/connect_tunnel.hpp): the
// request-target and what the proxy's answer comes to. Apart from the
// coroutine so the fuzz target builds them alone.
#include "chatkit_gateway/net/connect_tunnel.hpp"

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

tunnel_result tunnel_answer(const beast::error_code& ec, const reply_parser& parser,
                            const message_reader& reader) {
    tunnel_result r;
    if (ec) {
        // Beast's HTTP errors other than an early close mean the proxy
        // answered something that is not a bounded HTTP reply.
        const bool http_error =
            ec.category() == http::make_error_code(http::error::bad_version).category();
        const bool closed = ec == http::error::end_of_stream || ec == http::error::partial_message;
        r.outcome = http_error && !closed ? tunnel_outcome::malformed : tunnel_outcome::no_answer;
        return r;
    }
    r.status = parser.status();
    if (r.status < 200 || r.status > 299) {
        r.outcome = tunnel_outcome::refused;
        return r;
    }
    // The origin speaks first only after our ClientHello: a byte already
    // here did not come from it.
    r.outcome = reader.buffered() == 0 ? tunnel_outcome::open : tunnel_outcome::malformed;
    return r;
}

}  // namespace ckg::transport
