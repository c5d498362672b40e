// At most one warning a second for events that can repeat on every request
// (store errors, a full in-process table, a listener out of descriptors):
// the first passes, the rest of that second are only counted (the metric
// has them all).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ckg::observability {

class warning_throttle {
public:
    // True when a warning may be logged now (`now_ms`: any monotonic clock).
    bool allow(std::int64_t now_ms) noexcept {
        auto last = last_ms_.load(std::memory_order_relaxed);
        if (now_ms - last < 1000) return false;
        return last_ms_.compare_exchange_strong(last, now_ms, std::memory_order_relaxed);
    }

    // The same on the steady clock.
    bool allow_now() noexcept {
        using namespace std::chrono;
        return allow(duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
    }

private:
    std::atomic<std::int64_t> last_ms_{INT64_MIN / 2};
};

}  // namespace ckg::observability
