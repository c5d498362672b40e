// The one buffered HTTP/1.1 message reader, shared by the server's
// connections (requests) and the upstream client (replies). It parses what is
// already buffered and reads only when the parser needs more (a whole request
// or reply usually arrives in one read), and it bounds what one message may
// make it hold: every byte of a message (start line, header, chunk-size
// lines and extensions, trailers, body) counts against one cap, so an endless
// chunk extension or trailer section — which Beast 1.81's header_limit and
// body_limit do not see — ends with a limit error instead of growing the
// buffer (docs/architecture.md, "Written by hand").
//
// Parsing stays Beast's: any basic_parser (a request_parser or
// net/reply_parser) is fed. The reader keeps the bytes that follow a
// complete message for the next one and says whether any are there, here or
// in the stream's own TLS buffers, so that a pooled upstream connection is
// never reused with part of another reply waiting.
#pragma once

#include "chatkit_gateway/core/asio.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace ckg::transport {

// What feeding the buffered bytes to a parser came to.
enum class parse_step { complete, need_more, failed };

// A chunk's extensions as RFC 9112 section 7.1.1 allows them: no control
// character but HTAB. Beast 1.81 takes a bare LF inside a quoted extension
// value, which a front end that ends lines at LF would frame differently.
inline bool clean_chunk_extensions(std::string_view ext) noexcept {
    for (const char c : ext) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && u != '\t') || u == 0x7F) return false;
    }
    return true;
}

// Has an http::parser refuse (bad_chunk_extension) a chunk whose extensions
// are not clean. The check is stateless, so one object serves every parser.
template <class Parser>
void refuse_unclean_chunk_extensions(Parser& parser) {
    static auto check = [](std::uint64_t, beast::string_view ext, beast::error_code& ec) {
        if (!clean_chunk_extensions(ext)) ec = http::error::bad_chunk_extension;
    };
    parser.on_chunk_header(check);
}

class message_reader {
public:
    // `cap`: the most bytes one message may span on the wire.
    explicit message_reader(std::size_t cap = 0) noexcept : cap_(cap) {}

    void set_cap(std::size_t cap) noexcept { cap_ = cap; }
    std::size_t cap() const noexcept { return cap_; }

    // Starts counting a new message: bytes still buffered count toward it.
    void start_message() noexcept {
        taken_ = 0;
        line_checked_ = 0;
        fold_checked_ = 0;
        header_end_seen_ = false;
        after_lf_ = false;
    }

    // Feeds the buffered bytes to `parser` until its header (`header_only`)
    // or whole message is complete, it needs more bytes, or it fails (`ec`
    // set: Beast's error, or header_limit / body_limit when the message
    // reached the cap before its header / body was complete).
    template <bool isRequest>
    parse_step parse(http::basic_parser<isRequest>& parser, bool header_only,
                     beast::error_code& ec);

    // How much the next read may ask for: `wanted`, never past the cap.
    std::size_t room(std::size_t wanted) const noexcept;

    // The two halves of one turn of read(), for callers that read without
    // coroutines (the fuzz targets): next() parses what is buffered and, when
    // the parser needs more, says how much the read into buffer().prepare()
    // may ask for; received() takes that read's outcome and returns the error
    // that ends the message, if any (read()'s rules).
    template <bool isRequest>
    parse_step next(http::basic_parser<isRequest>& parser, bool header_only, beast::error_code& ec,
                    std::size_t& ask);
    template <bool isRequest>
    beast::error_code received(http::basic_parser<isRequest>& parser, bool header_only,
                               beast::error_code rec, std::size_t n);

    // Reads until `parser`'s header or message is complete. Errors as
    // http::async_read: end_of_stream when the peer closed before any byte
    // of this message, a body delimited by the close ends there, a close
    // mid-message is partial_message; limits as parse().
    template <class Stream, bool isRequest>
    net::awaitable<beast::error_code> read(Stream& stream, http::basic_parser<isRequest>& parser,
                                           bool header_only);

