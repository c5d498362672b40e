// shared_state within one process: the embedded default without `redis`,
// and what a Redis replica falls back on while the store fails
// (redis.on_error "local"). Memory is bounded by every table's own cap; a
// full table lets the user through untracked, counted in
// chatkit_gateway_store_untracked_total and logged (at most once a second).
#pragma once

#include "chatkit_gateway/config/config.hpp"
#include "chatkit_gateway/observability/metrics.hpp"
#include "chatkit_gateway/observability/warning_throttle.hpp"
#include "chatkit_gateway/ratelimit/user_rate_limiter.hpp"
#include "chatkit_gateway/store/block_list.hpp"
#include "chatkit_gateway/store/day_counter.hpp"
#include "chatkit_gateway/store/session_registry.hpp"
#include "chatkit_gateway/store/shared_state.hpp"

namespace ckg::store {

struct local_limits {
    std::size_t max_users = 100000;     // buckets and day counts
    std::size_t max_sessions = 500000;  // registry entries
    std::size_t max_blocks = 1'000'000;
    // Whether minted sessions are recorded at all. Only the admin API reads
    // the registry (a revocation, a status), so a gateway without it keeps
    // none: a busy one would otherwise hold up to max_sessions entries, tens
    // of MiB, that nothing can ever read (docs/operations.md).
    bool keep_sessions = true;
};

// The caps a gateway runs with: sessions kept only with admin.token_env.
local_limits local_limits_for(const config::gateway_config& config);

class local_state final : public shared_state {
public:
    local_state(const config::rate_limit_config& limits, observability::metrics& metrics,
                local_limits caps = {});

    // The decisions themselves, synchronous (redis_state's fallback calls these).
    mint_decision admit(std::string_view user, unix_ms now);
    registration add(std::string_view user, live_session session, unix_ms now);
    user_status status_now(std::string_view user, unix_ms now);
    // A block the shared store holds, applied here too; one the block cache
    // has no room for (full of live blocks) is counted and logged as untracked.
    void apply_block(std::string_view user, std::int64_t until, unix_ms now);
    block_list& blocks() noexcept { return blocks_; }
    session_registry& registry() noexcept { return registry_; }
    day_counter& days() noexcept { return days_; }

    net::awaitable<result<mint_decision>> admit_mint(std::string user, unix_ms now) override;
    net::awaitable<result<registration>> add_session(std::string user, live_session session,
                                                     unix_ms now) override;
    net::awaitable<done> remove_session(std::string user, std::string session_id) override;
    net::awaitable<result<std::vector<live_session>>> sessions_of(std::string user,
                                                                  unix_ms now) override;
    net::awaitable<result<std::int64_t>> block(std::string user, std::int64_t seconds,
                                               unix_ms now) override;
    net::awaitable<done> unblock(std::string user, unix_ms now) override;
    std::optional<std::int64_t> blocked_until(std::string_view user, unix_ms now) const override;
    net::awaitable<result<user_status>> status(std::string user, unix_ms now) override;

private:
    void untracked(std::string_view table, unix_ms now);

    std::uint64_t per_day_;  // 0: no quota
    observability::metrics& metrics_;
    ratelimit::user_rate_limiter buckets_;
    day_counter days_;
    session_registry registry_;
    bool keep_sessions_;
    block_list blocks_;
    observability::warning_throttle warnings_;
};

}  // namespace ckg::store
