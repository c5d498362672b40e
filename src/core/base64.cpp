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
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : bytes) {
        acc = (acc << 8) | static_cast<unsigned char>(c);
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(url_alphabet[(acc >> bits) & 0x3F]);
        }
    }
    if (bits > 0) out.push_back(url_alphabet[(acc << (6 - bits)) & 0x3F]);
    return out;
}

}  // namespace ckg
