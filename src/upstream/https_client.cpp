#include "chatkit_gateway/upstream/https_client.hpp"

#include "chatkit_gateway/core/random.hpp"
#include "chatkit_gateway/net/connect_tunnel.hpp"
#include "chatkit_gateway/net/reply_reader.hpp"
#include "chatkit_gateway/net/tls_stream.hpp"
#include "chatkit_gateway/net/wire_format.hpp"

#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>

#include <algorithm>
#include <charconv>

namespace ckg::upstream {
namespace {

using steady = std::chrono::steady_clock;
using transport::message_reader;
using transport::reply_parser;
using transport::tls_stream;

bool is_certificate_failure(const beast::error_code& ec) {
    return ec.category() == net::error::get_ssl_category() &&
           ERR_GET_REASON(static_cast<unsigned long>(ec.value())) ==
               SSL_R_CERTIFICATE_VERIFY_FAILED;
}

// delay-seconds (RFC 9110 section 10.2.3): any run of digits, however long
// (one too large to count is a day, like any value above a day). Not
// digits (a date, a sign, a fraction): nullopt.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view v) {
    constexpr unsigned long a_day = 86400;
    unsigned long n = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec == std::errc::invalid_argument || end != v.data() + v.size()) return std::nullopt;
    return std::chrono::seconds(ec == std::errc::result_out_of_range ? a_day : std::min(n, a_day));
}

// An idle keep-alive connection may carry a request when nothing is
// readable on it: a peer that closed it has sent EOF (or a TLS close_notify)
// by now, and any other byte is an unsolicited reply that the next caller
// would otherwise read as theirs. Checked right before every reuse.
bool still_open(tls_stream& stream) {
    char byte;
    const auto fd = beast::get_lowest_layer(stream).socket().native_handle();
    const auto n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// Jittered exponential backoff: base * 2^attempt * [0.5, 1.5).
std::chrono::milliseconds backoff(std::chrono::milliseconds base, unsigned attempt) {
    const auto jitter = static_cast<unsigned char>(random_bytes(1)[0]);
    const double factor = (1u << std::min(attempt, 6u)) * (0.5 + jitter / 256.0);
    return std::chrono::milliseconds(static_cast<long>(static_cast<double>(base.count()) * factor));
}

}  // namespace

struct https_client::connection {
    connection(net::any_io_executor ex, ssl::context& ctx, std::size_t max_reply_bytes)
        : stream(ex, ctx), reader(max_reply_bytes) {}
    tls_stream stream;
    message_reader reader;  // bounded: a whole reply, 1xx included, within max_response_bytes
    steady::time_point last_used = steady::now();
    bool reused = false;
};

struct https_client::attempt_result {
    attempt_outcome outcome = attempt_outcome::fail;
    std::optional<upstream_response> response;
    bool reusable = false;
    failure why;
};

std::shared_ptr<ssl::context> make_client_tls_context(const std::optional<std::string>& ca_file) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx->native_handle(),
                     SSL_MODE_RELEASE_BUFFERS);  // pooled idle connections stay small
    ctx->set_verify_mode(ssl::verify_peer);
    if (ca_file)
        ctx->load_verify_file(*ca_file);
    else
        ctx->set_default_verify_paths();
    return ctx;
}

std::string host_header(const client_options& o) {
    const auto host = o.host.find(':') == std::string::npos ? o.host : "[" + o.host + "]";
    return o.port == "443" ? host : host + ":" + o.port;
}

https_client::https_client(net::io_context& ioc, client_options options,
                           std::shared_ptr<ssl::context> tls)
    : ioc_(ioc), options_(std::move(options)), tls_(std::move(tls)) {}

https_client::~https_client() = default;

std::size_t https_client::open_connections() const {
    std::lock_guard lock(mutex_);
    return open_;
}

std::size_t https_client::idle_connections() const {
    std::lock_guard lock(mutex_);
    return idle_.size();
}

bool https_client::on_home_context(const net::any_io_executor& ex) const noexcept {
    return &net::query(ex, net::execution::context) == static_cast<net::execution_context*>(&ioc_);
}

