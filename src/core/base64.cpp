#include "chatkit_gateway/core/base64.hpp"

#include <array>
#include <cstdint>

namespace ckg {
namespace {

constexpr std::string_view standard_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using decode_table = std::array<std::int8_t, 256>;

constexpr decode_table make_table(std::string_view alphabet) {
    decode_table table{};
    for (auto& v : table) v = -1;
    for (std::size_t i = 0; i < alphabet.size(); ++i)
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return table;
}

constexpr decode_table standard_table = make_table(standard_alphabet);
constexpr decode_table url_table = make_table(url_alphabet);

// Decodes unpadded text; rejects a length of 1 mod 4 and stray low bits in
// the last character, so that every value has exactly one encoding.
std::optional<std::string> decode_unpadded(std::string_view text, const decode_table& table) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        const auto v = table[static_cast<unsigned char>(c)];
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
    return out;
}

}  // namespace

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::size_t pad = 0;
    while (pad < 2 && text.size() > pad && text[text.size() - 1 - pad] == '=') ++pad;
    return decode_unpadded(text.substr(0, text.size() - pad), standard_table);
}

std::optional<std::string> base64url_decode(std::string_view text) {
    return decode_unpadded(text, url_table);
}

std::string base64url_encode(std::string_view bytes) {
    // Whole 3-byte groups first, then the 1- or 2-byte tail: no per-character
    // growth checks (session handles are encoded on every mint).
    const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t groups = bytes.size() / 3, tail = bytes.size() % 3;
    std::string out(groups * 4 + (tail == 0 ? 0 : tail + 1), '\0');
    char* o = out.data();
    for (std::size_t g = 0; g < groups; ++g, in += 3, o += 4) {
        const std::uint32_t v = (std::uint32_t{in[0]} << 16) | (std::uint32_t{in[1]} << 8) | in[2];
        o[0] = url_alphabet[v >> 18];
        o[1] = url_alphabet[(v >> 12) & 0x3F];
        o[2] = url_alphabet[(v >> 6) & 0x3F];
        o[3] = url_alphabet[v & 0x3F];
    }
    if (tail > 0) {
        const std::uint32_t v =
            (std::uint32_t{in[0]} << 16) | (tail == 2 ? std::uint32_t{in[1]} << 8 : 0);
        o[0] = url_alphabet[v >> 18];
        o[1] = url_alphabet[(v >> 12) & 0x3F];
        if (tail == 2) o[2] = url_alphabet[(v >> 6) & 0x3F];
    }
    return out;
}

}  // namespace ckg
