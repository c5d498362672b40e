// An HTTPS client for one origin (scheme https, host, port) with a bounded
// keep-alive connection pool, used for every upstream call and for JWKS
// fetches. Asynchronous DNS, certificate and host-name verification with SNI,
// a deadline on connect and on every attempt, a reply-size limit, and retries
// only where they are safe (docs/api.md, docs/architecture.md, "Upstream calls").
//
// Failures come back as result<> with:
//   upstream_unavailable  refused, reset or unresolvable; connect timeout
//   upstream_timeout      the reply did not come within request_timeout
//   upstream_error        certificate failure, unreadable, oversized or
//                         incomplete reply, bytes after a reply, a 101
//   overloaded            every connection busy and the wait queue full
//
// The client belongs to one io_context, run by one thread (core/io_pool.hpp):
// its connections, timers and pool state are touched only there, without
// strands. A call from another context hops over to it and back.
#pragma once

#include "chatkit_gateway/config/proxy_url.hpp"
#include "chatkit_gateway/core/asio.hpp"
#include "chatkit_gateway/core/result.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ckg::upstream {

struct client_options {
    std::string host;
    std::string port = "443";
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds request_timeout{10000};
    std::size_t max_connections = 64;
    std::size_t max_waiters = 1024;  // callers queued for a connection
    unsigned max_retries = 2;
    // Everything of one reply together: header, chunk framing, trailers,
    // body, and any interim 1xx replies before it.
    std::size_t max_response_bytes = 1 << 20;
    std::chrono::milliseconds idle_timeout{20000};  // below common upstream keep-alive limits
    std::chrono::milliseconds backoff_base{100};
    // An egress proxy: connections are CONNECT tunnels through it, TLS to
    // the origin inside (upstream/proxy_choice.hpp decides).
    std::optional<config::proxy_endpoint> proxy;
};

struct upstream_response {
    unsigned status = 0;
    std::string body;
    std::optional<std::chrono::seconds> retry_after;  // a sane Retry-After header, if sent
    std::string request_id;  // the upstream's own x-request-id, printable and bounded ("" if none)
};

// The Host header's value: the host, with the port when it is not 443.
std::string host_header(const client_options& o);

// Makes the client TLS context: TLS 1.2+, peer verification against the
// system store (honours SSL_CERT_FILE) or `ca_file`. Throws on a bad file.
std::shared_ptr<ssl::context> make_client_tls_context(const std::optional<std::string>& ca_file);

class https_client : public std::enable_shared_from_this<https_client> {
public:
    https_client(net::io_context& ioc, client_options options, std::shared_ptr<ssl::context> tls);
    ~https_client();

    // Sends `req` (target, method, headers and body set by the caller; Host
    // is added). `idempotent`: safe to resend after the upstream may have
    // seen it (GET, DELETE, cancel); a create is resent only when it
    // provably never left this process.
    net::awaitable<result<upstream_response>> send(http::request<http::string_body> req,
                                                   bool idempotent);

    // Called on the request's wire before every attempt (the first one
    // included); it may rewrite bytes in place, never change the size
    // (chatkit_client gives each attempt a new trace span id this way).
    using attempt_hook = std::function<void(std::string& wire)>;

    // The same for a request already in wire form (request line, headers
    // including Host and Content-Length when there is a body, blank line,
    // body), written as it is: for callers that keep constant headers
    // pre-serialized (chatkit_client).
    net::awaitable<result<upstream_response>> send_wire(std::string wire, bool idempotent,
                                                        attempt_hook before_attempt = {});

    std::size_t open_connections() const;
    std::size_t idle_connections() const;

private:
    struct connection;
    enum class attempt_outcome { reply, retry_fresh, retry_backoff, fail };
    struct attempt_result;

    // A pooled connection (unless `fresh_only`) or a new one.
    net::awaitable<std::optional<std::shared_ptr<connection>>> acquire(failure& why,
                                                                       bool fresh_only);
    std::shared_ptr<connection> take_idle(bool fresh_only);
    // Resolves, connects (directly or through the proxy's tunnel) and
    // handshakes; nullopt on success.
    net::awaitable<std::optional<failure>> connect_on(std::shared_ptr<connection> c);
    // A TCP connection to host:port, within the deadline already set on `c`.
    net::awaitable<std::optional<failure>> connect_tcp(connection& c, const std::string& host,
                                                       const std::string& port,
                                                       const std::string& what);
    // CONNECT through the proxy on `c`'s open connection to it.
    net::awaitable<std::optional<failure>> open_tunnel(connection& c);
    net::awaitable<attempt_result> attempt(std::shared_ptr<connection> c, const std::string& wire,
                                           bool idempotent);
    net::awaitable<attempt_result> read_reply(std::shared_ptr<connection> c, bool idempotent);
    void release(std::shared_ptr<connection> c, bool reusable);
    void wake_one_waiter();

    bool on_home_context(const net::any_io_executor& ex) const noexcept;

    net::io_context& ioc_;
    const client_options options_;
    std::shared_ptr<ssl::context> tls_;

    mutable std::mutex mutex_;
    std::vector<std::shared_ptr<connection>> idle_;
    std::size_t open_ = 0;
    std::deque<std::shared_ptr<net::steady_timer>> waiters_;
};

}  // namespace ckg::upstream
