// libFuzzer target: any byte string as what an upstream sends after one
// request, read as the upstream client reads it (net/reply_reader: interim
// 1xx skipped, 101 refused, one cap for everything, over message_reader's
// turns). Invariants: the reader never takes in more than the cap, a body
// never exceeds its limit, and a connection declared reusable has nothing
// left over — every byte the upstream sent belonged to the one final reply;
// the request id kept for the log is short and printable. The input's bytes
// as the body of a well-framed chunked reply with a trailer are read whole,
// and the trailer's Retry-After and X-Request-Id are not taken as the
// reply's (RFC 9110 section 6.5.1).
#include "chatkit_gateway/net/reply_reader.hpp"

#include "memory_stream.hpp"

#include <cstdint>
#include <cstdlib>

namespace {

using namespace ckg;

constexpr std::size_t cap = 64 * 1024;
constexpr transport::reply_limits limits{16 * 1024, 32 * 1024};

void check(bool ok) {
    if (!ok) std::abort();
}

// read_final_reply's loop, without a coroutine.
beast::error_code read_final(test::memory_stream& s, transport::message_reader& reader,
                             std::optional<transport::reply_parser>& parser) {
    reader.start_message();
    for (;;) {
        transport::start_reply(parser, limits);
        if (auto ec = test::read_now(s, reader, *parser, false)) return ec;
        const auto kind = transport::kind_of(*parser);
        if (kind == transport::reply_kind::refused) return http::error::bad_status;
        if (kind == transport::reply_kind::final) return {};
    }
}

// The reply as the client keeps it: a request id for the log of at most
// 128 printable characters.
void check_kept_fields(const transport::reply_parser& parser) {
    check(parser.request_id().size() <= 128);
    for (const char c : parser.request_id()) check(c >= 0x20 && c <= 0x7e);
}

void trailer_is_not_the_header(std::string_view bytes, std::size_t step) {
    const auto body = bytes.substr(0, 4096);
    static constexpr char hex[] = "0123456789abcdef";
    std::string size_line;
    for (std::size_t n = body.size(); n > 0; n /= 16)
        size_line.insert(size_line.begin(), hex[n % 16]);
    std::string wire = "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n";
    if (!body.empty()) wire.append(size_line).append("\r\n").append(body).append("\r\n");
    wire.append("0\r\nRetry-After: 7\r\nX-Request-Id: from-trailer\r\n\r\n");
    net::io_context ioc;
    test::memory_stream s(ioc.get_executor(), wire, step);
    transport::message_reader reader(cap);
    std::optional<transport::reply_parser> parser;
    check(!read_final(s, reader, parser));
    check(parser->body() == body);
    check(parser->retry_after().empty() && parser->request_id().empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t step = 1 + data[0] * 16;
    const std::string_view wire(reinterpret_cast<const char*>(data + 1), size - 1);
    trailer_is_not_the_header(wire, step);
    net::io_context ioc;
    test::memory_stream s(ioc.get_executor(), wire, step);
    transport::message_reader reader(cap);
    std::optional<transport::reply_parser> parser;
    const auto ec = read_final(s, reader, parser);
    check(s.delivered() <= cap);
    check(reader.taken() + reader.buffered() <= cap);
    if (ec) return 0;
    check(parser->status() >= 200 && parser->status() <= 999);
    check(parser->body().size() <= limits.body_bytes);
    check_kept_fields(*parser);
    if (transport::reusable_after(*parser, reader, s))
        check(s.delivered() == wire.size() && reader.buffered() == 0);
    return 0;
}
