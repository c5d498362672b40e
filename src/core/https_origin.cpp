#include "chatkit_gateway/core/https_origin.hpp"

#include "chatkit_gateway/core/port_number.hpp"

#include <algorithm>

namespace ckg {
namespace {

bool is_plain_name(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '.' || c == '_';
    });
}

}  // namespace

std::optional<https_origin> https_origin_of(const boost::urls::url_view& url) {
    if (url.scheme() != "https" || url.has_userinfo() || url.has_fragment()) return std::nullopt;
    // Boost.URL 1.81 reads "https://127.0.0.1%3a8787/v1" as host 127.0.0.1
    // with "%3a8787/v1" as the path: no percent sign anywhere in the
    // authority, and a path that is a path.
    if (url.encoded_authority().find('%') != boost::core::string_view::npos) return std::nullopt;
    if (!url.encoded_path().empty() && !url.encoded_path().starts_with('/')) return std::nullopt;
    https_origin o;
    switch (url.host_type()) {
        case boost::urls::host_type::ipv4:
            o.host = url.host_ipv4_address().to_string();
            break;
        case boost::urls::host_type::ipv6:
            o.host = url.host_ipv6_address().to_string();
            break;
        case boost::urls::host_type::name:
            if (!is_plain_name(url.encoded_host())) return std::nullopt;
            o.host = std::string(url.encoded_host());
            break;
        default:  // none, IPvFuture
            return std::nullopt;
    }
    o.port = "443";
    if (url.has_port() && !url.port().empty()) {
        const auto port = port_number(url.port());
        if (!port) return std::nullopt;
        o.port = std::to_string(*port);
    }
    return o;
}

}  // namespace ckg
