// The gateway binary behind an egress proxy (docs/operations.md, egress
// proxy): upstream, JWKS and discovery connections as CONNECT tunnels with
// TLS end to end, a refusing proxy as 502, an unreachable or silent one as
// 503, HTTPS_PROXY / NO_PROXY from the environment, and a proxy that never
// sees the API key, a user's token or a client secret. Against a scripted
// recording proxy (tests/support/connect_proxy.hpp) and a real one
// (Debian's tinyproxy).
#include "connect_proxy.hpp"
#include "gateway_process.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <mutex>
#include <regex>

using namespace ckg;
using namespace ckg::test;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

const std::string api_key = "sk-test-never-leaks-0123456789";

// A port nothing listens on (bound, then closed).
unsigned short closed_port() {
    unsigned short port = 0;
    ::close(listen_loopback(port));
    return port;
}

// A configuration for the gateway in front of the simulator at
// `upstream_port`; `upstream_extra` goes into the upstream object,
// `issuers_extra` after the HS issuer.
std::string config_text(unsigned short upstream_port, const std::string& upstream_extra,
                        const std::string& issuers_extra = "") {
    return R"({"server": {"listen": "127.0.0.1:0", "threads": 2},
      "admin": {"listen": "127.0.0.1:0"},
      "upstream": {"base_url": "https://127.0.0.1:)" +
           std::to_string(upstream_port) + R"(/v1", "ca_file": ")" + test_pki("ca.pem") +
           R"(", "connect_timeout_ms": 1000, "max_retries": 1)" + upstream_extra + R"(},
      "auth": {"issuers": [{"issuer": "https://hs.test/", "hmac_secret_env": "HS",
                            "algorithms": ["HS256"]})" +
           issuers_extra + R"(]},
      "sessions": {"workflows": {"default": {"id": "wf_1"}}}})";
}

// The gateway binary in front of the simulator, with `extra_env` on top of
// the test environment.
struct proxied_gateway {
    json::object manifest = token_manifest();
    test::upstream up;
    fs::path dir = temp_dir("egress");
    std::unique_ptr<gateway> gw;

    explicit proxied_gateway(const std::string& upstream_extra, env_map extra_env = {},
                             const std::string& issuers_extra = "") {
        write_text(dir / "gw.json",
                   config_text(up.server.endpoint().port(), upstream_extra, issuers_extra));
        auto env = gateway_env();
        env["HS"] = std::string(manifest.at("hs_secret").as_string());
        for (auto& [k, v] : extra_env) env[k] = v;
        gw = std::make_unique<gateway>(dir / "gw.json", env);
    }
    response mint(const std::string& user) {
        test_client c(gw->public_ep, std::nullopt, 15s);
        const std::string token(manifest.at("users").at(user).as_string());
        return c.request(http::verb::post, "/v1/chatkit/sessions", "{}",
                         {{"Authorization", "Bearer " + token}});
    }
    std::string upstream_authority() const {
        return "127.0.0.1:" + std::to_string(up.server.endpoint().port());
    }
};

std::string error_code_of(const response& r) {
    const auto body = json::parse(r.body());
    return std::string(body.at("error").at("code").as_string());
}

// A session was minted.
void minted(const response& r) {
    BOOST_TEST_REQUIRE(r.result_int() == 200u, r.body());
    BOOST_TEST(json::parse(r.body()).at("client_secret").as_string().starts_with("ek_"));
}

// What the proxy saw, checked for every secret the gateway handles.
void proxy_saw_no_secret(const connect_proxy& proxy, const proxied_gateway& g) {
    const auto seen = proxy.seen();
    BOOST_TEST(!seen.empty());
    for (const std::string& needle :
         {api_key, std::string("Authorization"), std::string("authorization"),
          std::string("Bearer"), std::string("client_secret"), std::string("chatkit_beta"),
          std::string(g.manifest.at("users").at("alice").as_string())})
        BOOST_TEST(seen.find(needle) == std::string::npos, "the proxy saw " << needle);
}

