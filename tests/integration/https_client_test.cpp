// The upstream HTTPS client against the simulator over real TLS: keep-alive
// reuse, certificate checks, timeouts, the retry rules of docs/api.md,
// stale pooled connections, the reply-size limit and the pool bound.
#include "test_client.hpp"
#include "test_server.hpp"

#include "chatkit_gateway/upstream/https_client.hpp"
#include "simulator.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <future>
#include <thread>

using namespace ckg;
using namespace ckg::test;
using namespace std::chrono_literals;

namespace {

const std::string key = "sk-client-test";

struct client_fixture {
    simulator::simulator sim{{key, 0ms, {"alice", "bob"}}};
    test_server server{sim_options(), sim.make_router(), test_tls_store()};
    net::io_context ioc;
    net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
    std::vector<std::thread> threads;

    client_fixture() {
        // One thread: an https_client's context is run by one thread (io_pool's rule).
        threads.emplace_back([this] { ioc.run(); });
    }
    ~client_fixture() {
        work.reset();
        ioc.stop();
        for (auto& t : threads) t.join();
    }
    static http_server::server_options sim_options() {
        http_server::server_options o;
        o.public_headers = false;
        o.access_log = false;
        o.idle_timeout = 300ms;  // the simulator closes idle keep-alive connections quickly
        return o;
    }
    std::shared_ptr<upstream::https_client> client(upstream::client_options o = {}) {
        o.host = "127.0.0.1";
        o.port = std::to_string(server.endpoint().port());
        if (o.request_timeout == 10000ms) o.request_timeout = 2s;
        o.backoff_base = 10ms;
        return std::make_shared<upstream::https_client>(
            ioc, o, upstream::make_client_tls_context(test_pki("ca.pem")));
    }
    result<upstream::upstream_response> call(std::shared_ptr<upstream::https_client> c,
                                             http::verb v, std::string target, bool idempotent,
                                             std::string body = {}) {
        http::request<http::string_body> req{v, target, 11};
        req.set(http::field::authorization, "Bearer " + key);
        req.set("OpenAI-Beta", "chatkit_beta=v1");
        if (!body.empty()) req.set(http::field::content_type, "application/json");
        req.body() = std::move(body);
        auto f = net::co_spawn(ioc, c->send(std::move(req), idempotent), net::use_future);
        BOOST_REQUIRE(f.wait_for(30s) == std::future_status::ready);
        return f.get();
    }
    void fault(const std::string& endpoint, const std::string& spec) {
        test_client admin(server.endpoint(), test_pki("ca.pem"));
        BOOST_REQUIRE(
            admin.request(http::verb::put, "/__sim/faults/" + endpoint, spec).result_int() == 200);
    }
    std::int64_t count(const std::string& endpoint) {
        test_client admin(server.endpoint(), test_pki("ca.pem"));
        const auto log =
            boost::json::parse(admin.request(http::verb::get, "/__sim/requests").body());
        const auto* n = log.at("counts").as_object().if_contains(endpoint);
        return n ? n->as_int64() : 0;
    }
};

const std::string create_body = R"({"user": "alice", "workflow": {"id": "wf"}})";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(https_client, client_fixture)

BOOST_AUTO_TEST_CASE(replies_and_reuses_one_connection) {
    auto c = client();
    for (int i = 0; i < 5; ++i) {
        auto r = call(c, http::verb::get, "/v1/chatkit/threads?user=alice", true);
        BOOST_REQUIRE(r.ok());
        BOOST_TEST(r->status == 200u);
        BOOST_TEST(boost::json::parse(r->body).at("data").as_array().size() == 3u);
    }
    BOOST_TEST(c->open_connections() == 1u);
    BOOST_TEST(c->idle_connections() == 1u);
}

BOOST_AUTO_TEST_CASE(an_untrusted_certificate_is_an_upstream_error) {
    upstream::client_options o;
    o.host = "127.0.0.1";
    o.port = std::to_string(server.endpoint().port());
    // The system store does not know the test CA.
    auto c = std::make_shared<upstream::https_client>(
        ioc, o, upstream::make_client_tls_context(std::nullopt));
    auto r = call(c, http::verb::get, "/v1/chatkit/threads", true);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST((r.error().code == errc::upstream_error));
    BOOST_TEST(count("list_threads") == 0);
}

BOOST_AUTO_TEST_CASE(the_certificate_must_name_the_host) {
    // The simulator on every local address; its certificate names 127.0.0.1,
    // ::1 and localhost, not 127.0.0.2 (a loopback address all the same).
    test_server anywhere(sim_options(), sim.make_router(), test_tls_store(), 1, "0.0.0.0");
    upstream::client_options o;
    o.port = std::to_string(anywhere.endpoint().port());
    o.max_retries = 0;
    o.host = "127.0.0.2";
    auto wrong = std::make_shared<upstream::https_client>(
        ioc, o, upstream::make_client_tls_context(test_pki("ca.pem")));
    auto r = call(wrong, http::verb::get, "/v1/chatkit/threads", true);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST((r.error().code == errc::upstream_error));
    BOOST_TEST(r.error().detail.find("certificate verification failed") != std::string::npos,
               r.error().detail);
    o.host = "localhost";  // named in the certificate: the same server is fine
    auto right = std::make_shared<upstream::https_client>(
        ioc, o, upstream::make_client_tls_context(test_pki("ca.pem")));
    auto ok = call(right, http::verb::get, "/v1/chatkit/threads?user=alice", true);
    BOOST_REQUIRE(ok.ok());
    BOOST_TEST(ok->status == 200u);
}

BOOST_AUTO_TEST_CASE(a_refused_connection_is_unavailable_after_retries) {
    upstream::client_options o;
    o.host = "127.0.0.1";
    o.port = "1";  // nothing listens there
    o.backoff_base = 10ms;
    auto c = std::make_shared<upstream::https_client>(
        ioc, o, upstream::make_client_tls_context(test_pki("ca.pem")));
    auto r = call(c, http::verb::post, "/v1/chatkit/sessions", false, create_body);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST((r.error().code == errc::upstream_unavailable));
    BOOST_TEST(c->open_connections() == 0u);
}

BOOST_AUTO_TEST_CASE(a_slow_reply_times_out_and_is_never_retried) {
    upstream::client_options o;
    o.request_timeout = 300ms;
    auto c = client(o);
    fault("list_threads", R"({"mode": "hang", "hang_ms": 2000})");
    const auto started = std::chrono::steady_clock::now();
    auto r = call(c, http::verb::get, "/v1/chatkit/threads", true);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST((r.error().code == errc::upstream_timeout));
    BOOST_TEST(ms_since(started) < 1500);
    BOOST_TEST(count("list_threads") == 1);
}

BOOST_AUTO_TEST_CASE(idempotent_calls_retry_resets_and_5xx) {
    auto c = client();
    fault("list_threads", R"({"mode": "reset", "count": 1})");
    auto r = call(c, http::verb::get, "/v1/chatkit/threads", true);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->status == 200u);
    BOOST_TEST(count("list_threads") == 2);

