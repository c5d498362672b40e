// UTC days for the daily mint quota: a day is [midnight, next midnight) UTC.
#pragma once

#include <chrono>
#include <cstdint>

namespace ckg::store {

// Days since 1970-01-01 UTC of a Unix time in milliseconds.
constexpr std::int64_t utc_day(std::int64_t unix_ms) noexcept {
    constexpr std::int64_t ms_per_day = 86'400'000;
    return unix_ms >= 0 ? unix_ms / ms_per_day : (unix_ms - ms_per_day + 1) / ms_per_day;
}

// Whole seconds until the next UTC midnight, at least 1 (the quota's Retry-After).
constexpr std::chrono::seconds seconds_to_utc_midnight(std::int64_t unix_ms) noexcept {
    constexpr std::int64_t ms_per_day = 86'400'000;
    const std::int64_t left_ms = (utc_day(unix_ms) + 1) * ms_per_day - unix_ms;
    const std::int64_t seconds = (left_ms + 999) / 1000;
    return std::chrono::seconds(seconds < 1 ? 1 : seconds);
}

}  // namespace ckg::store
