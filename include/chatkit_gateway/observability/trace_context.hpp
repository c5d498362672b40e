// W3C Trace Context level 1 (https://www.w3.org/TR/trace-context/) as
// docs/operations.md describes it: a valid `traceparent` on a request is
// continued, each upstream request of the call carrying the same trace id
// and flags with a span id of its own, and the request's `tracestate`
// unchanged; anything else starts a new trace (random id, flags 00) and
// drops `tracestate`. Pure text handling plus the CSPRNG; no I/O.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace ckg::observability {

// The parts of a version-00 traceparent that a continued trace keeps.
struct traceparent_fields {
    std::array<char, 32> trace_id{};
    std::array<char, 2> flags{};
};

// nullopt unless `value` is exactly "00-<32 hex>-<16 hex>-<2 hex>" in lower
// case with neither id all zeros (level 1 refuses upper case and, for
// version 00, anything longer).
std::optional<traceparent_fields> parse_traceparent(std::string_view value);

// Whether `value` may be forwarded as it is: at most 512 characters (the
// length level 1 asks every vendor to propagate), printable ASCII only.
bool forwardable_tracestate(std::string_view value);

class trace_context {
public:
    // No trace: adds no header and has an empty id (requests that reach no
    // handler, and internal calls such as JWKS fetches).
    trace_context() = default;

    // `traceparent`/`tracestate`: the request's header values, nullopt when
    // absent (a caller passes nullopt for a header sent more than once:
    // which of them would be the parent is not knowable).
    static trace_context from_request(std::optional<std::string_view> traceparent,
                                      std::optional<std::string_view> tracestate);

    bool present() const noexcept { return present_; }
    // Whether the request's own traceparent was continued.
    bool continued() const noexcept { return continued_; }
    // 32 lower-case hex digits ("" without a trace).
    std::string_view trace_id() const noexcept;
    // The tracestate forwarded upstream ("" when none is).
    const std::string& tracestate() const noexcept { return tracestate_; }

    // Appends the upstream request's header lines ("traceparent: ...\r\n",
    // then "tracestate: ...\r\n" when forwarded) and returns the offset in
    // `wire` of the 16 span id digits, to be refreshed for every attempt by
    // write_span_id(); npos (and nothing appended) without a trace.
    std::size_t append_headers(std::string& wire) const;

    static constexpr std::size_t span_id_size = 16;
    // Writes a fresh random span id (16 lower-case hex digits, never all
    // zeros) over `out[0..16)`.
    static void write_span_id(char* out);

private:
    bool present_ = false;
    bool continued_ = false;
    traceparent_fields fields_{};
    std::string tracestate_;
};

}  // namespace ckg::observability
