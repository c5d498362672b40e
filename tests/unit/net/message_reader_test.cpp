#include "chatkit_gateway/net/message_reader.hpp"
#include "chatkit_gateway/net/reply_reader.hpp"

#include "memory_stream.hpp"

#include <boost/test/unit_test.hpp>

using namespace ckg;
using ckg::test::memory_stream;
using transport::message_reader;

namespace {

struct read_outcome {
    beast::error_code ec;
    std::size_t delivered = 0;
    bool leftover = false;
};

// Reads one request from `wire`, delivered `step` bytes at a time, with a reader capped at `cap`.
read_outcome read_request(std::string_view wire, std::size_t step, std::size_t cap,
                          message_reader& reader, http::request_parser<http::string_body>& parser) {
    net::io_context ioc;
    memory_stream s(ioc.get_executor(), wire, step);
    read_outcome out;
    auto run = [&]() -> net::awaitable<void> {
        reader.start_message();
        out.ec = co_await reader.read(s, parser, false);
        out.leftover = reader.has_leftover(s);
    };
    net::co_spawn(ioc, run(), net::detached);
    ioc.run();
    out.delivered = s.delivered();
    return out;
}

struct reply_outcome {
    beast::error_code ec;
    unsigned status = 0;
    std::string body;
    bool reusable = false;
    std::size_t delivered = 0;
};

reply_outcome read_reply(std::string_view wire, std::size_t step, std::size_t cap = 1 << 20) {
    net::io_context ioc;
    memory_stream s(ioc.get_executor(), wire, step);
    message_reader reader(cap);
    std::optional<transport::reply_parser> parser;
    reply_outcome out;
    auto run = [&]() -> net::awaitable<void> {
        out.ec = co_await transport::read_final_reply(s, reader, parser, {64 * 1024, cap});
        if (!out.ec) {
            out.status = parser->status();
            out.body = parser->body();
            out.reusable = transport::reusable_after(*parser, reader, s);
        }
    };
    net::co_spawn(ioc, run(), net::detached);
    ioc.run();
    out.delivered = s.delivered();
    return out;
}

const std::string reply_ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

}  // namespace

BOOST_AUTO_TEST_SUITE(message_reading)

BOOST_AUTO_TEST_CASE(endless_request_framing_stops_at_the_cap) {
    const std::string head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::string endless(1 << 20, 'a');
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"chunk extension", head + "1;a=" + endless},
        {"chunk-size line", head + std::string(1 << 20, '0')},
        {"trailer", head + "1\r\na\r\n0\r\nX-a: " + endless},
        {"many extensions, tiny chunks",
         [&] {
             std::string s = head;
             while (s.size() < (1 << 20)) s += "1;ext=aaaaaaaaaaaaaaaaaaaa\r\na\r\n";
             return s;
         }()},
    };
    for (const auto& [name, wire] : cases)
        for (const std::size_t step : {1u, 7u, 4096u, 65536u}) {
            if (step == 1 && wire.size() > 100000 && name != "chunk extension")
                continue;  // keeps the suite fast
            BOOST_TEST_CONTEXT(name << ", " << step << " bytes per read") {
                message_reader reader(36 * 1024);
                http::request_parser<http::string_body> parser;
                parser.body_limit(16 * 1024);
                const auto r = read_request(wire, step, 36 * 1024, reader, parser);
                BOOST_TEST(r.ec == beast::error_code(http::error::body_limit));
                BOOST_TEST(r.delivered <= 36u * 1024);
            }
        }
}

BOOST_AUTO_TEST_CASE(an_endless_header_is_a_header_limit) {
    std::string wire = "GET / HTTP/1.1\r\n";
    while (wire.size() < (1 << 20)) wire += "X-a: b\r\n";
    message_reader reader(36 * 1024);
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    const auto r = read_request(wire, 4096, 36 * 1024, reader, parser);
    BOOST_TEST(r.ec == beast::error_code(http::error::header_limit));
    BOOST_TEST(r.delivered <= 36u * 1024);
}

