// Programmable hostile peers for integration tests, on plain POSIX sockets
// and OpenSSL's own socket BIO (nothing of the gateway's transport):
//
// - hostile_upstream: an upstream that answers each request with scripted
//   bytes — 1xx before the final reply, an unsolicited extra reply, bytes
//   after a well-framed reply, endless chunk extensions / trailers / headers,
//   slow drips, a Content-Length larger than what it sends, a close mid-body,
//   a reset — and counts the requests it reads.
// - raw_peer: a client connection to the gateway's public listener that
//   writes whatever a test wants (floods included) and reads what comes back.
//
// Every blocking call is bounded by socket timeouts; the destructor stops
// all threads.
#pragma once

#include <openssl/ssl.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ckg::test {

// One connected socket, plain or TLS, with blocking bounded I/O.
class peer_socket {
public:
    peer_socket(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
    ~peer_socket();
    peer_socket(const peer_socket&) = delete;
    peer_socket& operator=(const peer_socket&) = delete;

    // All of `data`; false when the peer stopped taking it (closed, reset, timeout).
    bool send_all(std::string_view data);
    // Some bytes (at most `max`); empty on EOF, error or timeout.
    std::string recv_some(std::size_t max = 16384);
    // The server side of the TLS handshake (true at once without TLS).
    bool accept_tls();
    // Ends the connection with a TCP reset (SO_LINGER 0).
    void reset();
    // Unblocks a thread waiting on this socket (thread-safe).
    void shut() noexcept;
    int fd() const noexcept { return fd_; }

private:
    int fd_;
    SSL* ssl_;
};

// One request as the upstream peer read it.
struct peer_request {
    std::string method, target, host, body;
    std::string user;       // the "user" member of a JSON body ("" if none)
    std::size_t index = 0;  // 0-based, across all connections
};

// What the upstream peer does with a request.
struct peer_reply {
    std::string bytes;  // written at once, in one write
    std::string later;  // then, after `pause`, if not empty
    std::chrono::milliseconds pause{0};
    std::string repeat;                 // then written over and over (a flood) ...
    std::size_t repeat_bytes = 0;       // ... until this many bytes, or the gateway stops reading
    std::chrono::milliseconds drip{0};  // `bytes` written one byte at a time with this pause
    // Written on the same connection once the NEXT request has been read,
    // before that request's own reply: a stray that arrives after the
    // connection was checked and reused.
    std::string before_next;
    enum class ending { keep_open, close, reset, hang } end = ending::keep_open;
};

using peer_script = std::function<peer_reply(const peer_request&)>;

// A listener on 127.0.0.1 (ephemeral port) that serves each accepted
// connection on a thread of its own, with 5 s socket timeouts, TLS with the
// test CA's server certificate when `tls`. The destructor shuts every
// connection and joins every thread; an owner whose `serve` uses its other
// members declares the listener last, so that it goes first.
class loopback_listener {
public:
    using serve_fn = std::function<void(const std::shared_ptr<peer_socket>&)>;
    loopback_listener(bool tls, serve_fn serve);
    ~loopback_listener();
    loopback_listener(const loopback_listener&) = delete;
    loopback_listener& operator=(const loopback_listener&) = delete;

    unsigned short port() const noexcept { return port_; }
    bool stopping() const noexcept { return stop_.load(); }
    std::size_t connections() const noexcept { return connections_.load(); }
    // Resets every open connection at once.
    void reset_all();
    // Writes `bytes` on every open connection now, whatever its thread is doing.
    void send_to_all(std::string_view bytes);

private:
    void accept_loop();

    serve_fn serve_;
    SSL_CTX* tls_ = nullptr;
    int listen_fd_ = -1;
    unsigned short port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> connections_{0};
    std::mutex mutex_;
    std::vector<std::weak_ptr<peer_socket>> sockets_;
    std::vector<std::thread> threads_;
    std::thread acceptor_;
};

class hostile_upstream {
public:
    // Listens on 127.0.0.1 (TLS with the test CA's server certificate when `tls`).
    hostile_upstream(bool tls, peer_script script);
    ~hostile_upstream();
    hostile_upstream(const hostile_upstream&) = delete;
    hostile_upstream& operator=(const hostile_upstream&) = delete;

    unsigned short port() const noexcept { return listener_.port(); }
    void set_script(peer_script script);
    std::size_t requests() const noexcept { return requests_.load(); }
    std::size_t connections() const noexcept { return listener_.connections(); }
    std::size_t bytes_sent() const noexcept { return bytes_sent_.load(); }
    // How many `before_next` strays were written ahead of a later reply.
    std::size_t strays_sent() const noexcept { return strays_sent_.load(); }
    // Resets every open connection at once (a fleet of pooled connections gone stale).
    void reset_all() { listener_.reset_all(); }

private:
    void serve(const std::shared_ptr<peer_socket>& s);
    bool answer(peer_socket& s, const peer_request& req, std::string& carried);
    peer_script script() const;
    bool stopping() const noexcept { return listener_.stopping(); }

    std::atomic<std::size_t> requests_{0}, bytes_sent_{0}, strays_sent_{0};
    mutable std::mutex mutex_;
    peer_script script_;
    loopback_listener listener_;  // last: its threads use the members above
};

// A listening socket on 127.0.0.1 with an ephemeral port (stored in `port`).
int listen_loopback(unsigned short& port);
// A client connection to 127.0.0.1:port (TLS without verification when `tls`).
// With TLS, `pause_before_tls` passes between the TCP connection and the handshake.
std::unique_ptr<peer_socket> connect_peer(
    unsigned short port, bool tls, std::chrono::milliseconds timeout = std::chrono::seconds(5),
    std::chrono::milliseconds pause_before_tls = std::chrono::milliseconds(0));

// Replies as bytes on the wire.
std::string wire_reply(unsigned status, const std::string& body,
                       const std::string& extra_headers = {});
// A create-session reply whose id and client_secret name the requesting user.
std::string mint_reply_for(const peer_request& req);
// The status of the first reply in `bytes` (0 if none), and a header's value.
unsigned status_of(const std::string& bytes);
std::string header_of(const std::string& bytes, const std::string& name);
// Reads from `s` until a whole reply (header + Content-Length body) or EOF/timeout.
std::string read_reply(peer_socket& s);

// A process's resident memory (VmRSS) in KiB, 0 if unreadable.
std::size_t rss_kib(pid_t pid);

}  // namespace ckg::test