// A JWKS document and OpenID metadata served over HTTPS from this process.
struct key_host {
    std::mutex mutex;
    std::string metadata;
    test_server server{options(), routes(), test_tls_store()};

    static http_server::server_options options() {
        http_server::server_options o;
        o.access_log = false;
        return o;
    }
    http_server::router routes() {
        http_server::router r;
        r.add(http::verb::get, "/keys.json",
              [](http_server::request_context& ctx) -> net::awaitable<http_server::reply> {
                  http_server::response res{http::status::ok, ctx.req.version()};
                  res.body() = read_text(std::string(CKG_TEST_TOKENS_DIR) + "/jwks_rsa.json");
                  res.prepare_payload();
                  co_return http_server::reply{std::move(res)};
              });
        r.add(http::verb::get, "/.well-known/openid-configuration",
              [this](http_server::request_context& ctx) -> net::awaitable<http_server::reply> {
                  http_server::response res{http::status::ok, ctx.req.version()};
                  std::lock_guard lock(mutex);
                  res.body() = metadata;
                  res.prepare_payload();
                  co_return http_server::reply{std::move(res)};
              });
        return r;
    }
    std::string origin() const {
        return "https://127.0.0.1:" + std::to_string(server.endpoint().port());
    }
    // Two more issuers: one with this jwks_url, one discovering it.
    std::string issuers() {
        {
            std::lock_guard lock(mutex);
            metadata = json::serialize(
                json::object{{"issuer", origin()}, {"jwks_uri", origin() + "/keys.json"}});
        }
        const auto ca = test_pki("ca.pem");
        return R"(, {"issuer": "https://rsa.test/", "jwks_url": ")" + origin() +
               R"(/keys.json", "jwks_ca_file": ")" + ca + R"("}, {"issuer": ")" + origin() +
               R"(", "discovery": true, "jwks_ca_file": ")" + ca + R"("})";
    }
};

// Debian's tinyproxy on 127.0.0.1, allowing CONNECT to `allowed_port` only
// (to any port without one).
struct tinyproxy {
    unsigned short port = closed_port();
    fs::path conf = temp_dir("tinyproxy") / "tinyproxy.conf";
    std::unique_ptr<child_process> process;

