// The HTTP server core over real sockets on 127.0.0.1, plain and TLS:
// keep-alive, timeouts, limits, malformed input, routing and common headers.
#include "test_client.hpp"
#include "test_files.hpp"
#include "test_server.hpp"

#include "chatkit_gateway/http/error_response.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <openssl/ssl.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <thread>
#include <vector>

using namespace ckg;
using namespace ckg::http_server;
using ckg::test::ms_since;
using ckg::test::test_client;
using ckg::test::test_server;
using namespace std::chrono_literals;

namespace {

// 15 MiB, more than loopback's socket buffers hold (4 MiB send + 6 MiB receive).
const std::string& big_body() {
    static const std::string body = [] {
        std::string b;
        b.reserve(15 << 20);
        for (std::uint32_t i = 0; b.size() < (15u << 20); ++i)
            b += std::to_string(i * 2654435761u) + ',';
        return b;
    }();
    return body;
}

// GET/POST /echo answers with the body, the peer's port and the method.
router echo_router() {
    router r;
    auto echo = [](request_context& ctx) -> net::awaitable<reply> {
        boost::json::object body = {{"body", ctx.req.body()},
                                    {"port", ctx.remote.port()},
                                    {"method", http::to_string(ctx.req.method())},
                                    {"query", ctx.query}};
        co_return reply{make_json_response(http::status::ok, body, ctx.req.version())};
    };
    r.add(http::verb::get, "/echo", echo);
    r.add(http::verb::post, "/echo", echo);
    r.add(http::verb::get, "/slow", [](request_context& ctx) -> net::awaitable<reply> {
        net::steady_timer t(co_await net::this_coro::executor, 300ms);
        co_await t.async_wait(nothrow_awaitable);
        co_return reply{make_json_response(http::status::ok, {{"slow", true}}, ctx.req.version())};
    });
    r.add(http::verb::get, "/big", [](request_context& ctx) -> net::awaitable<reply> {
        reply r{make_json_response(http::status::ok, big_body(), ctx.req.version())};
        r.res.set(http::field::cache_control, "public");  // the connection's own headers win
        r.res.set(http::field::vary, "Accept");
        co_return r;
    });
    r.add(http::verb::get, "/throw", [](request_context&) -> net::awaitable<reply> {
        throw std::runtime_error("handler bug");
        co_return reply{};
    });
    return r;
}

server_options fast_options() {
    server_options o;
    o.max_body_bytes = 1024;
    o.header_timeout = 400ms;
    o.idle_timeout = 800ms;
    o.access_log = false;
    return o;
}

boost::json::value json_of(const test::response& res) {
    return boost::json::parse(res.body());
}

std::string error_code_of(const test::response& res) {
    return std::string(json_of(res).at("error").at("code").as_string());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_server_core)

BOOST_AUTO_TEST_CASE(keep_alive_reuses_one_connection) {
    test_server srv(fast_options(), echo_router());
    test_client c(srv.endpoint());
    auto a = c.request(http::verb::get, "/echo?x=1");
    auto b = c.request(http::verb::post, "/echo", R"({"a":1})");
    BOOST_TEST(a.result_int() == 200);
    BOOST_TEST(b.result_int() == 200);
    BOOST_TEST(a.keep_alive());
    BOOST_TEST(json_of(a).at("port") == json_of(b).at("port"));
    BOOST_TEST(json_of(a).at("query").as_string() == "x=1");
    BOOST_TEST(json_of(b).at("body").as_string() == R"({"a":1})");
    BOOST_TEST(srv.server().open_connections() == 1u);
}

BOOST_AUTO_TEST_CASE(tls_keep_alive_and_common_headers) {
    test_server srv(fast_options(), echo_router(), test::test_tls_store());
    test_client c(srv.endpoint(), test::test_pki("ca.pem"));
    auto a = c.request(http::verb::get, "/echo", {}, {{"X-Request-Id", "trace-abc.1_2"}});
    auto b = c.request(http::verb::get, "/echo");
    BOOST_TEST(a.result_int() == 200);
    BOOST_TEST(a["X-Request-Id"] == "trace-abc.1_2");
    BOOST_TEST(b["X-Request-Id"].size() >= 16u);
    BOOST_TEST(a["X-Request-Id"] != b["X-Request-Id"]);
    BOOST_TEST(a[http::field::cache_control] == "no-store");
    BOOST_TEST(a[http::field::vary] == "Origin");
    BOOST_TEST(json_of(a).at("port") == json_of(b).at("port"));
    // RFC 9110's Date, the server's clock: a client with a wrong clock
    // reads a session's remaining life from it.
    BOOST_TEST(a.count(http::field::date) == 1u);
    std::tm tm{};
    const std::string date(a[http::field::date]);
    const char* end = strptime(date.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    BOOST_TEST((end != nullptr && *end == '\0'), "Date: " << date);
    BOOST_TEST(std::abs(timegm(&tm) - std::time(nullptr)) <= 5, "Date: " << date);
}

// The server tries each write at once; when the client reads late the socket
// takes only part, and the rest must follow asynchronously, in order.
BOOST_AUTO_TEST_CASE(a_large_reply_to_a_late_reader_arrives_whole) {
    test_server srv(fast_options(), echo_router(), test::test_tls_store());
    test_client c(srv.endpoint(), test::test_pki("ca.pem"));
    c.write_raw("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
    std::this_thread::sleep_for(300ms);
    auto res = c.read_response();
    BOOST_REQUIRE(res.has_value());
    BOOST_TEST(res->result_int() == 200);
    BOOST_TEST(res->body().size() == big_body().size());
    BOOST_TEST((res->body() == big_body()));
    BOOST_TEST(res->count(http::field::cache_control) == 1u);
    BOOST_TEST((*res)[http::field::cache_control] == "no-store");
    BOOST_TEST(res->count(http::field::vary) == 1u);
    BOOST_TEST(c.request(http::verb::get, "/echo").result_int() ==
               200);  // and the connection goes on
}

BOOST_AUTO_TEST_CASE(insane_request_ids_are_replaced) {
    test_server srv(fast_options(), echo_router());
    test_client c(srv.endpoint());
    auto res = c.request(http::verb::get, "/echo", {}, {{"X-Request-Id", std::string(129, 'a')}});
    BOOST_TEST(res["X-Request-Id"] != std::string(129, 'a'));
    BOOST_TEST(res["X-Request-Id"].size() >= 16u);
}

BOOST_AUTO_TEST_CASE(tls_refuses_old_protocols_and_non_aead_ciphers) {
    test_server srv(fast_options(), echo_router(), test::test_tls_store());
    auto handshake = [&](auto configure) {
        net::io_context ioc;
        ssl::context ctx(ssl::context::tls_client);
        ctx.set_verify_mode(ssl::verify_none);
        configure(ctx.native_handle());
        ssl::stream<tcp::socket> s(ioc, ctx);
        s.next_layer().connect(srv.endpoint());
        beast::error_code ec;
        s.handshake(ssl::stream_base::client, ec);
        return !ec;
    };
    BOOST_TEST(handshake([](SSL_CTX* c) { SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION); }));
    BOOST_TEST(handshake([](SSL_CTX* c) { SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION); }));
    BOOST_TEST(!handshake([](SSL_CTX* c) {
        SSL_CTX_set_security_level(c, 0);
        SSL_CTX_set_min_proto_version(c, TLS1_VERSION);
        SSL_CTX_set_max_proto_version(c, TLS1_1_VERSION);
    }));
    BOOST_TEST(!handshake([](SSL_CTX* c) {
        SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION);
        SSL_CTX_set_cipher_list(
            c, "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:AES128-GCM-SHA256");
    }));
}

