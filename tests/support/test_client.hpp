// A blocking HTTP/1.1 client for tests, over plain TCP or TLS (verifying the
// server against a test CA). Every socket read and write is bounded by
// SO_RCVTIMEO/SO_SNDTIMEO so a broken server fails a test instead of hanging.
#pragma once

#include "chatkit_gateway/core/asio.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace ckg::test {

using response = http::response<http::string_body>;

class test_client {
public:
    // Connects (and handshakes when ca_file is given); throws on failure.
    test_client(tcp::endpoint endpoint, std::optional<std::string> ca_file = std::nullopt,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));
    ~test_client();

    response request(http::verb method, std::string target, std::string body = {},
                     std::map<std::string, std::string> headers = {});
    response send(http::request<http::string_body> req);

    // Raw bytes, for malformed-request tests.
    void write_raw(const std::string& bytes);
    // Reads one response; nullopt if the server closed the connection first.
    std::optional<response> read_response();
    // True when the server closed (EOF or reset) within the timeout.
    bool peer_closed();

private:
    template <class F>
    auto with_stream(F&& f);

    net::io_context ioc_;
    std::optional<ssl::context> tls_ctx_;
    std::unique_ptr<beast::tcp_stream> plain_;
    std::unique_ptr<ssl::stream<beast::tcp_stream>> tls_;
    beast::flat_buffer buffer_;
};

// Milliseconds since `start`, as a plain number that Boost.Test can print.
inline long ms_since(std::chrono::steady_clock::time_point start) {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - start)
                                 .count());
}

// A CA file made at test time by tools/make-dev-cert.sh (the ctest fixture).
std::string test_pki(const std::string& file);

}  // namespace ckg::test
