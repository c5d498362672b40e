#include "chatkit_gateway/config/proxy_url.hpp"

#include "chatkit_gateway/core/ascii.hpp"

#include "chatkit_gateway/core/port_number.hpp"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ckg::config {
namespace {

// A DNS name (letters, digits, hyphens and dots; labels of 1..63) or a
// dotted IPv4 address: nothing a URL parser could read two ways.
bool is_host_name(std::string_view host) {
    if (host.empty() || host.size() > 253) return false;
    std::size_t label = 0;
    for (const char c : host) {
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
            continue;
        }
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
        if (++label > 63) return false;
    }
    return label != 0;
}

}  // namespace

std::optional<proxy_endpoint> parse_proxy_url(std::string_view url) {
    constexpr std::string_view scheme = "http://";
    if (url.size() < scheme.size() || !iequals_ascii(url.substr(0, scheme.size()), scheme))
        return std::nullopt;
    auto authority = url.substr(scheme.size());
    if (authority.ends_with('/')) authority.remove_suffix(1);
    std::string_view host, port;
    if (authority.starts_with('[')) {
        const auto close = authority.find(']');
        if (close == std::string_view::npos || authority.substr(close + 1, 1) != ":")
            return std::nullopt;
        host = authority.substr(1, close - 1);
        port = authority.substr(close + 2);
        boost::system::error_code ec;
        const auto address = boost::asio::ip::make_address_v6(std::string(host), ec);
        if (ec || address.scope_id() != 0) return std::nullopt;
    } else {
        const auto colon = authority.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
        if (!is_host_name(host)) return std::nullopt;
    }
    if (!port_number(port)) return std::nullopt;
    return proxy_endpoint{std::string(host), std::string(port)};
}

}  // namespace ckg::config
