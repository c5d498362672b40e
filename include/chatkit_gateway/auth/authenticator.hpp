// Authenticates a request's end user: finds the token, answers from the
// cache when it can, otherwise verifies it against the issuers' current keys
// and derives the upstream user id. Holds each issuer's key set as an
// immutable snapshot that reloads (SIGHUP) and JWKS refreshes replace whole.
#pragma once

#include "chatkit_gateway/auth/token_cache.hpp"
#include "chatkit_gateway/auth/token_verifier.hpp"
#include "chatkit_gateway/config/config.hpp"

#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

namespace ckg::auth {

// Keys from an issuer's local source (jwks_file, public_key_file or
// hmac_secret_env). Fails for a jwks_url issuer (fetched, not loaded) and
// for a file that does not parse into at least one usable key.
result<key_set> load_local_keys(const config::issuer_config& issuer);

class authenticator {
public:
    // Loads every local key source; throws config_error naming the issuer's
    // key path when one does not load. Both configs must outlive this object.
    authenticator(const config::auth_config& auth, const config::users_config& users);

    // `authorization` is the header's value (has_authorization: whether the
    // header was present at all); `cookie_header` the Cookie header's value.
    result<std::shared_ptr<const authenticated_user>> authenticate(std::string_view authorization,
                                                                   bool has_authorization,
                                                                   std::string_view cookie_header,
                                                                   std::int64_t now);

    // Re-reads local key files; an issuer whose file does not load keeps its
    // keys. Returns one line per failure, for the log.
    std::vector<std::string> reload_local_keys();
    void replace_keys(std::size_t issuer_index, std::shared_ptr<const key_set> keys);
    // True when every issuer has keys (jwks_url issuers after their first fetch).
    bool keys_loaded() const;
    // The configured issuer a token claims to come from (unverified), if any.
    std::optional<std::size_t> issuer_index_of(std::string_view token) const;

private:
    std::shared_ptr<const std::vector<issuer_entry>> snapshot() const;

    const config::auth_config& auth_;
    const config::users_config& users_;
    mutable std::mutex mutex_;
    std::shared_ptr<const std::vector<issuer_entry>> issuers_;
    token_cache cache_;
};

}  // namespace ckg::auth
