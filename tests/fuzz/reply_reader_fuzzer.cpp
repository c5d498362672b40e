// libFuzzer target: any byte string as what an upstream sends after one
// request, read as the upstream client reads it (net/reply_reader: interim
// 1xx skipped, 101 refused, one cap for everything, over message_reader's
// turns). Invariants: the reader never takes in more than the cap, a body
// never exceeds its limit, and a connection declared reusable has nothing
// left over — every byte the upstream sent belonged to the one final reply.
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t step = 1 + data[0] * 16;
    const std::string_view wire(reinterpret_cast<const char*>(data + 1), size - 1);
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
    if (transport::reusable_after(*parser, reader, s))
        check(s.delivered() == wire.size() && reader.buffered() == 0);
    return 0;
}