net::awaitable<result<upstream_response>> https_client::send(http::request<http::string_body> req,
                                                             bool idempotent) {
    req.set(http::field::host, host_header(options_));
    req.keep_alive(true);
    req.prepare_payload();
    std::string wire;
    transport::to_wire(req, wire);
    return send_wire(std::move(wire), idempotent);
}

net::awaitable<result<upstream_response>> https_client::send_wire(std::string wire, bool idempotent,
                                                                  attempt_hook before_attempt) {
    auto self = shared_from_this();
    if (!on_home_context(co_await net::this_coro::executor)) {
        // Called from another thread's context: run there, wait here.
        auto call = send_wire(std::move(wire), idempotent, std::move(before_attempt));
        co_return co_await net::co_spawn(ioc_, std::move(call), net::use_awaitable);
    }
    // The request may carry the API key: wiped when done, not left in freed memory.
    struct wipe_on_exit {
        std::string& s;
        ~wipe_on_exit() { OPENSSL_cleanse(s.data(), s.size()); }
    } wipe{wire};
    // Every attempt after the first counts, whatever made it fail (a stale
    // pooled connection included): max_retries bounds what the upstream sees.
    unsigned retries = 0;
    bool fresh_only = false;
    net::steady_timer pause(co_await net::this_coro::executor);
    for (;;) {
        failure why;
        auto c = co_await acquire(why, fresh_only);
        attempt_result r;
        if (!c) {
            // Nothing was written: a failed connect is safe to retry for any request.
            r.outcome = why.code == errc::upstream_unavailable ? attempt_outcome::retry_backoff
                                                               : attempt_outcome::fail;
            r.why = why;
        } else {
            auto conn = *c;
            if (before_attempt) before_attempt(wire);
            r = co_await attempt(conn, wire, idempotent);
            release(conn, r.reusable);
        }
        if (r.outcome == attempt_outcome::reply) {
            const auto status = r.response->status;
            const bool transient = status == 502 || status == 503 || status == 504;
            if (!(transient && idempotent && retries < options_.max_retries))
                co_return std::move(*r.response);
        } else if (r.outcome == attempt_outcome::fail || retries >= options_.max_retries) {
            co_return r.why;
        }
        ++retries;
        // A pooled connection the upstream had closed: the next attempt goes
        // on a new connection at once (the others in the pool may be as old).
        fresh_only = r.outcome == attempt_outcome::retry_fresh;
        if (fresh_only) continue;
        pause.expires_after(backoff(options_.backoff_base, retries - 1));
        co_await pause.async_wait(nothrow_awaitable);
    }
}

std::shared_ptr<https_client::connection> https_client::take_idle(bool fresh_only) {
    while (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        const auto idle = steady::now() - c->last_used;
        if (!fresh_only && idle < options_.idle_timeout && !c->reader.has_leftover(c->stream) &&
            still_open(c->stream))
            return c;
        --open_;  // closed by the upstream, bytes waiting on it, or idle so long it may close any
                  // moment
        if (fresh_only) break;  // one dropped: its slot is used for the new connection
    }
    return nullptr;
}

net::awaitable<std::optional<std::shared_ptr<https_client::connection>>> https_client::acquire(
    failure& why, bool fresh_only) {
    for (;;) {
        std::shared_ptr<connection> reuse;
        std::shared_ptr<net::steady_timer> wait;
        bool reserve = false;
        {
            std::lock_guard lock(mutex_);
            reuse = take_idle(fresh_only);
            if (!reuse && open_ < options_.max_connections) {
                ++open_;
                reserve = true;
            } else if (!reuse) {
                if (waiters_.size() >= options_.max_waiters) {
                    why = failure{errc::overloaded, "upstream connection pool and wait queue full"};
                    co_return std::nullopt;
                }
                wait = std::make_shared<net::steady_timer>(co_await net::this_coro::executor);
                wait->expires_after(options_.request_timeout);
                waiters_.push_back(wait);
            }
        }
        if (reuse) {
            reuse->reused = true;
            co_return reuse;
        }
        if (reserve) {
            auto fresh = std::make_shared<connection>(ioc_.get_executor(), *tls_,
                                                      options_.max_response_bytes);
            auto problem = co_await connect_on(fresh);
            if (!problem) co_return fresh;
            {
                std::lock_guard lock(mutex_);
                --open_;
            }
            wake_one_waiter();
            why = *problem;
            co_return std::nullopt;
        }
        auto [ec] = co_await wait->async_wait(nothrow_awaitable);
        if (ec != net::error::operation_aborted) {
            std::lock_guard lock(mutex_);
            waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), wait), waiters_.end());
            why = failure{errc::overloaded, "no upstream connection became free in time"};
            co_return std::nullopt;
        }
    }
}

