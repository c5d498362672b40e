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
// string of every log line and mint reply, so it takes 16 bytes at a time
// (GCC/Clang vector extensions: SSE2 on x86-64, NEON on ARM); as signed
// chars, the bytes above 0x7f are the negative ones, below 0x20 with the
// control characters.
bool needs_care(std::string_view text) noexcept {
    using block = signed char __attribute__((vector_size(16)));
    const char* p = text.data();
    std::size_t n = text.size();
    block found{};
    while (n > 0) {
        block v;
        if (n >= sizeof v) {
            std::memcpy(&v, p, sizeof v);
            p += sizeof v;
            n -= sizeof v;
        } else {  // the tail, padded with a byte that needs nothing
            char tail[sizeof v];
            std::memset(tail, 'a', sizeof tail);
            std::memcpy(tail, p, n);
            std::memcpy(&v, tail, sizeof v);
            n = 0;
        }
        found |= (v < 0x20) | (v == '"') | (v == '\\');
    }
    std::uint64_t halves[2];
    std::memcpy(halves, &found, sizeof halves);
    return (halves[0] | halves[1]) != 0;
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
