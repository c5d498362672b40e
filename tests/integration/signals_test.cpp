// The real binary under the signals of docs/operations.md: SIGTERM while
// requests wait on a slow upstream (all of them finish, exit 0), SIGTERM
// past the grace period (cut off, exit 1), and SIGHUP replacing the TLS
// certificate and the JWKS file under live keep-alive connections, with a
// bad new file keeping the old one.
#include "gateway_process.hpp"
#include "process.hpp"
#include "simulator.hpp"
#include "test_client.hpp"
#include "test_files.hpp"
#include "test_server.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <thread>

#include <sys/stat.h>

using namespace ckg;
using namespace ckg::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const std::string sessions_path = "/v1/chatkit/sessions";

std::string upstream_config(const upstream& up, const std::string& server_extra) {
    return R"({"server": {"listen": "127.0.0.1:0", "threads": 2)" + server_extra + R"(,
        "tls": {"cert_file": ")" +
           test_pki("server.pem") + R"(", "key_file": ")" + test_pki("server.key") + R"("}},
      "admin": {"listen": "127.0.0.1:0"},
      "upstream": {"base_url": "https://127.0.0.1:)" +
           std::to_string(up.server.endpoint().port()) + R"(/v1",
                   "ca_file": ")" +
           test_pki("ca.pem") + R"(", "request_timeout_ms": 8000, "max_retries": 0},
      "auth": {"issuers": [{"issuer": "https://hs.test/", "hmac_secret_env": "HS", "algorithms": ["HS256"]}]},
      "sessions": {"workflows": {"default": {"id": "wf_1"}}},
      "rate_limit": {"sessions_per_minute": 600, "burst": 100}})";
}

env_map env_with_hs(const json::object& m) {
    auto env = gateway_env();
    env["HS"] = std::string(m.at("hs_secret").as_string());
    return env;
}

// One mint on its own connection; the status, or 0 when the connection
// ended without a reply.
unsigned mint(tcp::endpoint ep, const std::string& token) {
    try {
        test_client c(ep, test_pki("ca.pem"), 15s);
        return c
            .request(http::verb::post, sessions_path, "{}", {{"Authorization", "Bearer " + token}})
            .result_int();
    } catch (const std::exception&) {
        return 0;
    }
}

// The gateway binary in front of the in-process simulator, and a user's token.
struct gateway_on_simulator {
    json::object m = token_manifest();
    std::string token;
    upstream up;
    fs::path dir;
    std::unique_ptr<gateway> gw;

    gateway_on_simulator(const std::string& user, const std::string& name,
                         const std::string& server_extra)
        : token(m.at("users").at(user).as_string()), dir(temp_dir("signals-" + name)) {
        write_text(dir / "gw.json", upstream_config(up, server_extra));
        gw = std::make_unique<gateway>(dir / "gw.json", env_with_hs(m));
    }
    ~gateway_on_simulator() { fs::remove_all(dir); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(signals)

BOOST_AUTO_TEST_CASE(sigterm_lets_requests_waiting_on_a_slow_upstream_finish) {
    gateway_on_simulator run("alice", "drain",
                             R"(, "drain_seconds": 1, "shutdown_grace_seconds": 10)");
    auto& up = run.up;
    auto& gw = *run.gw;
    const auto& token = run.token;

    constexpr int callers = 8;
    up.fault("create_session", R"({"mode": "delay", "delay_ms": 2500, "count": 8})");
    std::vector<std::future<unsigned>> replies;
    for (int i = 0; i < callers; ++i)
        replies.push_back(std::async(std::launch::async, mint, gw.public_ep, token));
    for (int i = 0; i < 200 && up.count("create_session") < callers; ++i)
        std::this_thread::sleep_for(10ms);
    BOOST_REQUIRE(up.count("create_session") == callers);  // all of them wait on the upstream now

    const auto signalled = std::chrono::steady_clock::now();
    gw.process->signal(SIGTERM);
    gw.wait_for_log("\"draining\"");
    // Draining: not ready, still serving new connections.
    BOOST_TEST(test_client(gw.admin_ep).request(http::verb::get, "/readyz").result_int() == 503);
    BOOST_TEST(test_client(gw.public_ep, test_pki("ca.pem"))
                   .request(http::verb::get, "/nope")
                   .result_int() == 404);

    for (auto& r : replies) BOOST_TEST(r.get() == 200u);
    const auto status = gw.process->wait(10s);
    BOOST_REQUIRE(status.has_value());
    BOOST_TEST(*status == 0);
    BOOST_TEST(ms_since(signalled) >= 2000);  // it waited for the slow replies
    BOOST_TEST(gw.count_in_log(R"("msg":"request")") >= static_cast<std::size_t>(callers));
    BOOST_TEST(gw.count_in_log(R"("msg":"stopped","exit_status":0)") == 1u);
    BOOST_CHECK_THROW(test_client(gw.public_ep, test_pki("ca.pem")),
                      std::exception);  // listener closed
}

BOOST_AUTO_TEST_CASE(sigterm_past_the_grace_period_cuts_off_and_exits_1) {
    gateway_on_simulator run("bob", "grace",
                             R"(, "drain_seconds": 0, "shutdown_grace_seconds": 1)");
    auto& up = run.up;
    auto& gw = *run.gw;
    const auto& token = run.token;

    up.fault("create_session", R"({"mode": "delay", "delay_ms": 6000, "count": 1})");
    auto reply = std::async(std::launch::async, mint, gw.public_ep, token);
    for (int i = 0; i < 200 && up.count("create_session") < 1; ++i)
        std::this_thread::sleep_for(10ms);
    const auto signalled = std::chrono::steady_clock::now();
    gw.process->signal(SIGTERM);
    const auto status = gw.process->wait(5s);
    BOOST_REQUIRE(status.has_value());
    BOOST_TEST(*status == 1);
    BOOST_TEST(ms_since(signalled) < 3000);
    BOOST_TEST(reply.get() == 0u);  // cut off: no reply
    BOOST_TEST(gw.count_in_log("grace period over") == 1u);
}

BOOST_AUTO_TEST_CASE(sighup_replaces_certificate_and_jwks_without_dropping_connections) {
    const auto m = token_manifest();
    const std::string rs256(m.at("bench_rs256").as_string());  // kid rsa-1 of jwks_rsa.json
    const std::string tokens_dir = CKG_TEST_TOKENS_DIR;
    const auto dir = temp_dir("signals-hup");
    // A second, independent CA and server certificate.
    BOOST_REQUIRE(run_process({"/bin/bash", std::string(CKG_SOURCE_DIR) + "/tools/make-dev-cert.sh",
                               (dir / "pki2").string()},
                              gateway_env())
                      .exit_code == 0);
    fs::copy_file(test_pki("server.pem"), dir / "tls.pem");
    fs::copy_file(test_pki("server.key"), dir / "tls.key");
    fs::copy_file(tokens_dir + "/jwks_ec.json", dir / "jwks.json");  // no rsa-1 yet
    write_text(dir / "gw.json", R"({"server": {"listen": "127.0.0.1:0", "drain_seconds": 0,
        "tls": {"cert_file": ")" + (dir / "tls.pem").string() +
                                    R"(", "key_file": ")" + (dir / "tls.key").string() + R"("}},
      "admin": {"listen": "127.0.0.1:0"},
      "upstream": {"base_url": "https://127.0.0.1:9/v1"},
      "auth": {"issuers": [{"issuer": "https://rsa.test/", "jwks_file": ")" +
                                    (dir / "jwks.json").string() + R"(",
                            "algorithms": ["RS256", "ES256"]}]},
      "sessions": {"workflows": {"default": {"id": "wf_1"}}}})");
    gateway gw(dir / "gw.json", gateway_env());
    const std::string old_ca = test_pki("ca.pem"), new_ca = (dir / "pki2" / "ca.pem").string();