net::awaitable<std::optional<failure>> https_client::connect_tcp(connection& c,
                                                                 const std::string& host,
                                                                 const std::string& port,
                                                                 const std::string& what) {
    auto& lowest = beast::get_lowest_layer(c.stream);
    const auto name = what.empty() ? host : what + " " + host;
    // Resolve (asynchronously: Asio runs getaddrinfo off the io threads)
    tcp::resolver resolver(ioc_);
    auto [rec, endpoints] = co_await resolver.async_resolve(host, port, nothrow_awaitable);
    if (rec)
        co_return failure{errc::upstream_unavailable,
                          "cannot resolve " + name + ": " + rec.message()};
    auto [cec, ep] = co_await lowest.async_connect(endpoints, nothrow_awaitable);
    if (cec)
        co_return failure{errc::upstream_unavailable,
                          "cannot connect to " + name + ": " + cec.message()};
    lowest.socket().set_option(tcp::no_delay(true));
    co_return std::nullopt;
}

net::awaitable<std::optional<failure>> https_client::open_tunnel(connection& c) {
    const auto& proxy = *options_.proxy;
    const auto where = "egress proxy " + proxy.host + ":" + proxy.port;
    const auto t = co_await transport::open_connect_tunnel(beast::get_lowest_layer(c.stream),
                                                           options_.host, options_.port);
    switch (t.outcome) {
        case transport::tunnel_outcome::open:
            co_return std::nullopt;
        case transport::tunnel_outcome::refused:
            co_return failure{errc::upstream_error, where + " refused the tunnel to " +
                                                        options_.host + " with status " +
                                                        std::to_string(t.status)};
        case transport::tunnel_outcome::malformed:
            co_return failure{errc::upstream_error, where + " sent an unreadable answer"};
        case transport::tunnel_outcome::bad_origin:
            co_return failure{errc::upstream_error, "host name unusable in a tunnel request"};
        case transport::tunnel_outcome::no_answer:
            break;
    }
    co_return failure{errc::upstream_unavailable, where + " did not answer the tunnel request"};
}

net::awaitable<std::optional<failure>> https_client::connect_on(std::shared_ptr<connection> c) {
    auto& lowest = beast::get_lowest_layer(c->stream);
    // One deadline for reaching the origin: proxy, tunnel and handshake together.
    lowest.expires_at(steady::now() + options_.connect_timeout);
    if (options_.proxy) {
        // The proxy resolves the origin's name: egress networks often
        // resolve public names only there.
        if (auto problem = co_await connect_tcp(*c, options_.proxy->host, options_.proxy->port,
                                                "egress proxy"))
            co_return problem;
        if (auto problem = co_await open_tunnel(*c)) co_return problem;
    } else if (auto problem = co_await connect_tcp(*c, options_.host, options_.port, "")) {
        co_return problem;
    }
    // Handshake, with SNI and the host name checked against the certificate
    if (!SSL_set_tlsext_host_name(c->stream.native_handle(), options_.host.c_str()))
        co_return failure{errc::upstream_error, "cannot set SNI"};
    // The certificate must name the host (checked by OpenSSL during verification).
    if (!SSL_set1_host(c->stream.native_handle(), options_.host.c_str()))
        co_return failure{errc::upstream_error, "cannot set the expected host name"};
    auto [hec] = co_await c->stream.async_handshake(tls_stream::client, nothrow_awaitable);
    if (hec && is_certificate_failure(hec))
        co_return failure{errc::upstream_error,
                          "upstream certificate verification failed for " + options_.host};
    if (hec)
        co_return failure{errc::upstream_unavailable,
                          "TLS handshake with " + options_.host + " failed: " + hec.message()};
    co_return std::nullopt;
}

