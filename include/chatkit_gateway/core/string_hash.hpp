// A transparent hash for unordered maps keyed by std::string: look-ups
// take a std::string_view without copying it.
//
// Deliberately not noexcept: libstdc++ then keeps each entry's hash code
// in its node, so a look-up walking a bucket compares codes, never
// re-hashing the keys it passes. With a noexcept hash it re-hashes them,
// and a peer that chose long keys (a block list of multi-megabyte user
// ids from something posing as Redis) made every look-up cost
// milliseconds (docs/operations.md, "How blocks reach every replica").
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace ckg {

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace ckg
