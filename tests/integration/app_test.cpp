// The whole application in-process: both listeners, probes, and the
// shutdown sequence of docs/operations.md (drain, close, finish, exit status).
#include "test_client.hpp"

#include "chatkit_gateway/app/app.hpp"
#include "chatkit_gateway/config/config_loader.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <stdexcept>
#include <thread>

using namespace ckg;
using ckg::test::ms_since;
using ckg::test::test_client;
using namespace std::chrono_literals;

namespace {

config::gateway_config app_config(int drain_seconds) {
    const std::string text = R"({
      "server": {"listen": "127.0.0.1:0", "threads": 2, "drain_seconds": )" +
                             std::to_string(drain_seconds) + R"(,
                 "shutdown_grace_seconds": 5,
                 "tls": {"cert_file": ")" +
                             test::test_pki("server.pem") + R"(", "key_file": ")" +
                             test::test_pki("server.key") + R"("}},
      "admin": {"listen": "127.0.0.1:0"},
      "auth": {"issuers": [{"issuer": "https://id/", "hmac_secret_env": "HS", "algorithms": ["HS256"]}]},
      "sessions": {"workflows": {"default": {"id": "wf_1"}}}
    })";
    const config::environment env = [](const std::string& name) -> std::optional<std::string> {
        if (name == "OPENAI_API_KEY") return "sk-test";
        if (name == "HS") return "secret";
        if (name == "CHATKIT_GATEWAY_HANDLE_KEY")
            return "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        return std::nullopt;
    };
    return config::load_config_text(text, "test.json", env);
}

struct running_app {
    explicit running_app(int drain_seconds)
        : application(app_config(drain_seconds), {.handle_signals = false}) {
        application.start();
        exit_code = std::async(std::launch::async, [this] { return application.run(); });
    }
    ~running_app() {
        application.request_shutdown();
        if (exit_code.valid()) exit_code.wait_for(10s);
    }
    app::app application;
    std::future<int> exit_code;
};

unsigned status_of(tcp::endpoint ep, const std::string& target) {
    test_client c(ep);
    return c.request(http::verb::get, target).result_int();
}

// status_of, or 0 when the connection was refused or closed unanswered.
unsigned status_or_zero(tcp::endpoint ep, const std::string& target) {
    try {
        return status_of(ep, target);
    } catch (const std::exception&) {
        return 0;
    }
}

// A client that pipelines many requests and never reads: with a small
// receive buffer of its own, the replies soon fill the server's socket
// buffer and its write waits on this client.
class non_reader {
public:
    non_reader(tcp::endpoint ep, const std::string& requests)
        : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        int small = 1024;
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(ep.port());
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
            throw std::runtime_error("connect failed");
        ::send(fd_, requests.data(), requests.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    ~non_reader() { ::close(fd_); }
    non_reader(const non_reader&) = delete;
    non_reader& operator=(const non_reader&) = delete;
    // The server closed or reset it (its unread replies do not hide that).
    bool closed_by_server() const {
        pollfd p{fd_, POLLRDHUP, 0};
        return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
    }

private:
    int fd_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(gateway_app)

BOOST_AUTO_TEST_CASE(probes_answer_and_public_listener_serves_tls) {
    running_app a(0);
    BOOST_TEST(status_of(a.application.admin_endpoint(), "/healthz") == 200u);
    test_client admin(a.application.admin_endpoint());
    auto ready = admin.request(http::verb::get, "/readyz");
    BOOST_TEST(ready.result_int() == 200);
    BOOST_TEST(boost::json::parse(ready.body()).at("status").as_string() == "ready");
    BOOST_TEST(admin.request(http::verb::get, "/metricz").result_int() == 404);

    test_client pub(a.application.public_endpoint(), test::test_pki("ca.pem"));
    auto res = pub.request(http::verb::get, "/v1/unknown");
    BOOST_TEST(res.result_int() == 404);
    BOOST_TEST(res[http::field::vary] == "Origin");
    BOOST_TEST(res[http::field::cache_control] == "no-store");
}

// The admin listener holds 64 connections. Clients that each send a few
// bytes of a request and stall do not keep the probes out: a newcomer
// closes the one that has waited longest for its request.
BOOST_AUTO_TEST_CASE(stalling_clients_do_not_keep_the_probes_out) {
    running_app a(1);
    const auto adm = a.application.admin_endpoint();
    std::vector<std::unique_ptr<test_client>> stalled;
    for (int i = 0; i < 64; ++i) {
        stalled.push_back(std::make_unique<test_client>(adm));
        stalled.back()->write_raw("GET /heal");
    }
    std::this_thread::sleep_for(200ms);
    for (int i = 0; i < 5; ++i) BOOST_TEST(status_of(adm, "/healthz") == 200u);
    // The oldest stalled connections were closed for the probes; the newest still waits.
    BOOST_TEST(stalled.front()->peer_closed());
    stalled.back()->write_raw("thz HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto last = stalled.back()->read_response();
    BOOST_REQUIRE(last.has_value());
    BOOST_TEST(last->result_int() == 200);
}

// Clients that pipeline /metrics and never read its replies hold their
// connections in a write that cannot end; they do not keep the probes out
// either: a client that does not take its reply is waiting too, since the
// write began, and a newcomer closes the one that has waited longest.
BOOST_AUTO_TEST_CASE(clients_that_never_read_their_replies_do_not_keep_the_probes_out) {
    running_app a(1);
    const auto adm = a.application.admin_endpoint();
    std::string pipelined;
    for (int i = 0; i < 400; ++i) pipelined += "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    std::vector<std::unique_ptr<non_reader>> stuck;
    for (int i = 0; i < 64; ++i) stuck.push_back(std::make_unique<non_reader>(adm, pipelined));
    std::this_thread::sleep_for(500ms);  // every write has filled the socket buffers by now
    for (int i = 0; i < 5; ++i) BOOST_TEST(status_or_zero(adm, "/healthz") == 200u);
    BOOST_TEST(status_or_zero(adm, "/readyz") == 200u);
    // The probes took the place of a few of them (one at a time: each
    // probe leaves before the next comes); the others still wait.
    const auto closed = std::count_if(stuck.begin(), stuck.end(),
                                      [](const auto& c) { return c->closed_by_server(); });
    BOOST_TEST(closed >= 1);
    BOOST_TEST(closed <= 6);
}

BOOST_AUTO_TEST_CASE(shutdown_drains_then_closes_and_exits_zero) {
    running_app a(1);
    const auto pub = a.application.public_endpoint();
    const auto adm = a.application.admin_endpoint();
    test_client idle(pub, test::test_pki("ca.pem"));
    BOOST_TEST(idle.request(http::verb::get, "/x").result_int() == 404);

    const auto started = std::chrono::steady_clock::now();
    a.application.request_shutdown();
    std::this_thread::sleep_for(100ms);
    // Draining: not ready, but new connections are still served.
    BOOST_TEST(status_of(adm, "/readyz") == 503u);
    BOOST_TEST(status_of(adm, "/healthz") == 200u);
    test_client late(pub, test::test_pki("ca.pem"));
    BOOST_TEST(late.request(http::verb::get, "/x").result_int() == 404);

    // After drain_seconds the listener and idle keep-alive connections close.
    BOOST_TEST(idle.peer_closed());
    BOOST_TEST(ms_since(started) >= 900);
    BOOST_REQUIRE(a.exit_code.wait_for(5s) == std::future_status::ready);
    BOOST_TEST(a.exit_code.get() == 0);
    BOOST_CHECK_THROW(test_client{pub}, std::exception);
}

BOOST_AUTO_TEST_SUITE_END()
