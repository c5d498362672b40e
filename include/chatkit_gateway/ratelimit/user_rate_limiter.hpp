// One token bucket per upstream user id, for session minting. Memory stays
// bounded however many users appear: a bucket that has refilled completely
// is indistinguishable from a new one, so such buckets are dropped when a
// shard grows past its share of `max_users`; if none is full, the user is
// let through rather than everyone being refused (fail open, logged by the
// caller through the returned flag). A full shard is scanned for full
// buckets at most once a second, so that a table full of live buckets does
// not make every new user's mint scan it under the lock. Thread-safe, sharded.
#pragma once

#include "chatkit_gateway/ratelimit/token_bucket.hpp"

#include <array>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ckg::ratelimit {

struct limit_decision {
    bool allowed = true;
    std::chrono::seconds retry_after{0};
    bool untracked = false;  // allowed only because the table was full
};

class user_rate_limiter {
public:
    user_rate_limiter(unsigned per_minute, unsigned burst, std::size_t max_users = 100000);

    limit_decision take(std::string_view user, token_bucket::time_point now);
    std::size_t tracked_users() const;

private:
    static constexpr std::size_t shard_count = 16;
    struct shard {
        mutable std::mutex mutex;
        std::unordered_map<std::string, token_bucket> buckets;
        token_bucket::time_point last_eviction{};
    };
    void evict_full(shard& s, token_bucket::time_point now);

    double per_minute_, burst_;
    std::size_t per_shard_max_;
    std::array<shard, shard_count> shards_;
};

}  // namespace ckg::ratelimit