BOOST_AUTO_TEST_CASE(pipelined_requests_stay_buffered_for_the_next_message) {
    const std::string one = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
                      two = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
    net::io_context ioc;
    const std::string wire = one + two;
    memory_stream s(ioc.get_executor(), wire, 4096);
    message_reader reader(36 * 1024);
    std::string targets;
    bool leftover_after_first = false;
    auto run = [&]() -> net::awaitable<void> {
        for (int i = 0; i < 2; ++i) {
            http::request_parser<http::string_body> parser;
            reader.start_message();
            const auto ec = co_await reader.read(s, parser, false);
            if (ec) {
                targets += ec.message();
                co_return;
            }
            targets += std::string(parser.get().target());
            if (i == 0) leftover_after_first = reader.has_leftover(s);
        }
    };
    net::co_spawn(ioc, run(), net::detached);
    ioc.run();
    BOOST_TEST(targets == "/a/b");
    BOOST_TEST(leftover_after_first);
    BOOST_TEST(!reader.has_leftover(s));
}

BOOST_AUTO_TEST_CASE(interim_replies_are_skipped) {
    for (const std::size_t step : {1u, 5u, 4096u}) {
        const auto r = read_reply(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" +
                reply_ok,
            step);
        BOOST_TEST(!r.ec);
        BOOST_TEST(r.status == 200u);
        BOOST_TEST(r.body == "ok");
        BOOST_TEST(r.reusable);
    }
}

BOOST_AUTO_TEST_CASE(switching_protocols_is_refused) {
    const auto r =
        read_reply("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n" + reply_ok, 4096);
    BOOST_TEST(r.ec == beast::error_code(http::error::bad_status));
}

BOOST_AUTO_TEST_CASE(anything_after_a_reply_makes_the_connection_unusable) {
    for (const std::size_t step : {1u, 3u, 4096u}) {
        BOOST_TEST_CONTEXT(step << " bytes per read") {
            BOOST_TEST(read_reply(reply_ok, step).reusable);
            BOOST_TEST(!read_reply(reply_ok + reply_ok, step).reusable);  // an extra reply
            BOOST_TEST(!read_reply(reply_ok + "x", step).reusable);       // a stray byte
            BOOST_TEST(
                !read_reply("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
                            step)
                     .reusable);
            const auto eof_delimited = read_reply("HTTP/1.1 200 OK\r\n\r\nuntil the close", step);
            BOOST_TEST(eof_delimited.body == "until the close");
            BOOST_TEST(!eof_delimited.reusable);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_reply_cap_counts_framing_and_interim_replies) {
    std::string chunks = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    while (chunks.size() < 10000) chunks += "1;e=aaaaaaaaaaaaaaaaaaaa\r\na\r\n";
    chunks += "0\r\n\r\n";
    const auto framed =
        read_reply(chunks, 4096, 8192);  // under 400 body bytes, but over 8 KiB on the wire
    BOOST_TEST(framed.ec == beast::error_code(http::error::body_limit));
    BOOST_TEST(framed.delivered <= 8192u);

    std::string interims;
    while (interims.size() < 10000) interims += "HTTP/1.1 103 Early Hints\r\n\r\n";
    const auto endless_interims = read_reply(interims + reply_ok, 4096, 8192);
    BOOST_TEST(endless_interims.ec == beast::error_code(http::error::header_limit));
    BOOST_TEST(endless_interims.delivered <= 8192u);
}

BOOST_AUTO_TEST_CASE(truncated_replies_are_errors) {
    BOOST_TEST(read_reply("", 10).ec == beast::error_code(http::error::end_of_stream));
    BOOST_TEST(read_reply("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 10).ec ==
               beast::error_code(http::error::partial_message));
    BOOST_TEST(read_reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 10).ec ==
               beast::error_code(http::error::partial_message));
}

BOOST_AUTO_TEST_SUITE_END()
