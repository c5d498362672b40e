#include "chatkit_gateway/auth/jwks_refresher.hpp"

#include "chatkit_gateway/observability/logger.hpp"

#include <algorithm>

namespace ckg::auth {
namespace {

using steady = std::chrono::steady_clock;

// How long a request waits for an in-flight refetch before giving up on it.
constexpr auto max_wait_for_fetch = std::chrono::seconds(10);

}  // namespace

jwks_refresher::jwks_refresher(net::io_context& ioc, authenticator& authn,
                               const config::auth_config& auth, fetch_fn fetch,
                               std::chrono::seconds periodic_refresh)
    : ioc_(ioc),
      authn_(authn),
      auth_(auth),
      fetch_(std::move(fetch)),
      periodic_refresh_(periodic_refresh),
      state_(auth.issuers.size()) {}

void jwks_refresher::set_metrics(observability::metrics* m) {
    metrics_ = m;
    for (const auto& issuer : auth_.issuers)
        if (metrics_ && issuer.fetches_keys()) metrics_->expect_jwks_refreshes(issuer.issuer);
}

void jwks_refresher::start() {
    for (std::size_t i = 0; i < auth_.issuers.size(); ++i)
        if (auth_.issuers[i].fetches_keys())
            net::co_spawn(net::make_strand(ioc_), initial_fetch_loop(this, i), net::detached);
}

void jwks_refresher::rediscover() {
    for (std::size_t i = 0; i < auth_.issuers.size(); ++i) {
        if (!auth_.issuers[i].discovery) continue;
        auto once = [](jwks_refresher* self, std::size_t index) -> net::awaitable<void> {
            co_await self->fetch_now(index, true);
        };
        net::co_spawn(net::make_strand(ioc_), once(this, i), net::detached);
    }
}

std::size_t jwks_refresher::fetch_count() const {
    std::lock_guard lock(mutex_);
    return fetches_;
}

net::awaitable<void> jwks_refresher::initial_fetch_loop(jwks_refresher* self, std::size_t index) {
    net::steady_timer timer(co_await net::this_coro::executor);
    auto delay = std::chrono::seconds(1);
    // Until the first success: retry with backoff (1 s doubling to 60 s).
    // Discovery issuers read their metadata on every attempt until then.
    while (!co_await self->fetch_now(index, true)) {
        timer.expires_after(delay);
        co_await timer.async_wait(nothrow_awaitable);
        delay = std::min<std::chrono::seconds>(delay * 2, std::chrono::seconds(60));
    }
    // Then periodically, so rotated and removed keys are picked up.
    for (;;) {
        timer.expires_after(self->periodic_refresh_);
        auto [ec] = co_await timer.async_wait(nothrow_awaitable);
        if (ec) co_return;
        co_await self->fetch_now(index, false);
    }
}

void jwks_refresher::begin_fetch_locked(std::size_t index) {
    state_[index].in_flight = true;
    state_[index].last_fetch = steady::now();  // the fetch opens the min-refresh window
    ++fetches_;
}

net::awaitable<bool> jwks_refresher::fetch_now(std::size_t index, bool rediscover) {
    {
        std::lock_guard lock(mutex_);
        begin_fetch_locked(index);
    }
    co_return co_await run_fetch(index, rediscover);
}

net::awaitable<bool> jwks_refresher::run_fetch(std::size_t index, bool rediscover) {
    auto body = co_await fetch_(index, rediscover);
    bool ok = false;
    if (body) {
        auto keys = key_set_from_jwks(*body);
        if (keys) {
            authn_.replace_keys(index, std::make_shared<const key_set>(std::move(*keys)));
            ok = true;
        } else {
            body = keys.error();
        }
    }
    if (metrics_) metrics_->record_jwks_refresh(auth_.issuers[index].issuer, ok);
    if (!ok)
        observability::log_warn("jwks fetch failed", {{"issuer", auth_.issuers[index].issuer},
                                                      {"error", body.error().detail}});
    std::vector<std::shared_ptr<net::steady_timer>> waiters;
    {
        std::lock_guard lock(mutex_);
        auto& s = state_[index];
        s.in_flight = false;
        s.fetched_once = s.fetched_once || ok;
        waiters.swap(s.waiters);
    }
    for (auto& w : waiters) net::post(w->get_executor(), [w] { w->cancel(); });
    co_return ok;
}

net::awaitable<void> jwks_refresher::refetch_for_unknown_kid(std::size_t index,
                                                             std::uint64_t seen) {
    std::shared_ptr<net::steady_timer> wait;
    bool fetch = false;
    {
        std::lock_guard lock(mutex_);
        auto& s = state_[index];
        if (authn_.keys_generation(index) != seen) {
            // New keys landed since the caller looked: just try again with them.
        } else if (s.in_flight) {
            wait = std::make_shared<net::steady_timer>(co_await net::this_coro::executor,
                                                       max_wait_for_fetch);
            s.waiters.push_back(wait);
        } else if (steady::now() - s.last_fetch >= auth_.issuers[index].jwks_min_refresh) {
            // Marked under the same lock as the check: one fetch, however many callers.
            begin_fetch_locked(index);
            fetch = true;
        }
    }
    if (fetch)
        co_await run_fetch(index, false);
    else if (wait)
        co_await wait->async_wait(nothrow_awaitable);
}

bool jwks_refresher::refetchable(const authentication& a) const {
    return a.status == auth_status::unknown_kid && a.issuer_index &&
           auth_.issuers[*a.issuer_index].fetches_keys();
}

std::optional<authentication> jwks_refresher::authenticate_now(std::string_view authorization,
                                                               bool has_authorization,
                                                               std::string_view cookie_header,
                                                               std::int64_t now) {
    auto a = authn_.authenticate(authorization, has_authorization, cookie_header, now);
    if (refetchable(a)) return std::nullopt;
    return a;
}

net::awaitable<authentication> jwks_refresher::authenticate(std::string authorization,
                                                            bool has_authorization,
                                                            std::string cookie_header,
                                                            std::int64_t now) {
    auto a = authn_.authenticate(authorization, has_authorization, cookie_header, now);
    if (!refetchable(a)) co_return a;
    // The attempt says which issuer and which of its key generations it
    // used: wait for (or start) the one refetch, then look once more.
    co_await refetch_for_unknown_kid(*a.issuer_index, a.keys_generation);
    co_return authn_.authenticate(authorization, has_authorization, cookie_header, now);
}

}  // namespace ckg::auth