    // True when bytes follow the last complete message: in this buffer or
    // still inside the stream's TLS layer (decrypted or not).
    template <class Stream>
    bool has_leftover(Stream& stream) const noexcept {
        if (buffer_.size() > 0) return true;
        if constexpr (requires { stream.has_buffered_input(); }) return stream.has_buffered_input();
        return false;
    }

    beast::flat_buffer& buffer() noexcept { return buffer_; }
    std::size_t buffered() const noexcept { return buffer_.size(); }
    // Bytes of the current message taken by its parser so far.
    std::size_t taken() const noexcept { return taken_; }
    // Gives back a large message's memory (an idle connection stays small).
    void shrink(std::size_t keep) {
        if (buffer_.capacity() > keep) buffer_.shrink_to_fit();
    }

private:
    template <bool isRequest>
    static std::size_t wanted_read(const http::basic_parser<isRequest>& parser) noexcept {
        constexpr std::size_t small = 2048, large = 64 * 1024;
        if (!parser.is_header_done()) return small;
        const auto remaining = parser.content_length_remaining();
        if (!remaining) return small * 2;
        return *remaining < 512
                   ? 512
                   : (*remaining > large ? large : static_cast<std::size_t>(*remaining));
    }

    // Whether the bytes the parser left waiting hold a line end that is not
    // CRLF: an LF that no CR comes before, or a CR that something other than
    // an LF follows. Beast 1.81 ends a chunk-size line or a trailer only at
    // CRLF (RFC 9112 section 7.1) and reads past a bare LF, or a CR after
    // chunk data or before the last CRLF, waiting for the rest of the
    // deadline for a line that can no longer end well. Those bytes are one
    // pending line (chunk data is taken as it comes), so such a line end
    // fails the message at once. A CR that ends the buffer is judged when
    // its next byte comes. Each byte is looked at once (line_checked_),
    // however the line dribbles in.
    bool holds_broken_line_end() noexcept {
        const auto* p = static_cast<const char*>(buffer_.data().data());
        const auto n = buffer_.size();
        for (auto i = std::min(line_checked_, n); i < n; ++i)
            if ((p[i] == '\n') != (i > 0 && p[i - 1] == '\r')) return true;
        line_checked_ = n;
        return false;
    }

    // Whether the header being read folds a field value onto the next line
    // (obs-fold: a line end then SP or HTAB, RFC 9112 section 5.2). Beast
    // 1.81 joins such a line to the field ("Transfer-Encoding:\r\n chunked"
    // reads as chunked) where a front end may take it for no field at all,
    // and frame the body another way: the message is refused instead. Beast
    // may take the header's complete lines before its end has come, so the
    // scan carries on where it stopped, knowing whether the byte before was
    // an LF (after_lf_), and ends for good at the empty line that ends the
    // header, once that line's LF is there (a read may end between its CR
    // and LF): the body's bytes are never looked at. Each byte is looked at
    // once, and only the byte after each LF closely: memchr finds the LFs
    // (a byte-by-byte loop here was 5 % of a mint's instructions,
    // docs/benchmarks-ab.md).
    bool holds_folded_line() noexcept {
        if (header_end_seen_) return false;
        const auto* p = static_cast<const char*>(buffer_.data().data());
        const auto n = buffer_.size();
        for (auto i = fold_checked_; i < n;) {
            if (!after_lf_) {
                const auto* lf = static_cast<const char*>(std::memchr(p + i, '\n', n - i));
                if (lf == nullptr) break;
                i = static_cast<std::size_t>(lf - p) + 1;
                after_lf_ = true;
                continue;
            }
            const char c = p[i];
            if (c == ' ' || c == '\t') return true;
            if (c == '\r' && i + 1 == n) {
                fold_checked_ = i;  // judged when the next byte comes
                return false;
            }
            if (c == '\n' || (c == '\r' && p[i + 1] == '\n')) {
                header_end_seen_ = true;
                return false;
            }
            after_lf_ = false;
            ++i;
        }
        fold_checked_ = n;
        return false;
    }

