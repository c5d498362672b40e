// The gateway's Redis client (store/redis_connection) against a hostile
// Redis stand-in (tests/support/hostile_redis.hpp) on a real loopback
// socket: replies are matched to commands by order, so a reply nobody asked
// for must never answer the next command; a reply over the element cap is
// refused without holding the connection; extra bytes after the handshake
// keep the connection from being used; one arriving while the connection is
// idle has it made again at once. What a caller sees is checked: the
// value or the failure each call returns.
#include "hostile_redis.hpp"

#include "chatkit_gateway/store/redis_connection.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <functional>

using namespace ckg;
using namespace ckg::test;
using namespace std::chrono_literals;

namespace {

// Answers PING and GET (with `value`); everything else with an error.
std::string plain_redis(const redis_words& w, const std::string& value) {
    if (!w.empty() && w[0] == "PING") return "+PONG\r\n";
    if (!w.empty() && w[0] == "GET")
        return "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
    return "-ERR unknown command\r\n";
}

// A client connection to `peer`, and an io_context to run it on.
struct client_run {
    net::io_context ioc;
    std::shared_ptr<store::redis_connection> connection;

    explicit client_run(const hostile_redis& peer,
                        std::chrono::microseconds min_write_interval = 1ms,
                        std::chrono::milliseconds idle_check = 5000ms) {
        store::redis_options o;
        o.host = "127.0.0.1";
        o.port = std::to_string(peer.port());
        o.timeout = 1000ms;
        o.min_write_interval = min_write_interval;
        o.idle_check = idle_check;
        connection = std::make_shared<store::redis_connection>(ioc, o);
    }

    // Runs `body` as a coroutine on the context until it returns (10 s at most).
    void run(std::function<net::awaitable<void>()> body) {
        bool finished = false;
        net::co_spawn(
            ioc,
            [&]() -> net::awaitable<void> {
                connection->start();
                co_await body();
                connection->stop();
                finished = true;
            },
            [](std::exception_ptr e) {
                if (e) std::rethrow_exception(e);
            });
        ioc.run_for(10s);
        BOOST_TEST(finished);
    }

    net::awaitable<void> sleep(std::chrono::milliseconds d) {
        net::steady_timer t(ioc, d);
        co_await t.async_wait(nothrow_awaitable);
    }

    // Waits (up to 3 s) until the connection is up.
    net::awaitable<bool> connected() {
        for (int i = 0; i < 300 && !connection->connected(); ++i) co_await sleep(10ms);
        co_return connection->connected();
    }

