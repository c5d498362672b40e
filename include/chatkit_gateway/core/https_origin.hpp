// Where an https:// URL's connections go, as the upstream client needs it:
// the host (an IPv6 address without its brackets) and the port. One check
// for every URL the gateway connects to: upstream.base_url and jwks_url at
// load, an OpenID jwks_uri when it is learnt (docs/operations.md).
#pragma once

#include <boost/url/url_view.hpp>

#include <optional>
#include <string>

namespace ckg {

struct https_origin {
    std::string host;  // a host name, an IPv4 address, or an IPv6 address without brackets
    std::string port;  // "443" when the URL names none
};

// nullopt unless the scheme is https, there is no user info or fragment,
// the port (if any) is 1..65535, and the host is an IP address or a plain
// name of letters, digits, '-', '.' and '_' — a percent-encoded host could
// decode to anything (CR LF included) and is refused, not decoded.
std::optional<https_origin> https_origin_of(const boost::urls::url_view& url);

}  // namespace ckg