    fault("retrieve_thread", R"({"mode": "status", "status": 503})");
    auto s = call(c, http::verb::get, "/v1/chatkit/threads/cthr_000001", true);
    BOOST_REQUIRE(s.ok());
    BOOST_TEST(s->status == 503u);
    BOOST_TEST(count("retrieve_thread") == 3);  // one try and max_retries = 2
}

BOOST_AUTO_TEST_CASE(a_create_is_not_resent_once_it_may_have_arrived) {
    auto c = client();
    fault("create_session", R"({"mode": "reset", "count": 1})");
    auto r = call(c, http::verb::post, "/v1/chatkit/sessions", false, create_body);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST((r.error().code == errc::upstream_unavailable));
    BOOST_TEST(count("create_session") == 1);

    fault("create_session", R"({"mode": "status", "status": 503, "retry_after": 7, "count": 1})");
    auto s = call(c, http::verb::post, "/v1/chatkit/sessions", false, create_body);
    BOOST_REQUIRE(s.ok());
    BOOST_TEST(s->status == 503u);
    BOOST_TEST(s->retry_after.value().count() == 7);
    BOOST_TEST(count("create_session") == 2);
}

BOOST_AUTO_TEST_CASE(stale_pooled_connections_are_replaced_transparently) {
    auto c = client();
    BOOST_REQUIRE(call(c, http::verb::post, "/v1/chatkit/sessions", false, create_body).ok());
    std::this_thread::sleep_for(600ms);  // the simulator has closed the idle connection by now
    auto r = call(c, http::verb::post, "/v1/chatkit/sessions", false, create_body);
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->status == 200u);
    BOOST_TEST(count("create_session") == 2);
}

BOOST_AUTO_TEST_CASE(oversized_replies_are_refused) {
    upstream::client_options o;
    o.max_response_bytes = 100;
    auto c = client(o);
    auto r = call(c, http::verb::get, "/v1/chatkit/threads", true);
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST((r.error().code == errc::upstream_error));
}

BOOST_AUTO_TEST_CASE(the_pool_is_bounded_and_its_queue_too) {
    upstream::client_options o;
    o.max_connections = 1;
    o.max_waiters = 1;
    auto c = client(o);
    fault("list_threads", R"({"mode": "delay", "delay_ms": 400})");
    std::vector<std::future<result<upstream::upstream_response>>> calls;
    for (int i = 0; i < 3; ++i) {
        http::request<http::string_body> req{http::verb::get, "/v1/chatkit/threads", 11};
        req.set(http::field::authorization, "Bearer " + key);
        req.set("OpenAI-Beta", "chatkit_beta=v1");
        calls.push_back(net::co_spawn(ioc, c->send(std::move(req), true), net::use_future));
        std::this_thread::sleep_for(50ms);
    }
    int ok = 0, overloaded = 0;
    for (auto& f : calls) {
        BOOST_REQUIRE(f.wait_for(10s) == std::future_status::ready);
        auto r = f.get();
        if (r.ok())
            ++ok;
        else if (r.error().code == errc::overloaded)
            ++overloaded;
    }
    BOOST_TEST(ok == 2);  // one on the connection, one waiting for it
    BOOST_TEST(overloaded == 1);
    BOOST_TEST(c->open_connections() <= 1u);
}

BOOST_AUTO_TEST_SUITE_END()
