#include "chatkit_gateway/ratelimit/user_rate_limiter.hpp"

#include <functional>

namespace ckg::ratelimit {

user_rate_limiter::user_rate_limiter(unsigned per_minute, unsigned burst, std::size_t max_users)
    : per_minute_(per_minute),
      burst_(burst),
      per_shard_max_(std::max<std::size_t>(1, max_users / shard_count)) {}

void user_rate_limiter::evict_full(shard& s, token_bucket::time_point now) {
    for (auto it = s.buckets.begin(); it != s.buckets.end();) {
        if (it->second.full(now))
            it = s.buckets.erase(it);
        else
            ++it;
    }
}

limit_decision user_rate_limiter::take(std::string_view user, token_bucket::time_point now) {
    auto& s = shards_[std::hash<std::string_view>{}(user) % shard_count];
    std::lock_guard lock(s.mutex);
    auto it = s.buckets.find(std::string(user));
    if (it == s.buckets.end()) {
        if (s.buckets.size() >= per_shard_max_ &&
            now - s.last_eviction >= std::chrono::seconds(1)) {
            s.last_eviction = now;
            evict_full(s, now);
        }
        if (s.buckets.size() >= per_shard_max_) return {true, {}, true};
        it = s.buckets.emplace(std::string(user), token_bucket(burst_, per_minute_, now)).first;
    }
    limit_decision d;
    d.allowed = it->second.try_take(now, d.retry_after);
    return d;
}

std::size_t user_rate_limiter::tracked_users() const {
    std::size_t n = 0;
    for (const auto& s : shards_) {
        std::lock_guard lock(s.mutex);
        n += s.buckets.size();
    }
    return n;
}

}  // namespace ckg::ratelimit
