// A scripted HTTP CONNECT proxy for integration tests, on plain POSIX
// sockets (nothing of the gateway's transport). It records every byte the
// gateway sends it, tunnelled TLS included, so a test can show what the
// proxy could see; it tunnels only to 127.0.0.1.
#pragma once

#include "hostile_peer.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ckg::test {

class connect_proxy {
public:
    enum class mode {
        tunnel,  // 200, then bytes relayed both ways
        refuse,  // 403 Forbidden, then closed
        silent,  // reads the request and never answers
        garbage  // answers bytes that are not HTTP
    };

    explicit connect_proxy(mode m);
    ~connect_proxy() = default;
    connect_proxy(const connect_proxy&) = delete;
    connect_proxy& operator=(const connect_proxy&) = delete;

    unsigned short port() const noexcept { return listener_.port(); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port()); }
    // The request-targets of the CONNECT requests read, in order.
    std::vector<std::string> targets() const;
    // Every byte the gateway sent on every connection, tunnels included.
    std::string seen() const;
    std::size_t connections() const noexcept { return listener_.connections(); }

private:
    void serve(const std::shared_ptr<peer_socket>& client);
    void relay(peer_socket& client, peer_socket& origin);
    void record(std::string_view bytes);

    mode mode_;
    mutable std::mutex mutex_;
    std::vector<std::string> targets_;
    std::string seen_;
    loopback_listener listener_;  // last: its threads use the members above
};

}  // namespace ckg::test
