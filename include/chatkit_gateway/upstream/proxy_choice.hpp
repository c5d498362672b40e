// Which connections go through an egress proxy (docs/operations.md, egress
// proxy), decided once per origin when its client is made:
//   upstream.proxy_url set   every upstream, JWKS and discovery connection
//                            goes through it; NO_PROXY does not apply;
//   otherwise                HTTPS_PROXY (or https_proxy) when set, except
//                            for hosts NO_PROXY (or no_proxy) matches.
// Pure: the environment was read at load; nothing is resolved or connected here.
#pragma once

#include "chatkit_gateway/config/config.hpp"
#include "chatkit_gateway/config/proxy_url.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckg::upstream {

// A NO_PROXY list: comma-separated entries, each a host name (exact), a
// domain suffix (".example.com" or "example.com": the domain and its
// subdomains, never "badexample.com"), an IP address (IPv6 with or without
// brackets, compared as addresses), or "*" (every host). Case-insensitive;
// spaces around entries and a trailing dot on names are ignored, empty
// entries skipped. Entries of any other form (a CIDR range, "host:port")
// match nothing rather than too much.
class no_proxy_list {
public:
    static no_proxy_list parse(std::string_view list);

    // Whether connections to `host` (a name or an IP address, IPv6 with or
    // without brackets) bypass the proxy.
    bool matches(std::string_view host) const;

private:
    bool everything_ = false;
    std::vector<std::string> names_;      // lower case, no leading or trailing dot
    std::vector<std::string> addresses_;  // canonical text of IP addresses
};

// Why a connection takes the route it takes (for the start-up log line).
enum class proxy_source { none, configuration, environment, bypassed_by_no_proxy };

struct proxy_choice {
    std::optional<config::proxy_endpoint> proxy;  // nullopt: connect directly
    proxy_source source = proxy_source::none;
};

// The route to `host`: upstream.proxy_url when set, else the environment's
// proxy unless NO_PROXY matches `host` (both read and validated at load,
// config/config_loader.hpp).
proxy_choice choose_proxy(const config::upstream_config& u, std::string_view host);

// choose_proxy's proxy, after logging the route once ("egress route" line:
// the host, direct or through which proxy, and why).
std::optional<config::proxy_endpoint> route_to(const config::upstream_config& u,
                                               std::string_view host);

}  // namespace ckg::upstream