    net::awaitable<result<store::resp_value>> get() {
        std::string command;
        store::append_command(command, {"GET", "k"});
        co_return co_await connection->call(std::move(command));
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(hostile_redis_peer)

BOOST_AUTO_TEST_CASE(a_reply_nobody_asked_for_never_answers_the_next_command) {
    hostile_redis peer([](const redis_words& w) { return plain_redis(w, "right"); });
    client_run c(peer);
    c.run([&]() -> net::awaitable<void> {
        BOOST_REQUIRE(co_await c.connected());
        auto first = co_await c.get();
        BOOST_REQUIRE(first.ok());
        BOOST_TEST(first->text == "right");

        // While nothing is awaited, the peer sends a reply of its own: the
        // idle connection sees it, is dropped and made again at once.
        peer.push("$5\r\nwrong\r\n");
        co_await c.sleep(300ms);
        BOOST_TEST(peer.connections() == 2u);
        BOOST_REQUIRE(co_await c.connected());
        auto next = co_await c.get();
        BOOST_REQUIRE(next.ok());
        BOOST_TEST(next->text == "right");  // answered by its own reply
    });
}

// The same reply racing a call: whether it arrives while the connection
// is idle, just before the call goes out or after, the call is never
// answered with it, and the next call gets its own reply.
BOOST_AUTO_TEST_CASE(a_reply_nobody_asked_for_fails_the_call_about_to_go_out) {
    hostile_redis peer([](const redis_words& w) { return plain_redis(w, "right"); });
    client_run c(peer);
    c.run([&]() -> net::awaitable<void> {
        BOOST_REQUIRE(co_await c.connected());
        peer.push("$5\r\nwrong\r\n");
        auto next = co_await c.get();  // may go out before the stray bytes arrive
        BOOST_TEST(!(next.ok() && next->text == "wrong"));
        BOOST_REQUIRE(co_await c.connected());
        auto after = co_await c.get();
        BOOST_REQUIRE(after.ok());
        BOOST_TEST(after->text == "right");
    });
}

// A peer gone without a word (a lost route, a proxy's entry dropped: no
// FIN, no RST) while the connection is idle: its idle check (a PING, here
// after 200 ms) times out, and the connection is made again in the
// background, so the next call is answered rather than waiting out its
// timeout and failing. Before the idle check, that call failed. While the
// peer answers, the checks leave the connection as it is.
BOOST_AUTO_TEST_CASE(a_peer_gone_silent_while_idle_is_replaced_before_the_next_call) {
    std::atomic<int> silenced{0};
    hostile_redis peer([&](const redis_words& w) -> std::string {
        // Each connection is served on a thread of its own: one opened
        // before the peer went silent reads and never answers.
        thread_local const int opened_at = silenced.load();
        return opened_at < silenced.load() ? "" : plain_redis(w, "right");
    });
    client_run c(peer, 1ms, 200ms);
    c.run([&]() -> net::awaitable<void> {
        BOOST_REQUIRE(co_await c.connected());
        BOOST_REQUIRE((co_await c.get()).ok());
        co_await c.sleep(700ms);  // three idle checks, answered
        BOOST_TEST(peer.connections() == 1u);

        // Calls one after the other across the drop: one made on the dead
        // connection fails with it; one made after the drop waits for the
        // new connection (as after Redis closed an idle one) rather than
        // failing at once while the connection is made again.
        ++silenced;
        co_await c.sleep(900ms);
        const auto until = std::chrono::steady_clock::now() + 700ms;
        while (std::chrono::steady_clock::now() < until) {
            auto r = co_await c.get();
            BOOST_TEST((r.ok() || r.error().detail.find("not connected") == std::string::npos));
        }
        BOOST_TEST(peer.connections() == 2u);
        BOOST_REQUIRE(co_await c.connected());
        auto next = co_await c.get();
        BOOST_REQUIRE(next.ok());
        BOOST_TEST(next->text == "right");
    });
}

// Writes are paced (redis_options::min_write_interval, here 300 ms): a
// command after a quiet interval goes out at once; commands made within
// the interval after a write go out together when it ends, none waiting
// longer than that, each answered by its own reply. Before pacing, each of
// these commands went out in a write of its own.
BOOST_AUTO_TEST_CASE(commands_made_within_the_write_interval_go_out_in_one_write) {
    hostile_redis peer([](const redis_words& w) -> std::string {
        if (w.size() == 2 && w[0] == "GET")
            return "$" + std::to_string(w[1].size()) + "\r\n" + w[1] + "\r\n";
        return plain_redis(w, "");
    });
    client_run c(peer, 300ms);
    c.run([&]() -> net::awaitable<void> {
        BOOST_REQUIRE(co_await c.connected());
        co_await c.sleep(400ms);  // quiet for longer than the interval
        const auto lone_from = std::chrono::steady_clock::now();
        BOOST_REQUIRE((co_await c.get()).ok());
        const auto lone = std::chrono::steady_clock::now() - lone_from;
        BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(lone).count() < 150);
        const auto reads_before = peer.reads();
        // 20 commands, 5 ms apart, all within the interval after that write.
        constexpr int n = 20;
        int answered = 0, own_reply = 0;
        auto longest = std::chrono::steady_clock::duration::zero();
        for (int i = 0; i < n; ++i) {
            net::co_spawn(
                c.ioc,
                [&, i]() -> net::awaitable<void> {
                    std::string command;
                    store::append_command(command, {"GET", "key-" + std::to_string(i)});
                    const auto from = std::chrono::steady_clock::now();
                    auto r = co_await c.connection->call(std::move(command));
                    longest = std::max(longest, std::chrono::steady_clock::now() - from);
                    ++answered;
                    if (r.ok() && r->text == "key-" + std::to_string(i)) ++own_reply;
                },
                net::detached);
            co_await c.sleep(5ms);
        }
        for (int i = 0; i < 200 && answered < n; ++i) co_await c.sleep(10ms);
        BOOST_TEST(answered == n);
        BOOST_TEST(own_reply == n);
        BOOST_TEST(peer.reads() - reads_before <= 2u);  // one write (split at most once)
        BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(longest).count() <
                   300 + 150);
    });
}

// A server that closes each connection right after the handshake: the
// backoff grows (100 ms doubling to 5 s) instead of restarting with every
// handshake that succeeded, so the client does not reconnect in a loop.
BOOST_AUTO_TEST_CASE(a_server_that_hangs_up_after_each_handshake_meets_a_growing_backoff) {
    hostile_redis peer([](const redis_words& w) {
        if (!w.empty() && w[0] == "PING")
            return "+PONG\r\n" + std::string(hostile_redis::then_hang_up);
        return plain_redis(w, "right");
    });
    client_run c(peer);
    c.run([&]() -> net::awaitable<void> {
        co_await c.sleep(3000ms);
        // 100 + 200 + 400 + 800 + 1600 ms at full length: at most about 8 in
        // 3 s with jitter; a backoff reset by each handshake made dozens.
        BOOST_TEST(peer.connections() >= 3u);
        BOOST_TEST(peer.connections() <= 10u);
    });
}

BOOST_AUTO_TEST_CASE(bytes_after_the_handshake_keep_the_connection_from_being_used) {
    // The PING that closes the handshake is answered twice.
    hostile_redis peer([](const redis_words& w) {
        if (!w.empty() && w[0] == "PING") return std::string("+PONG\r\n$5\r\nwrong\r\n");
        return plain_redis(w, "right");
    });
    client_run c(peer);
    c.run([&]() -> net::awaitable<void> {
        co_await c.sleep(500ms);  // several connects and backoffs
        BOOST_TEST(!c.connection->connected());
        auto r = co_await c.get();
        BOOST_TEST(!r.ok());
        BOOST_TEST(peer.connections() >= 2u);  // it keeps trying, with backoff
    });
}

BOOST_AUTO_TEST_CASE(a_reply_over_the_element_cap_fails_the_call_and_the_next_one_works) {
    std::atomic<bool> flood{true};
    hostile_redis peer([&](const redis_words& w) {
        if (!w.empty() && w[0] == "GET" && flood.exchange(false)) {
            // 300,000 integers: 1.2 MB of RESP, past the 262,144-element cap.
            std::string r = "*300000\r\n";
            for (int i = 0; i < 300000; ++i) r += ":1\r\n";
            return r;
        }
        return plain_redis(w, "right");
    });
    client_run c(peer);
    c.run([&]() -> net::awaitable<void> {
        BOOST_REQUIRE(co_await c.connected());
        auto flooded = co_await c.get();
        BOOST_TEST(!flooded.ok());
        BOOST_REQUIRE(co_await c.connected());
        auto after = co_await c.get();
        BOOST_REQUIRE(after.ok());
        BOOST_TEST(after->text == "right");
    });
}

BOOST_AUTO_TEST_SUITE_END()