// A request that stalls part-way is answered 408 (with the headers of every
// answer) when its budget runs out, and the connection is closed.
BOOST_AUTO_TEST_CASE(a_slow_header_is_cut_off_while_others_are_served) {
    test_server srv(fast_options(), echo_router());
    test_client slow(srv.endpoint());
    slow.write_raw("GET /echo HTTP/1.1\r\nHost: x\r\n");
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) {
        test_client other(srv.endpoint());
        BOOST_TEST(other.request(http::verb::get, "/echo").result_int() == 200);
    }
    const auto res = slow.read_response();
    const auto waited = ms_since(started);
    BOOST_REQUIRE(res.has_value());
    BOOST_TEST(res->result_int() == 408);
    BOOST_TEST(error_code_of(*res) == "request_timeout");
    BOOST_TEST((*res)["X-Request-Id"].size() >= 16u);
    BOOST_TEST((*res)[http::field::cache_control] == "no-store");
    BOOST_TEST((*res)[http::field::vary] == "Origin");
    BOOST_TEST(!res->keep_alive());
    BOOST_TEST(slow.peer_closed());
    BOOST_TEST(waited >= 300);
    BOOST_TEST(waited < 3000);
}

// Over TLS too, for a body that stops short: the header was read, so the
// answer carries its X-Request-Id; the connection then closes. A
// connection that never began a request is closed without an answer.
BOOST_AUTO_TEST_CASE(a_stalled_body_over_tls_is_408_and_a_silent_one_gets_no_answer) {
    test_server srv(fast_options(), echo_router(), test::test_tls_store());
    test_client c(srv.endpoint(), test::test_pki("ca.pem"));
    c.write_raw(
        "POST /echo HTTP/1.1\r\nHost: x\r\nX-Request-Id: stalled-1\r\n"
        "Content-Length: 10\r\n\r\nabc");
    const auto res = c.read_response();
    BOOST_REQUIRE(res.has_value());
    BOOST_TEST(res->result_int() == 408);
    BOOST_TEST((*res)["X-Request-Id"] == "stalled-1");
    BOOST_TEST(c.peer_closed());
    test_client quiet(srv.endpoint(), test::test_pki("ca.pem"));
    BOOST_TEST(quiet.peer_closed());
    // A keep-alive connection idle past idle_timeout closes without an answer too.
    test_client idle(srv.endpoint(), test::test_pki("ca.pem"));
    BOOST_TEST(idle.request(http::verb::get, "/echo").result_int() == 200);
    BOOST_TEST(idle.peer_closed());
}

