#include "chatkit_gateway/core/request_name.hpp"

#include <algorithm>

namespace ckg {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF); 0 if there is none.
std::size_t sequence_length(std::string_view s) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char b0 = byte(0);
    if (b0 < 0x80) return 1;
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        n = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        n = 3;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        n = 4;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (s.size() < n || byte(1) < lo || byte(1) > hi) return 0;
    for (std::size_t i = 2; i < n; ++i)
        if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
    return n;
}

// A name that looks like a credential pasted in the wrong place (an API key,
// a client secret, a JWT, a bearer header): never echoed, never logged.
bool looks_like_a_secret(std::string_view raw) noexcept {
    for (std::string_view prefix : {"sk-", "ek_", "eyJ"})
        if (raw.starts_with(prefix)) return true;
    return raw.find("Bearer ") != std::string_view::npos;
}

}  // namespace

std::string request_name(std::string_view raw) {
    if (looks_like_a_secret(raw)) return "[redacted]";
    std::string out;
    out.reserve(std::min(raw.size(), max_request_name_bytes));
    while (!raw.empty()) {
        const std::size_t n = sequence_length(raw);
        const std::string_view piece = n == 0 ? replacement : raw.substr(0, n);
        if (out.size() + piece.size() > max_request_name_bytes) break;
        out += piece;
        raw.remove_prefix(n == 0 ? 1 : n);
    }
    return out;
}

std::string quoted_request_name(std::string_view raw) {
    return '"' + request_name(raw) + '"';
}

}  // namespace ckg
