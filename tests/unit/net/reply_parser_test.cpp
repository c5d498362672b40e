#include "chatkit_gateway/net/reply_parser.hpp"

#include <boost/test/unit_test.hpp>

using namespace ckg;
using transport::reply_parser;

namespace {

// Feeds `wire` in pieces of `step` bytes, as reads would deliver it, and
// parses each piece as far as it goes (as https_client's read loop does).
beast::error_code feed(reply_parser& p, std::string_view wire, std::size_t step) {
    std::string pending;
    for (std::size_t i = 0; i < wire.size(); i += step) {
        pending.append(wire.substr(i, step));
        for (;;) {
            beast::error_code ec;
            const auto used = p.put(net::buffer(pending), ec);
            pending.erase(0, used);
            if (p.is_done()) return {};
            if (ec == http::error::need_more) break;
            if (ec) return ec;
            if (used == 0 || pending.empty()) break;
        }
    }
    beast::error_code ec;
    p.put_eof(ec);
    return ec;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reply_parsing)

BOOST_AUTO_TEST_CASE(status_first_retry_after_and_body_whatever_the_read_sizes) {
    const std::string wire =
        "HTTP/1.1 429 Too Many Requests\r\nX-Other: 1\r\nRetry-After: 7\r\nretry-after: 99\r\n"
        "Content-Length: 12\r\n\r\n{\"e\":\"slow\"}";
    for (std::size_t step : {1u, 5u, 4096u}) {
        BOOST_TEST_CONTEXT("step " << step) {
            reply_parser p;
            BOOST_TEST(!feed(p, wire, step));
            BOOST_TEST(p.status() == 429u);
            BOOST_TEST(p.retry_after() == "7");
            BOOST_TEST(p.body() == "{\"e\":\"slow\"}");
            BOOST_TEST(p.keep_alive());
        }
    }
}

BOOST_AUTO_TEST_CASE(chunked_and_close_delimited_bodies) {
    reply_parser chunked;
    BOOST_TEST(!feed(
        chunked,
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n",
        3));
    BOOST_TEST(chunked.body() == "{\"a\":1}");
    BOOST_TEST(chunked.retry_after().empty());
    BOOST_TEST(chunked.keep_alive());

    reply_parser until_close;
    BOOST_TEST(!feed(until_close,
                     "HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\nupstream down", 4));
    BOOST_TEST(until_close.status() == 502u);
    BOOST_TEST(until_close.body() == "upstream down");
    BOOST_TEST(!until_close.keep_alive());
}

BOOST_AUTO_TEST_CASE(limits_and_garbage_are_errors) {
    reply_parser big;
    big.body_limit(10);
    BOOST_TEST((feed(big, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n01234567890", 64) ==
                http::error::body_limit));
    reply_parser big_chunks;
    big_chunks.body_limit(10);
    BOOST_TEST((feed(big_chunks,
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
                     "chunked\r\n\r\n6\r\n012345\r\n6\r\n678901\r\n0\r\n\r\n",
                     64) == http::error::body_limit));
    reply_parser truncated;
    BOOST_TEST((feed(truncated, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nshort", 64) ==
                http::error::partial_message));
    reply_parser garbage;
    BOOST_TEST(feed(garbage, "SMTP ready\r\n\r\n", 64).failed());
}

BOOST_AUTO_TEST_CASE(the_upstream_request_id_is_kept_printable_and_bounded) {
    struct id_case {
        const char* what;
        std::string header_lines, expected;
    };
    const id_case cases[] = {
        {"none", "", ""},
        {"plain", "x-request-id: req_0123abc\r\n", "req_0123abc"},
        {"any case, the first one", "X-Request-ID: req_first\r\nx-request-id: req_second\r\n",
         "req_first"},
        {"not printable ASCII", "x-request-id: a\xc3\xa9\tb\r\n", "a???b"},
        {"too long", "x-request-id: " + std::string(300, 'r') + "\r\n", std::string(128, 'r')},
        {"a look-alike name", "x-request-idx: nope\r\n", ""},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.what) {
            reply_parser p;
            BOOST_TEST(!feed(
                p, "HTTP/1.1 200 OK\r\n" + c.header_lines + "Content-Length: 2\r\n\r\n{}", 7));
            BOOST_TEST(p.request_id() == c.expected);
            BOOST_TEST(p.body() == "{}");
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