    beast::flat_buffer buffer_;
    std::size_t cap_ = 0;
    std::size_t taken_ = 0;         // bytes of the current message the parser consumed
    std::size_t line_checked_ = 0;  // leading buffered bytes holds_broken_line_end() passed
    std::size_t fold_checked_ = 0;  // leading buffered bytes holds_folded_line() passed
    bool header_end_seen_ = false;  // holds_folded_line() found the header's end
    bool after_lf_ = false;         // the byte before fold_checked_ is an LF
};

template <bool isRequest>
parse_step message_reader::parse(http::basic_parser<isRequest>& parser, bool header_only,
                                 beast::error_code& ec) {
    for (;;) {
        if (header_only ? parser.is_header_done() : parser.is_done()) return parse_step::complete;
        if (buffer_.size() == 0) break;
        if (!parser.is_header_done() && holds_folded_line()) {
            ec = http::error::bad_obs_fold;
            return parse_step::failed;
        }
        ec = {};
        const auto used = parser.put(buffer_.data(), ec);
        if (used > 0) {
            // Beast may take a header's complete lines before its end: the
            // fold scan goes on after the last byte taken.
            after_lf_ = static_cast<const char*>(buffer_.data().data())[used - 1] == '\n';
            line_checked_ = fold_checked_ = 0;
            header_end_seen_ = false;
        }
        buffer_.consume(used);
        taken_ += used;
        if (ec == http::error::need_more) break;
        if (ec) return parse_step::failed;
    }
    ec = {};
    if (parser.is_header_done() && parser.chunked() && holds_broken_line_end()) {
        ec = http::error::bad_line_ending;
        return parse_step::failed;
    }
    // The parser keeps waiting for a line end (a chunk-size line, an extension,
    // a trailer): what it holds and what it consumed must stay under the cap.
    if (taken_ + buffer_.size() >= cap_) {
        ec = parser.is_header_done() ? http::error::body_limit : http::error::header_limit;
        return parse_step::failed;
    }
    return parse_step::need_more;
}

inline std::size_t message_reader::room(std::size_t wanted) const noexcept {
    const auto held = taken_ + buffer_.size();
    const auto left = cap_ > held ? cap_ - held : 0;
    return wanted < left ? wanted : left;
}

template <bool isRequest>
parse_step message_reader::next(http::basic_parser<isRequest>& parser, bool header_only,
                                beast::error_code& ec, std::size_t& ask) {
    const auto step = parse(parser, header_only, ec);
    if (step == parse_step::need_more) ask = room(wanted_read(parser));
    return step;
}

template <bool isRequest>
beast::error_code message_reader::received(http::basic_parser<isRequest>& parser, bool header_only,
                                           beast::error_code rec, std::size_t n) {
    if (rec == net::error::eof) {
        if (!parser.got_some() && buffer_.size() == 0) return http::error::end_of_stream;
        // A body delimited by the close ends here; anything else is partial_message.
        parser.put_eof(rec);
        if (!rec && !header_only && !parser.is_done()) rec = http::error::partial_message;
        if (!rec && header_only && !parser.is_header_done()) rec = http::error::partial_message;
        return rec ? rec : beast::error_code{};
    }
    if (rec) return rec;
    buffer_.commit(n);
    return {};
}

template <class Stream, bool isRequest>
net::awaitable<beast::error_code> message_reader::read(Stream& stream,
                                                       http::basic_parser<isRequest>& parser,
                                                       bool header_only) {
    for (;;) {
        beast::error_code ec;
        std::size_t ask = 0;
        const auto step = next(parser, header_only, ec, ask);
        if (step == parse_step::complete) co_return beast::error_code{};
        if (step == parse_step::failed) co_return ec;
        auto [rec, n] = co_await stream.async_read_some(buffer_.prepare(ask), nothrow_awaitable);
        if (auto e = received(parser, header_only, rec, n)) co_return e;
    }
}

}  // namespace ckg::transport
