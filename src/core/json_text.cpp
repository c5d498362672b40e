#include "chatkit_gateway/core/json_text.hpp"

#include "chatkit_gateway/core/utf8.hpp"

#include <boost/json/serializer.hpp>

#include <cstdint>
#include <cstring>

namespace ckg {
namespace {

// What boost::json's serializer escapes: '"', '\\' and control characters.
// Every other byte it copies as it is, so bytes above 0x7f take the slow
// path too: there they are checked to be UTF-8. This scan runs over every
// string of every log line and mint reply (a few dozen a request, most
// shorter than 16 bytes), so it reads whole words, never byte by byte
// but for strings under 8 bytes, and a last partial word or block is read
// overlapping the one before rather than copied out.
constexpr bool byte_needs_care(unsigned char u) noexcept {
    return u < 0x20 || u >= 0x80 || u == '"' || u == '\\';
}

// Eight bytes at once, exactly: a borrow only starts at a byte that matches
// ("Bit Twiddling Hacks", haszero and hasless).
bool word_needs_care(const char* p) noexcept {
    constexpr std::uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    std::uint64_t w;
    std::memcpy(&w, p, sizeof w);
    const auto has_zero = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
    const auto below_0x20 = (w - ones * 0x20) & ~w & highs;
    return ((w & highs) | below_0x20 | has_zero(w ^ (ones * '"')) | has_zero(w ^ (ones * '\\'))) !=
           0;
}

// Sixteen bytes at once (GCC/Clang vector extensions: SSE2 on x86-64, NEON
// on ARM); as signed chars, the bytes above 0x7f are the negative ones,
// below 0x20 with the control characters.
bool block_needs_care(const char* p) noexcept {
    using block = signed char __attribute__((vector_size(16)));
    block v;
    std::memcpy(&v, p, sizeof v);
    const block found = (v < 0x20) | (v == '"') | (v == '\\');
    std::uint64_t halves[2];
    std::memcpy(halves, &found, sizeof halves);
    return (halves[0] | halves[1]) != 0;
}

bool needs_care(std::string_view text) noexcept {
    const char* p = text.data();
    const std::size_t n = text.size();
    if (n >= 16) {
        for (std::size_t i = 0; i + 16 <= n; i += 16)
            if (block_needs_care(p + i)) return true;
        return n % 16 != 0 && block_needs_care(p + n - 16);
    }
    if (n >= 8) return word_needs_care(p) || word_needs_care(p + n - 8);
    for (std::size_t i = 0; i < n; ++i)
        if (byte_needs_care(static_cast<unsigned char>(p[i]))) return true;
    return false;
}

// JSON text must be UTF-8 (RFC 8259 section 8.1), whatever a peer sent:
// the serializer's escapes are ASCII, so any non-ASCII byte appended since
// `from` is string content, and ill-formed ones become U+FFFD there.
void repair_utf8_from(std::string& out, std::size_t from) {
    const std::string_view added(out.data() + from, out.size() - from);
    if (is_valid_utf8(added)) return;
    std::string repaired;
    append_utf8_replacing_invalid(repaired, added);
    out.replace(from, std::string::npos, repaired);
}

template <class T>
void serialize_into(std::string& out, const T& what) {
    boost::json::serializer sr;
    sr.reset(what);
    char buf[512];
    while (!sr.done()) out.append(sr.read(buf));
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    if (needs_care(text)) {
        const auto from = out.size();
        serialize_into(out, boost::json::string_view(text.data(), text.size()));
        return repair_utf8_from(out, from);
    }
    out += '"';
    out += text;
    out += '"';
}

void append_json_value(std::string& out, const boost::json::value& value) {
    switch (value.kind()) {
        case boost::json::kind::string:
            return append_json_string(out, value.get_string());
        case boost::json::kind::int64:
            out += std::to_string(value.get_int64());
            return;
        case boost::json::kind::uint64:
            out += std::to_string(value.get_uint64());
            return;
        case boost::json::kind::bool_:
            out += value.get_bool() ? "true" : "false";
            return;
        default: {  // null, double, array, object
            const auto from = out.size();
            serialize_into(out, &value);
            repair_utf8_from(out, from);
        }
    }
}

}  // namespace ckg
