// Authenticates a request's end user: finds the token, answers from the
// cache when it can, otherwise verifies it against the issuers' current keys
// and derives the upstream user id. Holds the issuers' key sets as one
// immutable snapshot with a generation. The two updaters (SIGHUP reload,
// JWKS refresh) are serialized, each building on the other's latest
// snapshot; a key change clears the token cache, and a verification that
// read an older snapshot cannot put its token back (docs/auth.md, rotation).
#pragma once

#include "chatkit_gateway/auth/auth_status.hpp"
#include "chatkit_gateway/auth/token_cache.hpp"
#include "chatkit_gateway/auth/token_verifier.hpp"
#include "chatkit_gateway/config/config.hpp"
#include "chatkit_gateway/core/result.hpp"

#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

namespace ckg::auth {

// Keys from an issuer's local source (jwks_file, public_key_file or
// hmac_secret_env). Fails for a jwks_url or discovery issuer (fetched, not
// loaded) and for a file that does not parse into at least one usable key.
result<key_set> load_local_keys(const config::issuer_config& issuer);

// The outcome of one authentication attempt.
struct authentication {
    auth_status status = auth_status::ok;
    std::shared_ptr<const authenticated_user> user;  // when ok
    // Set once the token named a configured issuer: which one, and the
    // generation of its keys the attempt used. An unknown_kid refetch acts
    // on these (jwks_refresher) without parsing the token again.
    std::optional<std::size_t> issuer_index;
    std::uint64_t keys_generation = 0;

    explicit operator bool() const noexcept { return status == auth_status::ok; }
    // For the API room: the user, or failure{error_code_of(status), status_name(status)}.
    result<std::shared_ptr<const authenticated_user>> as_result() const;
};

class authenticator {
public:
    // Loads every local key source; throws config_error naming the issuer's
    // key path when one does not load. Both configs must outlive this object.
    authenticator(const config::auth_config& auth, const config::users_config& users);

    // `authorization` is the header's value (has_authorization: whether the
    // header was present at all); `cookie_header` the Cookie header's value.
    authentication authenticate(std::string_view authorization, bool has_authorization,
                                std::string_view cookie_header, std::int64_t now);

    // Re-reads local key files; an issuer whose file does not load keeps its
    // keys. Returns one line per failure, for the log.
    std::vector<std::string> reload_local_keys();
    // Installs fetched keys for one issuer (jwks_url or discovery).
    void replace_keys(std::size_t issuer_index, std::shared_ptr<const key_set> keys);
    // True when every issuer has keys (fetched issuers after their first fetch).
    bool keys_loaded() const;
    // The generation of issuer `index`'s keys: it changes with every replacement.
    std::uint64_t keys_generation(std::size_t index) const;

private:
    struct key_snapshot {
        std::vector<issuer_entry> issuers;
        std::uint64_t generation = 0;  // bumped by every key change of any issuer
    };
    std::shared_ptr<const key_snapshot> snapshot() const;
    // Under update_mutex_: copies the current snapshot, lets `change` edit
    // it (returning the issuers it changed), installs it and clears the
    // cache for the new generation.
    template <class Change>
    void update(Change change);

    const config::auth_config& auth_;
    const config::users_config& users_;
    std::mutex update_mutex_;   // serializes updaters: neither drops the other's keys
    mutable std::mutex mutex_;  // guards the snapshot pointer only
    std::shared_ptr<const key_snapshot> keys_;
    token_cache cache_;
};

}  // namespace ckg::auth