    // A body the service refuses after authentication: 400 means the token
    // was accepted, 401 that it was not; no upstream call either way.
    test_client live(gw.public_ep, old_ca);
    auto authenticated = [&](test_client& c) {
        const auto r = c.request(http::verb::post, sessions_path, "[]",
                                 {{"Authorization", "Bearer " + rs256}});
        BOOST_TEST_REQUIRE((r.result_int() == 400 || r.result_int() == 401));
        return r.result_int() == 400;
    };
    BOOST_TEST(!authenticated(live));

    // New certificate and a JWKS that has the token's key.
    fs::copy_file(dir / "pki2" / "server.pem", dir / "tls.pem",
                  fs::copy_options::overwrite_existing);
    fs::copy_file(dir / "pki2" / "server.key", dir / "tls.key",
                  fs::copy_options::overwrite_existing);
    fs::copy_file(tokens_dir + "/jwks_rsa.json", dir / "jwks.json",
                  fs::copy_options::overwrite_existing);
    gw.process->signal(SIGHUP);
    gw.wait_for_log("keys reloaded");
    BOOST_TEST(gw.count_in_log("tls certificate reloaded") == 1u);
    BOOST_TEST(authenticated(live));          // same connection, new keys
    test_client fresh(gw.public_ep, new_ca);  // new connections get the new certificate
    BOOST_TEST(authenticated(fresh));
    BOOST_CHECK_THROW(test_client(gw.public_ep, old_ca), std::exception);

    // Bad files: both are refused, logged, and the current ones stay.
    write_text(dir / "tls.pem", "not a certificate");
    write_text(dir / "jwks.json", R"({"keys": "nope"})");
    gw.process->signal(SIGHUP);
    gw.wait_for_log("keys reloaded", 2);
    BOOST_TEST(gw.count_in_log("tls certificate reload failed; keeping the current one") == 1u);
    BOOST_TEST(gw.count_in_log("key reload failed") == 1u);
    BOOST_TEST(authenticated(live));
    BOOST_TEST(authenticated(fresh));
    test_client after(gw.public_ep, new_ca);
    BOOST_TEST(authenticated(after));
    BOOST_TEST(test_client(gw.admin_ep).request(http::verb::get, "/readyz").result_int() == 200);

    // FIFOs in place of the files: refused unread (a read would block the
    // reload, and the shutdown that waits for it, for ever).
    for (const auto* name : {"tls.pem", "jwks.json"}) {
        fs::remove(dir / name);
        BOOST_REQUIRE(::mkfifo((dir / name).c_str(), 0600) == 0);
    }
    gw.process->signal(SIGHUP);
    gw.wait_for_log("keys reloaded", 3);
    BOOST_TEST(gw.count_in_log("is not a regular file") == 2u);
    test_client after_fifo(gw.public_ep, new_ca);
    BOOST_TEST(authenticated(after_fifo));

    gw.process->signal(SIGTERM);
    const auto status = gw.process->wait(10s);
    BOOST_REQUIRE(status.has_value());
    BOOST_TEST(*status == 0);
    fs::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