    explicit tinyproxy(std::optional<unsigned short> allowed_port = std::nullopt) {
        write_text(conf,
                   "Port " + std::to_string(port) +
                       "\nListen 127.0.0.1\nTimeout 10\nMaxClients 20\nAllow 127.0.0.1\n"
                       "LogLevel Info\n" +
                       (allowed_port ? "ConnectPort " + std::to_string(*allowed_port) + "\n" : ""));
        process = std::make_unique<child_process>(
            std::vector<std::string>{"/usr/bin/tinyproxy", "-d", "-c", conf.string()},
            env_map{{"PATH", "/usr/bin:/bin"}});
        BOOST_REQUIRE_MESSAGE(eventually([this] {
                                  try {
                                      connect_peer(port, false);
                                      return true;
                                  } catch (const std::exception&) {
                                      return false;
                                  }
                              }),
                              "tinyproxy did not start: " << process->err());
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(egress_proxy)

BOOST_AUTO_TEST_CASE(mints_go_through_the_tunnel_and_the_proxy_sees_no_secret) {
    connect_proxy proxy(connect_proxy::mode::tunnel);
    proxied_gateway g(R"(, "proxy_url": ")" + proxy.url() + R"(")");
    for (const std::string user : {"alice", "bob", "alice"}) minted(g.mint(user));
    BOOST_TEST(g.up.count("create_session") == 3);
    const auto targets = proxy.targets();
    BOOST_TEST_REQUIRE(!targets.empty());
    for (const auto& t : targets) BOOST_TEST(t == g.upstream_authority());
    BOOST_TEST(proxy.seen().starts_with("CONNECT " + g.upstream_authority() +
                                        " HTTP/1.1\r\nHost: " + g.upstream_authority() +
                                        "\r\n\r\n"));
    proxy_saw_no_secret(proxy, g);
    g.gw->wait_for_log(R"("msg":"egress route","host":"127.0.0.1","via":"127.0.0.1:)" +
                       std::to_string(proxy.port()) + R"(","reason":"upstream.proxy_url")");
}

BOOST_AUTO_TEST_CASE(a_proxy_that_refuses_or_answers_garbage_is_502_upstream_error) {
    for (const auto mode : {connect_proxy::mode::refuse, connect_proxy::mode::garbage}) {
        BOOST_TEST_CONTEXT((mode == connect_proxy::mode::refuse ? "403" : "not HTTP")) {
            connect_proxy proxy(mode);
            proxied_gateway g(R"(, "proxy_url": ")" + proxy.url() + R"(")");
            const auto r = g.mint("alice");
            BOOST_TEST(r.result_int() == 502u);
            BOOST_TEST(error_code_of(r) == "upstream_error");
            BOOST_TEST(proxy.targets().size() == 1u);  // never retried
            BOOST_TEST(g.up.count("create_session") == 0);
        }
    }
}

BOOST_AUTO_TEST_CASE(an_unreachable_or_silent_proxy_is_503_upstream_unavailable) {
    {
        proxied_gateway g(R"(, "proxy_url": "http://127.0.0.1:)" + std::to_string(closed_port()) +
                          R"(")");
        const auto r = g.mint("alice");
        BOOST_TEST(r.result_int() == 503u);
        BOOST_TEST(error_code_of(r) == "upstream_unavailable");
    }
    connect_proxy proxy(connect_proxy::mode::silent);
    proxied_gateway g(R"(, "proxy_url": ")" + proxy.url() + R"(")");
    const auto start = std::chrono::steady_clock::now();
    const auto r = g.mint("alice");
    BOOST_TEST(r.result_int() == 503u);
    BOOST_TEST(error_code_of(r) == "upstream_unavailable");
    // connect_timeout_ms (1 s) bounds each of the two attempts, plus backoff.
    const auto took = std::chrono::steady_clock::now() - start;
    BOOST_TEST((took < 5s));
    BOOST_TEST(proxy.targets().size() == 2u);  // a silent proxy never saw a request: retried
}

BOOST_AUTO_TEST_CASE(https_proxy_is_used_unless_no_proxy_matches_the_host) {
    struct route_case {
        env_map env;
        bool proxied;
    };
    connect_proxy proxy(connect_proxy::mode::tunnel);
    const std::vector<route_case> cases = {
        {{{"HTTPS_PROXY", proxy.url()}}, true},
        {{{"https_proxy", proxy.url()}}, true},
        {{{"HTTPS_PROXY", proxy.url()}, {"NO_PROXY", "127.0.0.1"}}, false},
        {{{"HTTPS_PROXY", proxy.url()}, {"no_proxy", " example.com , 127.0.0.1 "}}, false},
        {{{"HTTPS_PROXY", proxy.url()}, {"NO_PROXY", "*"}}, false},
        {{{"HTTPS_PROXY", proxy.url()}, {"NO_PROXY", "127.0.0.2,.0.0.1,0.0.1,[::1]"}}, true},
        {{{"HTTP_PROXY", proxy.url()}}, false},  // never for HTTPS
    };
    std::size_t tunnels = 0;
    for (const auto& c : cases) {
        std::string what;
        for (const auto& [k, v] : c.env) what += k + "=" + v + " ";
        BOOST_TEST_CONTEXT(what) {
            proxied_gateway g("", c.env);
            minted(g.mint("bob"));
            if (c.proxied) ++tunnels;
            BOOST_TEST(proxy.targets().size() == tunnels);
        }
    }
}

BOOST_AUTO_TEST_CASE(the_configured_proxy_ignores_the_environment) {
    connect_proxy proxy(connect_proxy::mode::tunnel);
    // Not even a malformed HTTPS_PROXY (injected cluster-wide, say) matters then.
    proxied_gateway g(R"(, "proxy_url": ")" + proxy.url() + R"(")",
                      {{"NO_PROXY", "*"}, {"HTTPS_PROXY", "http://user:pw@127.0.0.1:1/x"}});
    minted(g.mint("alice"));
    BOOST_TEST(proxy.targets().size() == 1u);
}

BOOST_AUTO_TEST_CASE(an_ipv6_upstream_is_named_in_brackets) {
    connect_proxy proxy(connect_proxy::mode::tunnel);  // tunnels to 127.0.0.1 whatever the name
    proxied_gateway g("", {{"HTTPS_PROXY", proxy.url()}});
    const auto port = std::to_string(g.up.server.endpoint().port());
    // The same simulator, named by its certificate's other address.
    write_text(g.dir / "v6.json",
               std::regex_replace(config_text(g.up.server.endpoint().port(), ""),
                                  std::regex("127\\.0\\.0\\.1:" + port), "[::1]:" + port));
    auto env = gateway_env();
    env["HS"] = std::string(g.manifest.at("hs_secret").as_string());
    env["HTTPS_PROXY"] = proxy.url();
    g.gw = std::make_unique<gateway>(g.dir / "v6.json", env);
    minted(g.mint("alice"));
    BOOST_TEST_REQUIRE(!proxy.targets().empty());
    BOOST_TEST(proxy.targets().back() == "[::1]:" + port);
    BOOST_TEST(proxy.seen().find("CONNECT [::1]:" + port + " HTTP/1.1\r\nHost: [::1]:" + port) !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_malformed_https_proxy_variable_stops_the_start) {
    for (const std::string value :
         {"127.0.0.1:3128", "https://127.0.0.1:3128", "http://user:secret-pw@127.0.0.1:3128"}) {
        BOOST_TEST_CONTEXT(value) {
            const auto dir = temp_dir("egress-bad");
            write_text(dir / "gw.json", config_text(closed_port(), ""));
            auto env = gateway_env();
            env["HS"] = "x";
            env["HTTPS_PROXY"] = value;
            const auto r = run_process({CKG_GATEWAY_BINARY, "--config", (dir / "gw.json").string()},
                                       env, {}, 10s);
            BOOST_TEST(r.exit_code == 2);
            BOOST_TEST(r.err.find("config error: HTTPS_PROXY: must be http://host:port") !=
                           std::string::npos,
                       r.err);
            BOOST_TEST(r.err.find("secret-pw") == std::string::npos);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_real_proxy_carries_the_tunnel_or_refuses_it) {
    {
        tinyproxy allowing;
        proxied_gateway g(R"(, "proxy_url": ")" + allowing.url() + R"(")");
        for (const std::string user : {"alice", "bob"}) minted(g.mint(user));
        BOOST_TEST(g.up.count("create_session") == 2);
        const auto log = allowing.process->out() + allowing.process->err();
        BOOST_TEST(log.find("CONNECT 127.0.0.1:" + std::to_string(g.up.server.endpoint().port())) !=
                   std::string::npos);
    }
    tinyproxy refusing(443);
    proxied_gateway g(R"(, "proxy_url": ")" + refusing.url() + R"(")");
    const auto r = g.mint("alice");
    BOOST_TEST(r.result_int() == 502u);
    BOOST_TEST(error_code_of(r) == "upstream_error");
    BOOST_TEST(g.up.count("create_session") == 0);
}

BOOST_AUTO_TEST_CASE(keys_and_discovery_come_through_the_proxy) {
    connect_proxy proxy(connect_proxy::mode::tunnel);
    key_host keys;
    proxied_gateway g(R"(, "proxy_url": ")" + proxy.url() + R"(")", {}, keys.issuers());
    BOOST_TEST(eventually([&] {
        test_client admin(g.gw->admin_ep, std::nullopt, 5s);
        return admin.request(http::verb::get, "/readyz").result_int() == 200u;
    }));
    const auto key_authority = "127.0.0.1:" + std::to_string(keys.server.endpoint().port());
    const auto targets = proxy.targets();
    // The JWKS of the first issuer, then the metadata and JWKS of the second.
    BOOST_TEST(targets.size() >= 2u);
    for (const auto& t : targets) BOOST_TEST(t == key_authority);
    proxy_saw_no_secret(proxy, g);
}

BOOST_AUTO_TEST_SUITE_END()
