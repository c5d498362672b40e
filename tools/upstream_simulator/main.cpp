// chatkit-upstream-simulator: a local stand-in for the ChatKit API, for
// development, tests and benchmarks. Never for production.
#include "chatkit_gateway/http/server.hpp"
#include "chatkit_gateway/observability/logger.hpp"
#include "simulator.hpp"

#include <boost/asio/signal_set.hpp>

#include <cstdlib>
#include <iostream>
#include <sstream>
#include <thread>

namespace {

const char* usage =
    "Usage: chatkit-upstream-simulator [--listen HOST:PORT] [--cert FILE --key FILE]\n"
    "         [--api-key-env NAME] [--latency-ms N] [--threads N] [--seed-users a,b,c] [--quiet]\n"
    "Serves the ChatKit API under /v1/chatkit/ (HTTPS when --cert/--key are given),\n"
    "and a control API under /__sim/ (faults, recorded requests).\n";

struct options {
    std::string host = "127.0.0.1";
    unsigned short port = 8787;
    std::string cert, key;
    std::string api_key_env = "OPENAI_API_KEY";
    long latency_ms = 0;
    unsigned threads = 1;
    bool quiet = false;
    std::vector<std::string> seed_users{"dev-user", "alice", "bob"};
};

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> out;
    std::stringstream in(text);
    for (std::string part; std::getline(in, part, sep);)
        if (!part.empty()) out.push_back(part);
    return out;
}

bool parse(int argc, char** argv, options& o) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (arg == "--listen") {
            const auto v = next();
            const auto colon = v.rfind(':');
            if (colon == std::string::npos) return false;
            o.host = v.substr(0, colon);
            o.port = static_cast<unsigned short>(std::stoul(v.substr(colon + 1)));
        } else if (arg == "--cert")
            o.cert = next();
        else if (arg == "--key")
            o.key = next();
        else if (arg == "--api-key-env")
            o.api_key_env = next();
        else if (arg == "--latency-ms")
            o.latency_ms = std::stol(next());
        else if (arg == "--threads")
            o.threads = static_cast<unsigned>(std::stoul(next()));
        else if (arg == "--seed-users")
            o.seed_users = split(next(), ',');
        else if (arg == "--quiet")
            o.quiet = true;
        else
            return false;
    }
    return o.cert.empty() == o.key.empty();
}

}  // namespace

int main(int argc, char** argv) {
    using namespace ckg;
    options o;
    try {
        if (!parse(argc, argv, o)) throw std::invalid_argument("bad arguments");
    } catch (const std::exception&) {
        std::cerr << usage;
        return 2;
    }
    const char* key = std::getenv(o.api_key_env.c_str());
    if (key == nullptr || *key == '\0') {
        std::cerr << "chatkit-upstream-simulator: environment variable " << o.api_key_env
                  << " is not set\n";
        return 2;
    }
    if (o.quiet) observability::logger::set_level(observability::log_level::warn);
    try {
        simulator::simulator sim({key, std::chrono::milliseconds(o.latency_ms), o.seed_users});
        io_pool pool(o.threads);
        std::shared_ptr<http_server::tls_context_store> tls;
        if (!o.cert.empty())
            tls = std::make_shared<http_server::tls_context_store>(
                http_server::make_server_tls_context({o.cert, o.key}));
        http_server::server_options so;
        so.name = "simulator";
        so.listen = {o.host, o.port};
        so.max_body_bytes = 1 << 20;
        so.max_connections = 100000;
        so.public_headers = false;
        http_server::server srv(pool, so, sim.make_router(), tls);
        srv.listen();
        srv.start();
        net::signal_set signals(pool.at(0), SIGTERM, SIGINT);
        signals.async_wait([&](auto, int) { pool.stop(); });
        observability::log_info("simulator listening",
                                {{"port", srv.local_endpoint().port()}, {"tls", tls != nullptr}});
        pool.run();
        observability::logger::flush();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "chatkit-upstream-simulator: " << e.what() << "\n";
        return 1;
    }
}
