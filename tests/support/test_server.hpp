// Runs a real listener (http_server::server) on 127.0.0.1 with an ephemeral
// port and its own io_pool threads, for the duration of a test.
#pragma once

#include "chatkit_gateway/http/server.hpp"
#include "test_client.hpp"

#include <memory>
#include <thread>
#include <vector>

namespace ckg::test {

// The TLS context of a test listener: the test CA's server certificate.
inline std::shared_ptr<http_server::tls_context_store> test_tls_store() {
    return std::make_shared<http_server::tls_context_store>(
        http_server::make_server_tls_context({test_pki("server.pem"), test_pki("server.key")}));
}

class test_server {
public:
    test_server(http_server::server_options options, http_server::router routes,
                std::shared_ptr<http_server::tls_context_store> tls = nullptr, unsigned threads = 2,
                std::string host = "127.0.0.1")
        : pool_(threads),
          server_(pool_, with_ephemeral_port(std::move(options), std::move(host)),
                  std::move(routes), std::move(tls)) {
        server_.listen();
        server_.start();
        pool_.start();
    }
    ~test_server() {
        pool_.stop();
        pool_.join();
    }

    tcp::endpoint endpoint() const { return server_.local_endpoint(); }
    http_server::server& server() { return server_; }

private:
    static http_server::server_options with_ephemeral_port(http_server::server_options o,
                                                           std::string host) {
        o.listen = {std::move(host), 0};
        return o;
    }
    io_pool pool_;
    http_server::server server_;
};

}  // namespace ckg::test