// header_timeout is one budget for the whole first request, from accept to
// its last byte: a client that spends most of it before the first byte
// does not get it again for the header and again for the body.
BOOST_AUTO_TEST_CASE(one_budget_covers_a_request_from_accept_to_its_last_byte) {
    auto o = fast_options();
    o.header_timeout = 1000ms;
    o.idle_timeout = 3000ms;
    test_server srv(o, echo_router());
    test_client c(srv.endpoint());
    std::this_thread::sleep_for(700ms);
    c.write_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n");
    std::this_thread::sleep_for(600ms);  // 1.3 s after accept: past the budget
    try {
        c.write_raw("{}");
    } catch (const std::exception&) {
        // the 408 came first and the server stopped reading: fine
    }
    const auto r = c.read_response();
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->result_int() == 408, "answered " << r->result_int() << " after the budget");
    // A keep-alive request's budget starts at its own first byte.
    test_client k(srv.endpoint());
    BOOST_TEST(k.request(http::verb::get, "/echo").result_int() == 200);
    std::this_thread::sleep_for(600ms);  // idle, within idle_timeout
    k.write_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n");
    std::this_thread::sleep_for(500ms);
    k.write_raw("{}");
    const auto later = k.read_response();
    BOOST_REQUIRE(later.has_value());
    BOOST_TEST(later->result_int() == 200);
}

BOOST_AUTO_TEST_CASE(idle_keep_alive_connections_are_closed) {
    test_server srv(fast_options(), echo_router());
    test_client c(srv.endpoint());
    BOOST_TEST(c.request(http::verb::get, "/echo").result_int() == 200);
    const auto started = std::chrono::steady_clock::now();
    BOOST_TEST(c.peer_closed());
    BOOST_TEST(ms_since(started) >= 600);
}

