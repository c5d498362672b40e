// The gateway binary as a child process, with its ports read from the
// start-up log line and helpers to wait for what it logs.
#pragma once

#include "process.hpp"

#include "chatkit_gateway/core/asio.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <memory>
#include <regex>
#include <thread>

namespace ckg::test {

struct gateway {
    std::unique_ptr<child_process> process;
    tcp::endpoint public_ep, admin_ep;

    gateway(const std::filesystem::path& config, env_map env) {
        using namespace std::chrono_literals;
        process = std::make_unique<child_process>(
            std::vector<std::string>{CKG_GATEWAY_BINARY, "--config", config.string()},
            std::move(env));
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
