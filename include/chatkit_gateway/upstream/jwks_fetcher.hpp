// Fetches JWKS documents over HTTPS (never plain HTTP), one pooled client per
// issuer, trusting jwks_ca_file or the system store: from jwks_url, or for
// discovery issuers from the jwks_uri of their OpenID metadata (read at the
// first fetch and on every rediscovery, docs/auth.md). Plugs into
// auth::jwks_refresher as its fetch function.
#pragma once

#include "chatkit_gateway/auth/jwks_refresher.hpp"
#include "chatkit_gateway/config/config.hpp"

namespace ckg::upstream {

// `upstream` supplies connect and request timeouts and the egress proxy
// settings (it must outlive the fetcher). Throws config_error
// naming auth.issuers[i].jwks_ca_file when that file does not load.
auth::jwks_refresher::fetch_fn make_jwks_fetcher(net::io_context& ioc,
                                                 const config::auth_config& auth,
                                                 const config::upstream_config& upstream);

}  // namespace ckg::upstream