BOOST_AUTO_TEST_CASE(a_connection_that_sends_nothing_is_closed) {
    test_server srv(fast_options(), echo_router());
    test_client c(srv.endpoint());
    BOOST_TEST(c.peer_closed());
}

BOOST_AUTO_TEST_CASE(oversized_bodies_are_413) {
    test_server srv(fast_options(), echo_router());
    {
        test_client c(srv.endpoint());
        auto res = c.request(http::verb::post, "/echo", std::string(1025, 'x'));
        BOOST_TEST(res.result_int() == 413);
        BOOST_TEST(error_code_of(res) == "body_too_large");
        BOOST_TEST(res["X-Request-Id"].size() >= 16u);
        BOOST_TEST(res[http::field::vary] == "Origin");
        BOOST_TEST(!res.keep_alive());
    }
    {
        test_client c(srv.endpoint());
        c.write_raw(
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            "400\r\n" +
            std::string(1024, 'a') + "\r\n10\r\n" + std::string(16, 'b') + "\r\n0\r\n\r\n");
        auto res = c.read_response();
        BOOST_REQUIRE(res.has_value());
        BOOST_TEST(res->result_int() == 413);
    }
    test_client c(srv.endpoint());
    BOOST_TEST(c.request(http::verb::post, "/echo", std::string(1024, 'x')).result_int() == 200);
}

BOOST_AUTO_TEST_CASE(headers_over_16k_are_431) {
    test_server srv(fast_options(), echo_router());
    test_client c(srv.endpoint());
    auto res = c.request(http::verb::get, "/echo", {}, {{"X-Big", std::string(17 * 1024, 'h')}});
    BOOST_TEST(res.result_int() == 431);
    BOOST_TEST(res["X-Request-Id"].size() >= 16u);
}

