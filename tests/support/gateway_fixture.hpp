// The whole service in-process against the upstream simulator, both over
// real TLS on 127.0.0.1: the app (public + admin listeners) configured with
// an HMAC issuer whose tokens PyJWT minted (tests/support/make_tokens.py).
// Every log line is captured, for checks that nothing secret is logged.
#pragma once

#include "secret_scan.hpp"
#include "test_client.hpp"
#include "test_files.hpp"
#include "test_server.hpp"

#include "chatkit_gateway/app/app.hpp"
#include "chatkit_gateway/config/config_loader.hpp"
#include "chatkit_gateway/observability/logger.hpp"
#include "simulator.hpp"

#include <boost/json.hpp>

#include <fstream>
#include <future>
#include <mutex>

namespace ckg::test {

inline const std::string upstream_api_key = "sk-test-never-leaks-0123456789";

struct gateway_fixture {
    std::mutex log_mutex;
    std::vector<std::string> log_lines;
    simulator::simulator sim{{upstream_api_key, std::chrono::milliseconds(0), {"alice", "bob"}}};
    test_server sim_server{sim_options(), sim.make_router(), test_tls_store()};
    boost::json::object manifest = token_manifest();
    std::unique_ptr<app::app> application;
    std::future<int> exit_code;

    explicit gateway_fixture(const std::string& extra_sessions = "", const std::string& cors = "[]",
                             const std::string& cookie = "null") {
        observability::logger::set_sink([this](std::string_view line) {
            record_observed(observed_kind::log_line, line);
            std::lock_guard lock(log_mutex);
            log_lines.emplace_back(line);
        });
        application = std::make_unique<app::app>(make_config(extra_sessions, cors, cookie),
                                                 app::app_options{false});
        application->start();
        exit_code = std::async(std::launch::async, [this] { return application->run(); });
    }
    ~gateway_fixture() {
        application->request_shutdown();
        exit_code.wait_for(std::chrono::seconds(10));
        observability::logger::set_sink(recording_log_sink());
    }

    static http_server::server_options sim_options() {
        http_server::server_options o;
        o.public_headers = false;
        o.access_log = false;
        return o;
    }
    config::gateway_config make_config(const std::string& extra_sessions, const std::string& cors,
                                       const std::string& cookie) {
        const std::string text =
            R"({
          "server": {"listen": "127.0.0.1:0", "threads": 2, "drain_seconds": 0, "shutdown_grace_seconds": 5,
                     "tls": {"cert_file": ")" +
            test_pki("server.pem") + R"(", "key_file": ")" + test_pki("server.key") + R"("}},
          "admin": {"listen": "127.0.0.1:0"},
          "upstream": {"base_url": "https://127.0.0.1:)" +
            std::to_string(sim_server.endpoint().port()) + R"(/v1",
                       "ca_file": ")" +
            test_pki("ca.pem") + R"(", "request_timeout_ms": 1000, "max_retries": 1,
                       "organization": "org-test", "project": "proj-test"},
          "auth": {"cookie_name": )" +
            cookie +
            R"(, "issuers": [{"issuer": "https://hs.test/", "hmac_secret_env": "HS", "algorithms": ["HS256"]}]},
          "sessions": {"workflows": {
             "default": {"id": "wf_default", "version": "7", "tracing": false,
                         "state_variables": {"product": "web"}, "allowed_state_variables": ["locale", "count", "beta"],
                         "claims_to_state_variables": {"plan": "customer_plan", "tier": "tier_var", "absent": "absent_var"},
                         "chatkit_configuration": {"file_upload": {"enabled": false}},
                         "expires_after_seconds": 300, "max_requests_per_1_minute": 12},
             "support": {"id": "wf_support"})" +
            extra_sessions + R"(}},
          "rate_limit": {"sessions_per_minute": 60, "burst": 5},
          "cors": {"allowed_origins": )" +
            cors + R"(}})";
        const std::string hs(manifest.at("hs_secret").as_string());
        return config::load_config_text(
            text, "test.json", [hs](const std::string& n) -> std::optional<std::string> {
                if (n == "OPENAI_API_KEY") return upstream_api_key;
                if (n == "HS") return hs;
                if (n == "CHATKIT_GATEWAY_HANDLE_KEY")
                    return "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
                return std::nullopt;
            });
    }

    std::string token(const std::string& user) const {
        return std::string(manifest.at("users").at(user).as_string());
    }
    test_client client() { return test_client(application->public_endpoint(), test_pki("ca.pem")); }
    response call(http::verb v, const std::string& target, const std::string& user,
                  const std::string& body = {}, std::map<std::string, std::string> headers = {}) {
        if (!user.empty()) headers["Authorization"] = "Bearer " + token(user);
        auto c = client();
        return c.request(v, target, body, headers);
    }
    void fault(const std::string& endpoint, const std::string& spec) {
        test_client c(sim_server.endpoint(), test_pki("ca.pem"));
        if (c.request(http::verb::put, "/__sim/faults/" + endpoint, spec).result_int() != 200)
            throw std::runtime_error("fault not set");
    }
    boost::json::object sim_requests() {
        test_client c(sim_server.endpoint(), test_pki("ca.pem"));
        return boost::json::parse(c.request(http::verb::get, "/__sim/requests").body()).as_object();
    }
    std::int64_t upstream_count(const std::string& endpoint) {
        const auto log = sim_requests();
        const auto* n = log.at("counts").as_object().if_contains(endpoint);
        return n ? n->as_int64() : 0;
    }
    std::vector<std::string> logs() {
        std::lock_guard lock(log_mutex);
        return log_lines;
    }
};

}  // namespace ckg::test
