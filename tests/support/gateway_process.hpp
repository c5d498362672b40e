// The real gateway binary as a child process (ports read from its start-up
// log line), and the upstream simulator served from the test process over
// TLS: what tests that run several gateway processes share.
#pragma once

#include "process.hpp"
#include "simulator.hpp"
#include "test_client.hpp"
#include "test_files.hpp"
#include "test_server.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <regex>
#include <thread>

namespace ckg::test {

// The upstream simulator in this process, over TLS with the test CA.
struct upstream {
    simulator::simulator sim{{"sk-test-never-leaks-0123456789", std::chrono::milliseconds(0), {}}};
    test_server server{options(), sim.make_router(), test_tls_store()};

    static http_server::server_options options() {
        http_server::server_options o;
        o.public_headers = false;
        o.access_log = false;
        return o;
    }
    void fault(const std::string& endpoint, const std::string& spec) {
        test_client c(server.endpoint(), test_pki("ca.pem"));
        BOOST_REQUIRE(c.request(http::verb::put, "/__sim/faults/" + endpoint, spec).result_int() ==
                      200);
    }
    boost::json::object requests() {
        test_client c(server.endpoint(), test_pki("ca.pem"));
        return boost::json::parse(c.request(http::verb::get, "/__sim/requests").body()).as_object();
    }
    std::int64_t count(const std::string& endpoint) {
        const auto log = requests();
        const auto* n = log.at("counts").as_object().if_contains(endpoint);
        return n ? n->as_int64() : 0;
    }
};

// The gateway binary with its ports read from the start-up log line.
struct gateway {
    std::unique_ptr<child_process> process;
    tcp::endpoint public_ep, admin_ep;

    // `launcher`: a command that runs the gateway's (prlimit, say).
    gateway(const std::filesystem::path& config, env_map env,
            std::vector<std::string> launcher = {}) {
        using namespace std::chrono_literals;
        launcher.insert(launcher.end(), {CKG_GATEWAY_BINARY, "--config", config.string()});
        process = std::make_unique<child_process>(std::move(launcher), std::move(env));
        const std::regex re(
            R"re("msg":"listening".*"public":"127\.0\.0\.1:(\d+)".*"admin":"127\.0\.0\.1:(\d+)")re");
        std::smatch m;
        std::string out;
        for (int i = 0; i < 250 && !std::regex_search(out = process->out(), m, re); ++i)
            std::this_thread::sleep_for(20ms);
        BOOST_REQUIRE_MESSAGE(!m.empty(), "no listening line: " << out << process->err());
        const auto lo = net::ip::make_address("127.0.0.1");
        public_ep = {lo, static_cast<unsigned short>(std::stoi(m[1]))};
        admin_ep = {lo, static_cast<unsigned short>(std::stoi(m[2]))};
    }
    std::size_t count_in_log(const std::string& text) const {
        const auto out = process->out();
        std::size_t n = 0;
        for (auto pos = out.find(text); pos != std::string::npos; pos = out.find(text, pos + 1))
            ++n;
        return n;
    }
    void wait_for_log(const std::string& text, std::size_t times = 1) const {
        using namespace std::chrono_literals;
        for (int i = 0; i < 250 && count_in_log(text) < times; ++i)
            std::this_thread::sleep_for(20ms);
        BOOST_REQUIRE_MESSAGE(count_in_log(text) >= times,
                              "log never said " << text << ": " << process->out());
    }
};

}  // namespace ckg::test
