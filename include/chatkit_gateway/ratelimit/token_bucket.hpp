// A token bucket (docs/api.md): capacity `burst`, refilled continuously at
// `per_minute` tokens a minute. Pure: the caller passes the time.
#pragma once

#include <chrono>

namespace ckg::ratelimit {

class token_bucket {
public:
    using time_point = std::chrono::steady_clock::time_point;

    token_bucket(double capacity, double per_minute, time_point now)
        : capacity_(capacity), per_second_(per_minute / 60.0), tokens_(capacity), updated_(now) {}

    // Takes one token if there is one. Otherwise returns false and sets
    // `retry_after` to the whole seconds (>= 1) until one will be there.
    bool try_take(time_point now, std::chrono::seconds& retry_after);
    // True when the bucket has refilled completely: it is then the same as a new one.
    bool full(time_point now) const;

private:
    void refill(time_point now);
    double capacity_;
    double per_second_;
    double tokens_;
    time_point updated_;
};

}  // namespace ckg::ratelimit
