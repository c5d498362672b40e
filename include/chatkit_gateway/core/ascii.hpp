// Case-insensitive comparison of ASCII text: header names and tokens,
// media types, URL schemes. Ours rather than Beast's: boost::beast::iequals
// in Boost 1.81 reads one byte past the end of both texts when they differ
// only in the case of their last character (found by the media_type fuzz
// target, docs/architecture.md), and std::tolower follows the C locale.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ckg {

constexpr char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool iequals_ascii(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

inline std::string ascii_lowercase(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = ascii_lower(c);
    return out;
}

}  // namespace ckg
