#include "chatkit_gateway/observability/trace_context.hpp"

#include "chatkit_gateway/core/random.hpp"

#include <algorithm>

namespace ckg::observability {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

bool lower_hex(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool all_zeros(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == '0'; });
}

// Random lower-case hex digits over out[0..n), n even.
void random_hex(char* out, std::size_t n) {
    unsigned char bytes[16];
    random_fill(bytes, n / 2);
    for (std::size_t i = 0; i < n / 2; ++i) {
        out[2 * i] = hex_digits[bytes[i] >> 4];
        out[2 * i + 1] = hex_digits[bytes[i] & 15];
    }
}

// A new random id that is not all zeros (invalid in level 1): with 64 or
// 128 random bits a redraw is all but never needed.
void random_id(char* out, std::size_t n) {
    do random_hex(out, n);
    while (all_zeros(std::string_view(out, n)));
}

}  // namespace

std::optional<traceparent_fields> parse_traceparent(std::string_view v) {
    // version "-" trace-id "-" parent-id "-" trace-flags
    if (v.size() != 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return std::nullopt;
    const auto version = v.substr(0, 2), trace = v.substr(3, 32), parent = v.substr(36, 16),
               flags = v.substr(53, 2);
    if (version != "00" || !lower_hex(trace) || !lower_hex(parent) || !lower_hex(flags))
        return std::nullopt;
    if (all_zeros(trace) || all_zeros(parent)) return std::nullopt;
    traceparent_fields f;
    std::copy(trace.begin(), trace.end(), f.trace_id.begin());
    std::copy(flags.begin(), flags.end(), f.flags.begin());
    return f;
}

bool forwardable_tracestate(std::string_view value) {
    return !value.empty() && value.size() <= 512 &&
           std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

trace_context trace_context::from_request(std::optional<std::string_view> traceparent,
                                          std::optional<std::string_view> tracestate) {
    trace_context t;
    t.present_ = true;
    const auto parsed = traceparent ? parse_traceparent(*traceparent) : std::nullopt;
    if (parsed) {
        t.continued_ = true;
        t.fields_ = *parsed;
        // Level 1: a tracestate is only meaningful with the parent it came with.
        if (tracestate && forwardable_tracestate(*tracestate)) t.tracestate_.assign(*tracestate);
        return t;
    }
    random_id(t.fields_.trace_id.data(), t.fields_.trace_id.size());
    t.fields_.flags = {'0', '0'};
    return t;
}

std::string_view trace_context::trace_id() const noexcept {
    if (!present_) return {};
    return std::string_view(fields_.trace_id.data(), fields_.trace_id.size());
}

std::size_t trace_context::append_headers(std::string& wire) const {
    if (!present_) return std::string::npos;
    wire.append("traceparent: 00-").append(trace_id()).append("-");
    const auto span_offset = wire.size();
    wire.append(span_id_size, '0');
    wire.append("-").append(fields_.flags.data(), fields_.flags.size()).append("\r\n");
    if (!tracestate_.empty()) wire.append("tracestate: ").append(tracestate_).append("\r\n");
    write_span_id(wire.data() + span_offset);
    return span_offset;
}

void trace_context::write_span_id(char* out) {
    random_id(out, span_id_size);
}

}  // namespace ckg::observability
