#include "chatkit_gateway/core/utf8.hpp"

#include <algorithm>

namespace ckg {
namespace {

struct sequence {
    std::size_t length;  // bytes taken: the character's, or the ill-formed subpart's (at least 1)
    bool valid;
};

// The range the byte after the lead may take (table 3-7); the other
// continuation bytes are 80..BF.
struct lead_info {
    std::size_t length;
    unsigned char second_low, second_high;
};

lead_info lead(unsigned char b) noexcept {
    if (b < 0x80) return {1, 0, 0};
    if (b >= 0xc2 && b <= 0xdf) return {2, 0x80, 0xbf};
    if (b == 0xe0) return {3, 0xa0, 0xbf};  // no overlong 3-byte forms
    if (b == 0xed) return {3, 0x80, 0x9f};  // no surrogates
    if (b >= 0xe1 && b <= 0xef) return {3, 0x80, 0xbf};
    if (b == 0xf0) return {4, 0x90, 0xbf};  // no overlong 4-byte forms
    if (b >= 0xf1 && b <= 0xf3) return {4, 0x80, 0xbf};
    if (b == 0xf4) return {4, 0x80, 0x8f};  // nothing above U+10FFFF
    return {0, 0, 0};                       // 80..C1, F5..FF never start a character
}

sequence next_sequence(std::string_view text, std::size_t i) noexcept {
    const auto b = static_cast<unsigned char>(text[i]);
    const auto info = lead(b);
    if (info.length == 0) return {1, false};
    if (info.length == 1) return {1, true};
    for (std::size_t k = 1; k < info.length; ++k) {
        if (i + k >= text.size()) return {k, false};  // truncated: the bytes so far are one subpart
        const auto c = static_cast<unsigned char>(text[i + k]);
        const unsigned char low = k == 1 ? info.second_low : 0x80,
                            high = k == 1 ? info.second_high : 0xbf;
        if (c < low || c > high) return {k, false};
    }
    return {info.length, true};
}

}  // namespace

std::vector<std::string_view> valid_utf8_runs(std::string_view text) {
    std::vector<std::string_view> runs;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size();) {
        const auto s = next_sequence(text, i);
        if (!s.valid) {
            if (i > start) runs.push_back(text.substr(start, i - start));
            start = i + s.length;
        }
        i += s.length;
    }
    if (text.size() > start) runs.push_back(text.substr(start));
    return runs;
}

bool is_valid_utf8(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size();) {
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            ++i;
            continue;
        }
        const auto s = next_sequence(text, i);
        if (!s.valid) return false;
        i += s.length;
    }
    return true;
}

std::size_t utf8_characters(std::string_view valid_utf8) noexcept {
    return static_cast<std::size_t>(std::count_if(valid_utf8.begin(), valid_utf8.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

void append_utf8_replacing_invalid(std::string& out, std::string_view text) {
    static constexpr std::string_view replacement = "\xef\xbf\xbd";
    out.reserve(out.size() + text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto s = next_sequence(text, i);
        if (s.valid)
            out.append(text.substr(i, s.length));
        else
            out.append(replacement);
        i += s.length;
    }
}

std::string_view utf8_truncate(std::string_view text, std::size_t max_bytes) noexcept {
    if (text.size() <= max_bytes) return text;
    std::size_t end = 0;
    while (end < max_bytes) {
        const auto s = next_sequence(text, end);
        if (end + s.length > max_bytes) break;
        end += s.length;
    }
    return text.substr(0, end);
}

}  // namespace ckg
