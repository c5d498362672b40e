// Lowercase hex of bytes (digests, HMACs, a secret's hex form to scrub).
#pragma once

#include <string>
#include <string_view>

namespace ckg {

inline std::string hex_encode(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * bytes.size());
    for (const char c : bytes) {
        const auto b = static_cast<unsigned char>(c);
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 15]);
    }
    return out;
}

}  // namespace ckg