net::awaitable<https_client::attempt_result> https_client::attempt(std::shared_ptr<connection> c,
                                                                   const std::string& wire,
                                                                   bool idempotent) {
    attempt_result r;
    auto& lowest = beast::get_lowest_layer(c->stream);
    const auto deadline = steady::now() + options_.request_timeout;
    // Write the request
    lowest.expires_at(deadline);
    auto [wec, wn] = co_await net::async_write(c->stream, net::buffer(wire), nothrow_awaitable);
    if (wec) {
        // A failed write never produced a request the upstream could act on.
        r.why = failure{errc::upstream_unavailable, "upstream write failed: " + wec.message()};
        r.outcome = c->reused ? attempt_outcome::retry_fresh : attempt_outcome::retry_backoff;
        co_return r;
    }
    // Read the reply
    lowest.expires_at(deadline);
    co_return co_await read_reply(std::move(c), idempotent);
}

net::awaitable<https_client::attempt_result> https_client::read_reply(std::shared_ptr<connection> c,
                                                                      bool idempotent) {
    attempt_result r;
    std::optional<reply_parser> parser;
    const transport::reply_limits limits{
        static_cast<std::uint32_t>(std::min<std::size_t>(64 * 1024, options_.max_response_bytes)),
        options_.max_response_bytes};
    // The attempt's deadline, set just before, bounds all the reads together.
    const auto rec = co_await transport::read_final_reply(c->stream, c->reader, parser, limits);
    if (rec == beast::error::timeout) {
        r.why = failure{errc::upstream_timeout, "no upstream reply within the request timeout"};
        co_return r;  // never retried: the upstream may still be working on it
    }
    if (rec == http::error::body_limit || rec == http::error::header_limit) {
        r.why = failure{errc::upstream_error, "upstream reply over the size limit"};
        co_return r;
    }
    if (rec == http::error::bad_status) {
        r.why = failure{errc::upstream_error, "upstream switched protocols"};
        co_return r;
    }
    if (rec) {
        const bool nothing_arrived = transport::nothing_arrived(c->reader);
        r.why = failure{errc::upstream_unavailable,
                        "upstream connection failed before a reply: " + rec.message()};
        if (nothing_arrived && c->reused && idempotent)
            r.outcome = attempt_outcome::retry_fresh;
        else if (nothing_arrived && idempotent)
            r.outcome = attempt_outcome::retry_backoff;
        if (!nothing_arrived)
            r.why = failure{errc::upstream_error, "incomplete upstream reply: " + rec.message()};
        co_return r;
    }
    upstream_response out;
    out.status = parser->status();
    out.retry_after = parse_retry_after(parser->retry_after());
    out.request_id = parser->request_id();
    out.body = std::move(parser->body());
    r.reusable = transport::reusable_after(*parser, c->reader, c->stream);
    r.response = std::move(out);
    r.outcome = attempt_outcome::reply;
    co_return r;
}

void https_client::release(std::shared_ptr<connection> c, bool reusable) {
    {
        std::lock_guard lock(mutex_);
        if (reusable) {
            c->last_used = steady::now();
            c->reader.shrink(16 * 1024);  // a large reply's buffer is not kept in the pool
            idle_.push_back(std::move(c));
        } else {
            --open_;
        }
    }
    wake_one_waiter();
}

void https_client::wake_one_waiter() {
    std::shared_ptr<net::steady_timer> waiter;
    {
        std::lock_guard lock(mutex_);
        if (waiters_.empty()) return;
        waiter = std::move(waiters_.front());
        waiters_.pop_front();
    }
    // The timer belongs to the waiter's context: cancel it there.
    net::post(waiter->get_executor(), [waiter] { waiter->cancel(); });
}

}  // namespace ckg::upstream
