// The upstream client against an HTTPS server nobody here wrote: Debian's
// nginx, started by the test on a loopback port as a foreground process with
// a temporary configuration. Keep-alive reuse, a server that closes idle
// connections (keepalive_timeout 1s), `Connection: close`, and replies split
// across many TLS records.
#include "process.hpp"
#include "test_client.hpp"
#include "test_files.hpp"

#include "chatkit_gateway/upstream/https_client.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <thread>

using namespace ckg;
using namespace ckg::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string mint_json =
    R"({"id":"cksess_nginx","client_secret":"ek_nginx","expires_at":1735689600})";

unsigned short free_port() {
    net::io_context ioc;
    tcp::acceptor a(ioc, {net::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

struct nginx_fixture {
    fs::path dir = temp_dir("nginx");
    unsigned short port = free_port();
    std::unique_ptr<child_process> nginx;
    net::io_context ioc;
    net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
    std::thread runner;

    nginx_fixture() {
        write_text(dir / "large.json", "\"" + std::string(600 * 1024, 'x') + "\"");
        write_text(dir / "huge.json", "\"" + std::string(2 << 20, 'x') + "\"");
        const auto d = dir.string();
        write_text(
            dir / "nginx.conf",
            "daemon off; master_process off; worker_processes 1;\n"
            "pid " +
                d + "/nginx.pid; error_log " + d +
                "/error.log;\n"
                "events { worker_connections 64; }\n"
                "http { access_log off; client_body_temp_path " +
                d + "; proxy_temp_path " + d + "; fastcgi_temp_path " + d + "; uwsgi_temp_path " +
                d + "; scgi_temp_path " + d +
                ";\n keepalive_timeout 1s;\n"
                " server { listen 127.0.0.1:" +
                std::to_string(port) +
                " ssl;\n"
                "  ssl_certificate " +
                test_pki("server.pem") + "; ssl_certificate_key " + test_pki("server.key") +
                ";\n  root " + d +
                ";\n"
                "  location = /v1/chatkit/sessions { default_type application/json; return 200 '" +
                mint_json +
                "'; }\n"
                "  location = /close { keepalive_timeout 0; default_type application/json; return "
                "200 '{}'; }\n"
                " }\n}\n");
        nginx = std::make_unique<child_process>(
            std::vector<std::string>{"/usr/sbin/nginx", "-p", d, "-e", d + "/error.log", "-c",
                                     d + "/nginx.conf"},
            env_map{});
        const bool up = eventually([&] {
            try {
                net::io_context probe;
                tcp::socket s(probe);
                s.connect({net::ip::make_address("127.0.0.1"), port});
                return true;
            } catch (const std::exception&) {
                return false;
            }
        });
        BOOST_REQUIRE_MESSAGE(
            up, "nginx did not start: " << read_text(dir / "error.log") << nginx->err());
        runner = std::thread([this] { ioc.run(); });
    }
    ~nginx_fixture() {
        work.reset();
        ioc.stop();
        runner.join();
    }
    std::shared_ptr<upstream::https_client> client() {
        upstream::client_options o;
        o.host = "127.0.0.1";
        o.port = std::to_string(port);
        o.request_timeout = 3s;
        o.backoff_base = 10ms;
        return std::make_shared<upstream::https_client>(
            ioc, o, upstream::make_client_tls_context(test_pki("ca.pem")));
    }
    result<upstream::upstream_response> get(std::shared_ptr<upstream::https_client> c,
                                            std::string target) {
        http::request<http::string_body> req{http::verb::get, target, 11};
        auto call = [](std::shared_ptr<upstream::https_client> c,
                       http::request<http::string_body> req)
            -> net::awaitable<result<upstream::upstream_response>> {
            co_return co_await c->send(std::move(req), true);
        };
        return net::co_spawn(ioc, call(c, std::move(req)), net::use_future).get();
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(https_client_against_nginx, nginx_fixture)

BOOST_AUTO_TEST_CASE(keep_alive_connections_are_reused) {
    auto c = client();
    for (int i = 0; i < 5; ++i) {
        auto r = get(c, "/v1/chatkit/sessions");
        BOOST_REQUIRE(r.ok());
        BOOST_TEST(r->status == 200u);
        BOOST_TEST(r->body == mint_json);
    }
    BOOST_TEST(c->open_connections() == 1u);
    BOOST_TEST(c->idle_connections() == 1u);
}

BOOST_AUTO_TEST_CASE(a_connection_the_server_closed_when_idle_is_replaced) {
    auto c = client();
    BOOST_REQUIRE(get(c, "/v1/chatkit/sessions").ok());
    std::this_thread::sleep_for(1500ms);  // past nginx's keepalive_timeout
    auto r = get(c, "/v1/chatkit/sessions");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r->status == 200u);
    BOOST_TEST(c->open_connections() == 1u);
}

BOOST_AUTO_TEST_CASE(connection_close_is_never_reused) {
    auto c = client();
    for (int i = 0; i < 3; ++i) {
        auto r = get(c, "/close");
        BOOST_REQUIRE(r.ok());
        BOOST_TEST(r->status == 200u);
        BOOST_TEST(c->open_connections() == 0u);
    }
}

BOOST_AUTO_TEST_CASE(a_reply_over_many_tls_records_arrives_whole) {
    auto c = client();
    for (int i = 0; i < 2; ++i) {
        auto r = get(c, "/large.json");
        BOOST_REQUIRE(r.ok());
        BOOST_TEST(r->status == 200u);
        BOOST_TEST(r->body.size() == 600u * 1024 + 2);
    }
    BOOST_TEST(c->open_connections() == 1u);
    auto huge = get(c, "/huge.json");  // over the 1 MiB reply limit
    BOOST_REQUIRE(!huge.ok());
    BOOST_TEST(huge.error().code == errc::upstream_error);
    BOOST_TEST(c->open_connections() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
