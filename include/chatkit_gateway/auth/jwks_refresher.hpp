// Keeps fetched keys current (jwks_url and discovery issuers, docs/auth.md):
// the first fetch is retried in the background with backoff until it
// succeeds (until then /readyz is 503); later, a token with an unknown kid
// triggers at most one refetch per jwks_min_refresh_seconds, and every
// request meeting an unknown kid meanwhile waits for that single in-flight
// fetch. A periodic refresh also picks up rotations and removals; SIGHUP
// makes discovery issuers read their OpenID metadata again. The fetch itself
// is injected, so this room needs no HTTP client (tests count calls).
#pragma once

#include "chatkit_gateway/auth/authenticator.hpp"
#include "chatkit_gateway/core/asio.hpp"
#include "chatkit_gateway/observability/metrics.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckg::auth {

class jwks_refresher {
public:
    // Fetches the JWKS document of issuer `index`; a failure is logged and
    // retried. `rediscover`: a discovery issuer reads its OpenID metadata
    // again first (at start it always does); other issuers ignore it.
    using fetch_fn =
        std::function<net::awaitable<result<std::string>>(std::size_t index, bool rediscover)>;

    jwks_refresher(net::io_context& ioc, authenticator& authn, const config::auth_config& auth,
                   fetch_fn fetch,
                   std::chrono::seconds periodic_refresh = std::chrono::seconds(600));

    // Every fetch's result is counted here when set (before start()); each
    // fetched issuer's counts are exported, at 0, from then on.
    void set_metrics(observability::metrics* m);

    // Starts the first fetch (and the periodic refresh) of every fetched issuer.
    void start();
    // SIGHUP: every discovery issuer reads its metadata and JWKS again; on
    // failure it keeps its keys. Callable from any thread.
    void rediscover();

    // The verdict without waiting: authenticator::authenticate, unless the
    // token names an unknown kid of a fetched issuer (nullopt: only
    // authenticate() below, which may refetch, can tell). The common case
    // never starts a coroutine.
    std::optional<authentication> authenticate_now(std::string_view authorization,
                                                   bool has_authorization,
                                                   std::string_view cookie_header,
                                                   std::int64_t now);

    // authenticator::authenticate, plus one refetch-and-retry when the token
    // names an unknown kid of a fetched issuer.
    net::awaitable<authentication> authenticate(std::string authorization, bool has_authorization,
                                                std::string cookie_header, std::int64_t now);

    std::size_t fetch_count() const;

private:
    struct issuer_state {
        std::chrono::steady_clock::time_point last_fetch{};
        bool fetched_once = false;
        bool in_flight = false;
        std::vector<std::shared_ptr<net::steady_timer>> waiters;
    };

    static net::awaitable<void> initial_fetch_loop(jwks_refresher* self, std::size_t index);
    // Runs one fetch and installs its keys; wakes every waiter. Returns success.
    net::awaitable<bool> fetch_now(std::size_t index, bool rediscover);
    net::awaitable<bool> run_fetch(std::size_t index, bool rediscover);  // after begin_fetch_locked
    void begin_fetch_locked(std::size_t index);
    // `seen` is the key generation the caller's failed attempt used: keys
    // installed since then make a fetch pointless.
    net::awaitable<void> refetch_for_unknown_kid(std::size_t index, std::uint64_t seen);
    bool refetchable(const authentication& a) const;

    net::io_context& ioc_;
    authenticator& authn_;
    const config::auth_config& auth_;
    fetch_fn fetch_;
    std::chrono::seconds periodic_refresh_;
    mutable std::mutex mutex_;
    std::vector<issuer_state> state_;
    std::size_t fetches_ = 0;
    observability::metrics* metrics_ = nullptr;
};

}  // namespace ckg::auth