BOOST_AUTO_TEST_CASE(ambiguous_framing_is_refused) {
    test_server srv(fast_options(), echo_router());
    const std::vector<std::string> requests = {
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: "
        "chunked\r\n\r\n0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n",
        "POST /echo HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    };
    for (const auto& raw : requests) {
        BOOST_TEST_CONTEXT(raw) {
            test_client c(srv.endpoint());
            c.write_raw(raw);
            auto res = c.read_response();
            BOOST_REQUIRE(res.has_value());
            BOOST_TEST(res->result_int() == 400);
            BOOST_TEST(error_code_of(*res) == "invalid_request");
            BOOST_TEST(c.peer_closed());
        }
    }
}

namespace {

// Each of `bodies` after `head`, on a connection of its own: 400
// invalid_request well inside the fast options' 400 ms budget, then a close.
void each_body_is_400_at_once(test_server& srv, const std::string& head,
                              const std::vector<std::string>& bodies) {
    for (const auto& body : bodies) {
        BOOST_TEST_CONTEXT(body) {
            test_client c(srv.endpoint());
            const auto started = std::chrono::steady_clock::now();
            c.write_raw(head + body);
            auto res = c.read_response();
            BOOST_REQUIRE(res.has_value());
            BOOST_TEST(res->result_int() == 400);
            BOOST_TEST(error_code_of(*res) == "invalid_request");
            BOOST_TEST(ms_since(started) < 300);  // well inside the 400 ms budget
            BOOST_TEST(c.peer_closed());
        }
    }
}

}  // namespace

// RFC 9112 section 7.1 ends chunk lines and trailers with CRLF; a bare LF
// there can never be completed, so it is a 400 at once, not a wait for the
// rest of the request's budget and a 408.
BOOST_AUTO_TEST_CASE(chunk_lines_ended_by_a_bare_lf_are_400_at_once) {
    test_server srv(fast_options(), echo_router());
    const std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::vector<std::string> bodies = {
        "2\n{}\n0\n\n",                     // every line
        "2\r\n{}\r\n0\n\r\n",               // the last chunk's line
        "2;ext=1\n{}\r\n0\r\n\r\n",         // a line with an extension
        "2\r\n{}\r\n0\r\nX-T: 1\n\r\n",     // a trailer
        "2;a=\"x\ny\"\r\n{}\r\n0\r\n\r\n",  // inside a quoted extension (RFC 9112 7.1.1)
        "2\r\n{}\r\n0;a=\"p\nq\"\r\n\r\n",  // the same on the last chunk
    };
    each_body_is_400_at_once(srv, head, bodies);
    // The same bytes with CRLF are served, a body holding bare LFs too, and
    // an extension whose quoted value holds a tab.
    test_client c(srv.endpoint());
    c.write_raw(head + "4;a=\"x\ty\"\r\n{\n}\n\r\n0\r\n\r\n");
    auto res = c.read_response();
    BOOST_REQUIRE(res.has_value());
    BOOST_TEST(res->result_int() == 200);
    BOOST_TEST(std::string(json_of(*res).at("body").as_string()) == "{\n}\n");
}

// A CR in a chunk line, after chunk data or in the trailers that no LF
// follows can never end that line either (RFC 9112 section 7.1): 400 at
// once as well, whatever comes after it.
BOOST_AUTO_TEST_CASE(chunk_lines_holding_a_lone_cr_are_400_at_once) {
    test_server srv(fast_options(), echo_router());
    const std::string head = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    const std::vector<std::string> bodies = {
        "2\r\n{}\rX",                         // after chunk data
        "2\r\n{}\r\r\n0\r\n\r\n",             // CR CR LF after chunk data
        "2\rX\r\n{}\r\n0\r\n\r\n",            // in a chunk-size line
        "2\r\n{}\r\n0\r\n\rX",                // where the trailers end
        "2\r\n{}\r\n0\r\nX-T: 1\rY\r\n\r\n",  // in a trailer
        "2\r\n{}\r\n0\r\nX-T: 1\r\r\n\r\n",   // CR CR LF in a trailer
    };
    each_body_is_400_at_once(srv, head, bodies);
    // A CR inside chunk data is data, even when it ends a read.
    test_client c(srv.endpoint());
    c.write_raw(head + "3\r\n{}\r");
    std::this_thread::sleep_for(50ms);
    c.write_raw("\r\n0\r\n\r\n");
    auto res = c.read_response();
    BOOST_REQUIRE(res.has_value());
    BOOST_TEST(res->result_int() == 200);
    BOOST_TEST(std::string(json_of(*res).at("body").as_string()) == "{}\r");
}

BOOST_AUTO_TEST_CASE(garbage_and_malformed_requests_never_crash) {
    test_server srv(fast_options(), echo_router());
    const std::vector<std::string> inputs = {
        std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
                    11),  // a TLS hello on a plain port
        "GARBAGE\r\n\r\n",
        "GET /echo HTTP/9.9\r\n\r\n",
        "GET /echo HTTP/1.1\r\nNo colon here\r\n\r\n",
        "GET  /echo HTTP/1.1\r\n\r\n",
        "G@T /echo HTTP/1.1\r\n\r\n",
        "POST /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        std::string("GET /echo HTTP/1.1\r\nHost: \0x\r\n\r\n", 30),
    };
    for (const auto& raw : inputs) {
        BOOST_TEST_CONTEXT(raw) {
            test_client c(srv.endpoint());
            c.write_raw(raw);
            auto res = c.read_response();
            if (res) BOOST_TEST(res->result_int() == 400);
            BOOST_TEST(c.peer_closed());
        }
    }
    test_client c(srv.endpoint());
    BOOST_TEST(c.request(http::verb::get, "/echo").result_int() == 200);
}

