#include "chatkit_gateway/ratelimit/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace ckg::ratelimit {

void token_bucket::refill(time_point now) {
    if (now <= updated_) return;
    const double elapsed = std::chrono::duration<double>(now - updated_).count();
    tokens_ = std::min(capacity_, tokens_ + elapsed * per_second_);
    updated_ = now;
}

bool token_bucket::try_take(time_point now, std::chrono::seconds& retry_after) {
    refill(now);
    if (tokens_ >= 1.0) {
        tokens_ -= 1.0;
        return true;
    }
    const double wait = (1.0 - tokens_) / per_second_;
    retry_after = std::chrono::seconds(std::max<long>(1, static_cast<long>(std::ceil(wait))));
    return false;
}

bool token_bucket::full(time_point now) const {
    const double elapsed = std::chrono::duration<double>(now - updated_).count();
    return tokens_ + std::max(0.0, elapsed) * per_second_ >= capacity_;
}

}  // namespace ckg::ratelimit
