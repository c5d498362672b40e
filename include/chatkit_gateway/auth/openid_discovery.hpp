// OpenID Connect discovery (OpenID Connect Discovery 1.0 section 4), the
// pure part: where an issuer's metadata lives, and the jwks_uri it names
// once the document has been checked (docs/auth.md). The fetching is done
// by upstream/jwks_fetcher.cpp.
#pragma once

#include "chatkit_gateway/core/result.hpp"

#include <string>
#include <string_view>

namespace ckg::auth {

// `<issuer without trailing "/">/.well-known/openid-configuration`.
std::string discovery_url(std::string_view issuer);

// The document's jwks_uri. Fails (with a reason for the log) unless the
// document is a JSON object whose "issuer" equals `configured_issuer`
// exactly (section 4.3: no normalisation, a trailing "/" counts) and whose
// "jwks_uri" is an https:// URL with a host and no user info.
result<std::string> jwks_uri_from_metadata(std::string_view document,
                                           std::string_view configured_issuer);

}  // namespace ckg::auth
