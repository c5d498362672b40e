// Reading the final reply to one upstream request with the shared
// message_reader: interim 1xx replies (103 Early Hints, 100 Continue, ...)
// are read and skipped (RFC 9110 section 15.2), each counted against the same
// cap as the final reply, and whether the connection may carry another
// request is decided here, in one place (docs/architecture.md, "Upstream
// calls").
#pragma once

#include "chatkit_gateway/net/message_reader.hpp"
#include "chatkit_gateway/net/reply_parser.hpp"

#include <cstdint>
#include <optional>

namespace ckg::transport {

struct reply_limits {
    std::uint32_t header_bytes = 64 * 1024;
    std::uint64_t body_bytes = 1 << 20;
};

// What a complete reply is to the reading of one request's replies.
enum class reply_kind { final, interim, refused };

inline reply_kind kind_of(const reply_parser& parser) noexcept {
    if (parser.status() == 101) return reply_kind::refused;  // never asked for
    return parser.status() >= 200 ? reply_kind::final : reply_kind::interim;
}

// Makes `parser` a new parser for the next reply (beast#2715) with `limits`.
inline void start_reply(std::optional<reply_parser>& parser, reply_limits limits) {
    parser.emplace();
    parser->header_limit(limits.header_bytes);
    parser->body_limit(limits.body_bytes);
}

// Reads replies into `parser` (a fresh one per message) until a final one
// is complete. Errors as message_reader::read, plus http::error::bad_status
// for 101 Switching Protocols (never asked for: the connection would no
// longer speak HTTP). The reader's cap bounds all the replies together.
template <class Stream>
net::awaitable<beast::error_code> read_final_reply(Stream& stream, message_reader& reader,
                                                   std::optional<reply_parser>& parser,
                                                   reply_limits limits) {
    reader.start_message();
    for (;;) {
        start_reply(parser, limits);
        if (auto ec = co_await reader.read(stream, *parser, false)) co_return ec;
        const auto kind = kind_of(*parser);
        if (kind == reply_kind::refused) co_return http::error::bad_status;
        if (kind == reply_kind::final) co_return beast::error_code{};
    }
}

// True when no byte of any reply arrived for the current request.
inline bool nothing_arrived(const message_reader& reader) noexcept {
    return reader.taken() == 0 && reader.buffered() == 0;
}

// A connection may carry another request only after a complete final reply
// that keeps it alive, with nothing left over anywhere: a byte after the
// reply is part of some other reply, never the next caller's.
template <class Stream>
bool reusable_after(const reply_parser& parser, const message_reader& reader,
                    Stream& stream) noexcept {
    return parser.is_done() && parser.keep_alive() && !reader.has_leftover(stream);
}

}  // namespace ckg::transport
