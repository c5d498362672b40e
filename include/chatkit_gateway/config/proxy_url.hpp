// The one form of an egress proxy address the gateway accepts,
// `http://host:port` (docs/operations.md, egress proxy): the configuration
// key upstream.proxy_url and the HTTPS_PROXY / https_proxy variables. The
// connection to the proxy is plain HTTP carrying a CONNECT tunnel; TLS to
// the upstream runs inside it, end to end.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ckg::config {

struct proxy_endpoint {
    std::string host;  // a DNS name, an IPv4 address, or an IPv6 address without brackets
    std::string port;  // 1..65535, digits only
    bool operator==(const proxy_endpoint&) const = default;
};

// nullopt unless `url` is `http://host:port` with an optional trailing "/":
// no user info (a proxy password would sit in a file or a log), no path,
// query or fragment, a port given explicitly. The scheme is
// case-insensitive; IPv6 hosts are bracketed ("http://[::1]:3128").
std::optional<proxy_endpoint> parse_proxy_url(std::string_view url);

}  // namespace ckg::config
