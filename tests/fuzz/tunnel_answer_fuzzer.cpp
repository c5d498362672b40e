// libFuzzer target: any byte string as an egress proxy's answer to CONNECT,
// read as the upstream client reads it (net/connect_tunnel: the header only,
// through the bounded message_reader, over its turns). Invariants: the
// reader never takes in more than the cap, and a tunnel is declared open
// only on a 2xx status with nothing buffered after the header — no byte of
// the proxy's is ever taken for the origin's.
#include "chatkit_gateway/net/connect_tunnel.hpp"

#include "memory_stream.hpp"

#include <cstdint>
#include <cstdlib>

namespace {

using namespace ckg;

void check(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t step = 1 + data[0] * 16;
    const std::string_view wire(reinterpret_cast<const char*>(data + 1), size - 1);
    net::io_context ioc;
    test::memory_stream s(ioc.get_executor(), wire, step);
    transport::message_reader reader(transport::max_tunnel_answer_bytes);
    transport::reply_parser parser;
    parser.header_limit(static_cast<std::uint32_t>(transport::max_tunnel_answer_bytes));
    reader.start_message();
    const auto ec = test::read_now(s, reader, parser, true);
    const auto r = transport::tunnel_answer(ec, parser, reader);
    check(s.delivered() <= transport::max_tunnel_answer_bytes);
    check(reader.taken() + reader.buffered() <= transport::max_tunnel_answer_bytes);
    if (r.outcome == transport::tunnel_outcome::open) {
        check(r.status >= 200 && r.status <= 299);
        check(reader.buffered() == 0);
        check(parser.is_header_done());
        check(reader.taken() == s.delivered());
    }
    if (r.outcome == transport::tunnel_outcome::refused) check(r.status < 200 || r.status > 299);
    return 0;
}
