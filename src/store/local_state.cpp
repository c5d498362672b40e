#include "chatkit_gateway/store/local_state.hpp"

#include "chatkit_gateway/observability/logger.hpp"
#include "chatkit_gateway/store/utc_day.hpp"

namespace ckg::store {
namespace {

constexpr std::int64_t seconds_of(unix_ms now) {
    return now / 1000;
}

}  // namespace

local_limits local_limits_for(const config::gateway_config& config) {
    local_limits caps;
    caps.keep_sessions = config.admin.token.has_value();  // the admin API is served
    return caps;
}

local_state::local_state(const config::rate_limit_config& limits, observability::metrics& metrics,
                         local_limits caps)
    : per_day_(limits.sessions_per_day.value_or(0)),
      metrics_(metrics),
      buckets_(limits.sessions_per_minute, limits.burst, caps.max_users),
      days_(caps.max_users),
      registry_(caps.max_sessions),
      keep_sessions_(caps.keep_sessions),
      blocks_(caps.max_blocks) {}

void local_state::untracked(std::string_view table, unix_ms now) {
    metrics_.record_store_untracked(table);
    if (warnings_.allow(now))
        observability::log_warn("in-process table full; user let through untracked",
                                {{"table", std::string(table)}});
}

mint_decision local_state::admit(std::string_view user, unix_ms now) {
    // The bucket only needs differences of time, so Unix milliseconds serve as its clock.
    const ratelimit::token_bucket::time_point at{std::chrono::milliseconds(now)};
    const auto limit = buckets_.take(user, at);
    if (limit.untracked) untracked("rate_limit", now);
    if (!limit.allowed) return {mint_verdict::rate_limited, limit.retry_after};
    switch (days_.take(user, utc_day(now), per_day_)) {
        case count_outcome::over_limit:
            return {mint_verdict::over_quota, seconds_to_utc_midnight(now)};
        case count_outcome::untracked:
            untracked("quota", now);
            break;
        case count_outcome::counted:
            break;
    }
    return {};
}

registration local_state::add(std::string_view user, live_session session, unix_ms now) {
    if (keep_sessions_ && !registry_.add(user, std::move(session), seconds_of(now)))
        untracked("registry", now);
    // After recording: a block set before this point is seen here, one set
    // after it finds the session listed (docs/operations.md, "Redis keys").
    return blocks_.until(user, seconds_of(now)) ? registration::user_blocked
                                                : registration::recorded;
}

user_status local_state::status_now(std::string_view user, unix_ms now) {
    return {blocks_.until(user, seconds_of(now)), registry_.live(user, seconds_of(now)).size(),
            days_.count(user, utc_day(now))};
}

net::awaitable<result<mint_decision>> local_state::admit_mint(std::string user, unix_ms now) {
    co_return admit(user, now);
}

net::awaitable<result<registration>> local_state::add_session(std::string user,
                                                              live_session session, unix_ms now) {
    co_return add(user, std::move(session), now);
}

net::awaitable<done> local_state::remove_session(std::string user, std::string session_id) {
    registry_.remove(user, session_id);
    co_return std::monostate{};
}

net::awaitable<result<std::vector<live_session>>> local_state::sessions_of(std::string user,
                                                                           unix_ms now) {
    co_return registry_.live(user, seconds_of(now));
}

void local_state::apply_block(std::string_view user, std::int64_t until, unix_ms now) {
    if (!blocks_.set(user, until, seconds_of(now))) untracked("blocks", now);
}

net::awaitable<result<std::int64_t>> local_state::block(std::string user, std::int64_t seconds,
                                                        unix_ms now) {
    const auto until = seconds_of(now + 999) + seconds;  // never shorter than asked
    if (!blocks_.set(user, until, seconds_of(now))) {
        untracked("blocks", now);
        co_return failure{errc::store_unavailable, "block list full"};
    }
    co_return until;
}

net::awaitable<done> local_state::unblock(std::string user, unix_ms) {
    blocks_.clear(user);
    co_return std::monostate{};
}

std::optional<std::int64_t> local_state::blocked_until(std::string_view user, unix_ms now) const {
    return blocks_.until(user, seconds_of(now));
}

net::awaitable<result<user_status>> local_state::status(std::string user, unix_ms now) {
    co_return status_now(user, now);
}

}  // namespace ckg::store