// RFC 9112 section 3.2.2: a server accepts the absolute-form; its path and
// query are the target (its host is not used, as Host's is not). Other forms
// and absolute targets that no client of this service sends are 400.
BOOST_AUTO_TEST_CASE(absolute_form_targets_are_served_as_their_path) {
    test_server srv(fast_options(), echo_router());
    const auto send = [&](const std::string& target) {
        test_client c(srv.endpoint());
        c.write_raw("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
        auto res = c.read_response();
        BOOST_REQUIRE(res.has_value());
        return *res;
    };
    for (const std::string target :
         {"http://gateway.example/echo?x=1", "HTTPS://Gateway.Example:8443/echo?x=1",
          "https://[::1]/echo?x=1", "https://gateway.example:/echo?x=1"}) {
        BOOST_TEST_CONTEXT(target) {
            const auto res = send(target);
            BOOST_TEST(res.result_int() == 200);
            BOOST_TEST(json_of(res).at("query").as_string() == "x=1");
        }
    }
    BOOST_TEST(send("http://gateway.example").result_int() == 404);  // the path "/"
    BOOST_TEST(send("http://gateway.example/nope").result_int() == 404);
    for (const std::string target :
         {"ftp://gateway.example/echo", "https://user@gateway.example/echo", "https:///echo",
          "https:/echo", "gateway.example:443", "*", "echo", "https://gateway.example/echo#top",
          "https://gateway.example:x/echo", "https://gateway.example:99999/echo",
          "https://gateway.example/ech%zz"}) {
        BOOST_TEST_CONTEXT(target) {
            const auto res = send(target);
            BOOST_TEST(res.result_int() == 400);
            BOOST_TEST(error_code_of(res) == "invalid_request");
        }
    }
}

BOOST_AUTO_TEST_CASE(unknown_routes_are_404_and_wrong_methods_405) {
    test_server srv(fast_options(), echo_router());
    test_client c(srv.endpoint());
    auto nf = c.request(http::verb::get, "/nope");
    BOOST_TEST(nf.result_int() == 404);
    BOOST_TEST(error_code_of(nf) == "not_found");
    BOOST_TEST(nf[http::field::cache_control] == "no-store");
    BOOST_TEST(nf.keep_alive());
    auto na = c.request(http::verb::delete_, "/echo");
    BOOST_TEST(na.result_int() == 405);
    BOOST_TEST(error_code_of(na) == "method_not_allowed");
    BOOST_TEST(na[http::field::allow] == "GET, POST");
}

BOOST_AUTO_TEST_CASE(expect_100_continue_is_honoured) {
    test_server srv(fast_options(), echo_router());
    test_client c(srv.endpoint());
    c.write_raw(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
    auto interim = c.read_response();
    BOOST_REQUIRE(interim.has_value());
    BOOST_TEST(interim->result_int() == 100);
    c.write_raw("{}");
    auto res = c.read_response();
    BOOST_REQUIRE(res.has_value());
    BOOST_TEST(res->result_int() == 200);
}

BOOST_AUTO_TEST_CASE(a_throwing_handler_is_a_500_and_the_server_lives_on) {
    test_server srv(fast_options(), echo_router());
    test_client c(srv.endpoint());
    auto res = c.request(http::verb::get, "/throw");
    BOOST_TEST(res.result_int() == 500);
    BOOST_TEST(error_code_of(res) == "internal_error");
    BOOST_TEST(res.body().find("handler bug") == std::string::npos);
    BOOST_TEST(c.request(http::verb::get, "/echo").result_int() == 200);
}

BOOST_AUTO_TEST_CASE(at_the_limit_an_idle_connection_makes_room_else_new_ones_are_closed_at_once) {
    auto o = fast_options();
    o.max_connections = 2;
    o.header_timeout = 3s;
    test_server srv(o, echo_router());
    {
        // Two idle keep-alive connections: one is closed for the newcomer.
        test_client a(srv.endpoint()), b(srv.endpoint());
        BOOST_TEST(a.request(http::verb::get, "/echo").result_int() == 200);
        BOOST_TEST(b.request(http::verb::get, "/echo").result_int() == 200);
        test_client third(srv.endpoint());
        BOOST_TEST(third.request(http::verb::get, "/echo").result_int() == 200);
    }
    BOOST_REQUIRE(ckg::test::eventually([&] { return srv.server().open_connections() == 0; }));
    // Two connections in the middle of a request: no room, the newcomer is closed at once.
    test_client a(srv.endpoint()), b(srv.endpoint());
    a.write_raw("GET /echo HTTP/1.1\r\n");
    b.write_raw("GET /echo HTTP/1.1\r\n");
    BOOST_REQUIRE(ckg::test::eventually([&] { return srv.server().open_connections() == 2; }));
    test_client third(srv.endpoint());
    const auto started = std::chrono::steady_clock::now();
    BOOST_TEST(third.peer_closed());
    BOOST_TEST(ms_since(started) < 1000);
}

// With evict_stalled (the admin listener), a newcomer at the limit closes
// the connection that has waited longest for its request's bytes; one
// being served is never closed for it.
BOOST_AUTO_TEST_CASE(at_the_limit_the_longest_stalled_connection_makes_room_when_asked) {
    auto o = fast_options();
    o.max_connections = 2;
    o.header_timeout = 3s;
    o.evict_stalled = true;
    test_server srv(o, echo_router());
    test_client a(srv.endpoint()), b(srv.endpoint());
    a.write_raw("GET /echo HTTP/1.1\r\n");
    std::this_thread::sleep_for(50ms);
    b.write_raw("GET /echo HTTP/1.1\r\n");
    BOOST_REQUIRE(ckg::test::eventually([&] { return srv.server().open_connections() == 2; }));
    test_client third(srv.endpoint());
    BOOST_TEST(third.request(http::verb::get, "/echo").result_int() == 200);
    BOOST_TEST(a.peer_closed());  // the oldest stall made room
    b.write_raw("Host: x\r\n\r\n");
    const auto rb = b.read_response();
    BOOST_REQUIRE(rb.has_value());
    BOOST_TEST(rb->result_int() == 200);
    // Two connections in a slow handler wait for nothing from their peers:
    // neither is closed, the newcomer is.
    BOOST_REQUIRE(ckg::test::eventually([&] { return srv.server().open_connections() <= 2; }));
    test_client s1(srv.endpoint()), s2(srv.endpoint());
    s1.write_raw("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    s2.write_raw("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    std::this_thread::sleep_for(50ms);
    test_client late(srv.endpoint());
    BOOST_TEST(late.peer_closed());
    const auto r1 = s1.read_response();
    BOOST_REQUIRE(r1.has_value());
    BOOST_TEST(r1->result_int() == 200);
}

BOOST_AUTO_TEST_CASE(a_burst_of_connections_never_gets_more_than_max_connections_served) {
    auto o = fast_options();
    o.max_connections = 8;
    o.header_timeout = 5s;
    test_server srv(o, echo_router());
    // All connected before any sends a byte: the accept loop takes them in
    // one burst, before the connections it started have run.
    std::vector<std::unique_ptr<test_client>> burst;
    for (int i = 0; i < 64; ++i) burst.push_back(std::make_unique<test_client>(srv.endpoint()));
    std::this_thread::sleep_for(200ms);
    BOOST_TEST(srv.server().open_connections() <= 8u);
    int served = 0;
    for (auto& c : burst) {
        try {
            if (c->request(http::verb::get, "/echo").result_int() == 200) ++served;
        } catch (const std::exception&) {
        }
    }
    BOOST_TEST(served <= 8);
    BOOST_TEST(served >= 1);
}

BOOST_AUTO_TEST_CASE(stop_accepting_lets_in_flight_requests_finish) {
    test_server srv(fast_options(), echo_router());
    test_client busy(srv.endpoint()), idle(srv.endpoint());
    BOOST_TEST(idle.request(http::verb::get, "/echo").result_int() == 200);
    busy.write_raw("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    std::this_thread::sleep_for(50ms);
    srv.server().stop_accepting();
    BOOST_TEST(idle.peer_closed());
    auto res = busy.read_response();
    BOOST_REQUIRE(res.has_value());
    BOOST_TEST(res->result_int() == 200);
    BOOST_TEST(!res->keep_alive());
    BOOST_CHECK_THROW(test_client{srv.endpoint()}, std::exception);
}

BOOST_AUTO_TEST_SUITE_END()
