// A TCP port written in a URL or an address: 1 to 5 decimal digits with a
// value of 1 ... 65535. One check for every place that reads one (upstream,
// JWKS and proxy URLs, redis.url); Boost.URL's port_number() wraps values
// above 65535 instead of refusing them.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ckg {

inline std::optional<std::uint16_t> port_number(std::string_view digits) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || digits.size() > 5 || ec != std::errc{} ||
        end != digits.data() + digits.size() || value < 1 || value > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

}  // namespace ckg
