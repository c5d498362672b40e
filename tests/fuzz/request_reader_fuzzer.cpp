// libFuzzer target: any byte string as what a client sends on one
// connection, read as the server's connections read it (net/message_reader's
// turns over a stream that delivers the bytes a few at a time, a new parser
// per request with the public listener's limits, the framing check between
// header and body). It must never crash or hang, and the reader must never
// take in more than one request's cap, however the bytes are framed; the
// target the server would route is a path (http/framing.hpp), and no header
// it takes folds a field onto the next line (obs-fold). The
// same bytes as the body of a well-framed chunked request are read whole.
#include "chatkit_gateway/http/framing.hpp"
#include "chatkit_gateway/net/message_reader.hpp"

#include "memory_stream.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace ckg;

constexpr std::size_t header_limit = 16 * 1024, body_limit = 16 * 1024;
constexpr std::size_t cap = header_limit + body_limit + 4096;

// Aborts naming the check's line (the build keeps line tables only).
void check(bool ok, int line = __builtin_LINE()) {
    if (ok) return;
    std::fprintf(stderr, "check failed at line %d\n", line);
    std::abort();
}

// The target as the server routes it: an origin-form target as it is; an
// absolute-form one's path and query, shorter, with no fragment and no byte
// a request line could not hold.
void check_target(std::string_view target) {
    const auto routed = http_server::origin_form_target(target);
    if (!routed) return;
    if (target.starts_with('/')) return check(*routed == target);
    check(routed->starts_with('/') && routed->size() <= target.size());
    check(routed->find_first_of(std::string_view(" \r\n#\0", 5)) == std::string::npos);
}

// Each field's name and value, in order.
std::vector<std::pair<std::string, std::string>> fields_of(const http::request_header<>& h) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& f : h) out.emplace_back(f.name_string(), f.value());
    return out;
}

// Whether a header's bytes fold a field onto the next line (obs-fold).
bool folds(std::string_view header) {
    return header.find("\n ") != std::string_view::npos ||
           header.find("\n\t") != std::string_view::npos;
}

// Serves requests until one fails or asks to close; checks the cap after each
// read, and that no header taken folded a line (`wire`: what `s` delivers).
void serve(std::string_view wire, test::memory_stream& s, transport::message_reader& reader) {
    for (int i = 0; i < 16; ++i) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(header_limit);
        parser.body_limit(body_limit);
        transport::refuse_unclean_chunk_extensions(parser);
        reader.start_message();
        const auto before = s.delivered() - reader.buffered();
        const auto hec = test::read_now(s, reader, parser, true);
        check(s.delivered() - before <= cap);
        if (hec) return;
        check(!folds(wire.substr(before, reader.taken())));
        if (http_server::has_ambiguous_framing(parser.get())) return;
        check_target(parser.get().target());
        if (parser.content_length() && *parser.content_length() > body_limit) return;
        const auto header_fields = fields_of(parser.get());
        auto kept = http_server::fields_before_trailer(parser.get(), parser.chunked());
        const auto bec = test::read_now(s, reader, parser, false);
        // The server's handlers see the header's fields, in order, never the trailer's.
        http_server::drop_trailer_fields(parser.get(), std::move(kept));
        check(fields_of(parser.get()) == header_fields);
        check(s.delivered() - before <= cap);
        check(reader.taken() + reader.buffered() <= cap);
        if (bec) return;
        check(parser.get().body().size() <= body_limit);
        if (!parser.keep_alive()) return;
    }
}

// The input's bytes as the body of a well-framed chunked request (CRLF
// line ends, chunk sizes taken from the bytes, a trailer after an odd-sized
// body): read whole, whatever the body holds (bare LFs and CRs too) and
// however the reads split it, and with the header's end anywhere in a read
// (no fold is seen in a body). The reader fails a pending chunk line at a
// line end that is not CRLF; no body byte may look like one. At most 2 KiB,
// so that 1-byte chunks' framing fits the cap.
void well_framed_is_read_whole(std::string_view bytes, std::size_t step) {
    static constexpr char hex[] = "0123456789abcdef";
    const auto body = bytes.substr(0, 2048);
    // A header of a length taken from the bytes, so that reads also end
    // inside its last line end (a CR there, its LF in the next read).
    const std::size_t pad = body.empty() ? 0 : static_cast<unsigned char>(body.back()) % 48;
    std::string wire = "POST /x HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(pad, 'p') +
                       "\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (std::size_t i = 0; i < body.size();) {
        const auto n =
            std::min<std::size_t>(1 + static_cast<unsigned char>(body[i]) % 64, body.size() - i);
        if (n >= 16) wire += hex[n / 16];
        wire += hex[n % 16];
        wire.append("\r\n").append(body.substr(i, n)).append("\r\n");
        i += n;
    }
    wire += body.size() % 2 ? "0\r\nX-Trailer: 1\r\n\r\n" : "0\r\n\r\n";
    net::io_context ioc;
    test::memory_stream s(ioc.get_executor(), wire, step);
    transport::message_reader reader(cap);
    http::request_parser<http::string_body> parser;
    parser.header_limit(header_limit);
    parser.body_limit(body_limit);
    transport::refuse_unclean_chunk_extensions(parser);
    reader.start_message();
    check(!test::read_now(s, reader, parser, true));
    check(!test::read_now(s, reader, parser, false));
    check(parser.get().body() == body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t step = 1 + data[0] * 16;  // how the bytes are split into reads
    const std::string_view wire(reinterpret_cast<const char*>(data + 1), size - 1);
    net::io_context ioc;
    test::memory_stream s(ioc.get_executor(), wire, step);
    transport::message_reader reader(cap);
    serve(wire, s, reader);
    well_framed_is_read_whole(wire, step);
    return 0;
}
