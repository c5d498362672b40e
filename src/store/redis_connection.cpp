#include "chatkit_gateway/store/redis_connection.hpp"

#include "chatkit_gateway/core/random.hpp"
#include "chatkit_gateway/net/tls_stream.hpp"
#include "chatkit_gateway/observability/logger.hpp"
#include "chatkit_gateway/observability/redaction.hpp"
#include "chatkit_gateway/store/redis_replies.hpp"
#include "chatkit_gateway/store/resp_reader.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/write.hpp>

#include <openssl/x509v3.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace ckg::store {
namespace {

using steady = std::chrono::steady_clock;
using observability::log_info;

// A server's refusal of a handshake command: the command refused, and the
// reply as it may be logged (its error code alone once AUTH was sent).
std::string handshake_refusal(std::string_view command, std::string_view text,
                              const std::optional<ckg::secret>& password) {
    std::string detail = "redis refused ";
    detail.append(command).append(" (").append(redis_error_for_log(text, password));
    detail += ')';
    return detail;
}
using observability::log_warn;

constexpr std::chrono::milliseconds first_backoff{100};
constexpr std::chrono::milliseconds max_backoff{5000};
// A connection up at least this long before it ended resets the backoff and
// may be made again at once; one a server ends sooner (say right after each
// handshake) keeps the backoff growing.
constexpr std::chrono::seconds stable_after{1};
constexpr std::size_t read_chunk = 16 * 1024;

// Connecting (TCP, TLS, AUTH, SELECT) may take longer than one round trip.
std::chrono::milliseconds connect_budget(std::chrono::milliseconds timeout) {
    return std::max(timeout * 4, std::chrono::milliseconds(1000));
}

// Between half and all of `delay`, so that replicas do not reconnect in step.
std::chrono::milliseconds jittered(std::chrono::milliseconds delay) {
    unsigned char r = 0;
    random_fill(&r, 1);
    return delay / 2 + delay * r / 512;
}

}  // namespace

std::string redis_error_for_log(std::string_view text, const std::optional<ckg::secret>& password) {
    if (password) return std::string(redis_error_code_of(text));
    return observability::redact_for_log(text, 200);
}

struct redis_connection::pending {
    pending(net::io_context& ioc, std::string w) : wire(std::move(w)), done(ioc) {}
    std::string wire;
    net::steady_timer done;  // cancelled when `reply` is set
    std::optional<result<resp_value>> reply;
    std::size_t replies_left = 1;           // of the commands in `wire`
    std::optional<resp_value> first_error;  // among the replies before the last

    void complete(result<resp_value> r) {
        reply = std::move(r);
        done.cancel();
    }
};

redis_connection::redis_connection(net::io_context& ioc, redis_options options)
    : ioc_(ioc),
      options_(std::move(options)),
      wake_(ioc),
      backoff_(ioc),
      pace_(ioc),
      chunk_(read_chunk, '\0'),
      warnings_(options_.warnings ? options_.warnings
                                  : std::make_shared<observability::warning_throttle>()) {}

redis_connection::~redis_connection() = default;

void redis_connection::start() {
    if (state_ != state::idle) return;
    state_ = state::connecting;
    net::co_spawn(ioc_, run(shared_from_this()), net::detached);
}

void redis_connection::stop() {
    state_ = state::stopped;
    drop("stopped");
    backoff_.cancel();
}

net::awaitable<result<resp_value>> redis_connection::call(std::string commands,
                                                          std::size_t replies) {
    // While a connection Redis closed when idle is made again (at once), a
    // call waits for it within its timeout; otherwise, not connected, it
    // fails at once rather than wait out an outage's backoff.
    const bool coming = state_ == state::connecting && reconnecting_at_once_;
    if (!coming && (state_ != state::ready || broken_))
        co_return failure{errc::store_unavailable, "redis not connected"};
    auto p = std::make_shared<pending>(ioc_, std::move(commands));
    p->replies_left = std::max<std::size_t>(replies, 1);
    p->done.expires_after(options_.timeout);
    to_send_.push_back(p);
    wake_.cancel();
    co_await p->done.async_wait(nothrow_awaitable);
    if (p->reply) co_return std::move(*p->reply);
    // Later replies would come out of step with their callers: start afresh.
    drop("round trip timed out");
    co_return failure{errc::store_unavailable, "redis round trip timed out"};
}

void redis_connection::fail_all(const std::string& why) {
    auto sent = std::move(awaiting_);
    auto queued = std::move(to_send_);
    awaiting_.clear();
    to_send_.clear();
    for (auto& p : sent) p->complete(failure{errc::store_unavailable, "redis " + why});
    for (auto& p : queued) p->complete(failure{errc::store_unavailable, "redis " + why});
}

void redis_connection::drop(const std::string& why) {
    if (!broken_) drop_reason_ = why;  // the first is the cause; later ones follow from it
    if (!broken_ && tcp_ != nullptr) {
        beast::error_code ignored;
        tcp_->socket().close(ignored);  // ends any read or write in progress
    }
    broken_ = true;
    fail_all(why);
    wake_.cancel();
    pace_.cancel();
}

net::awaitable<std::optional<failure>> redis_connection::connect(beast::tcp_stream& tcp) {
    tcp::resolver resolver(ioc_);
    auto [rec, endpoints] =
        co_await resolver.async_resolve(options_.host, options_.port, nothrow_awaitable);
    if (rec)
        co_return failure{errc::store_unavailable,
                          "cannot resolve " + options_.host + ": " + rec.message()};
    tcp.expires_after(connect_budget(options_.timeout));
    auto [cec, ep] = co_await tcp.async_connect(endpoints, nothrow_awaitable);
    if (cec)
        co_return failure{errc::store_unavailable,
                          "cannot connect to " + options_.host + ": " + cec.message()};
    tcp.socket().set_option(tcp::no_delay(true));
    // From here on the callers' own deadlines (timeout_ms) bound every wait.
    tcp.expires_never();
    co_return std::nullopt;
}

// AUTH and SELECT, pipelined, before any caller's command, then a PING:
// its reply comes after anything the server sent on its own once the
// handshake was done, so afterwards all input is replies to our commands.
template <class Stream>
net::awaitable<std::optional<failure>> redis_connection::hello(Stream& stream) {
    std::string wire;
    std::vector<std::string_view> sent;  // the commands whose replies are awaited, in order
    if (options_.password) {
        append_command(wire, {"AUTH", options_.password->reveal()});
        sent.push_back("AUTH");
    }
    if (options_.db != 0) {
        append_command(wire, {"SELECT", std::to_string(options_.db)});
        sent.push_back("SELECT");
    }
    append_command(wire, {"PING"});
    sent.push_back("PING");
    std::size_t expected = sent.size();
    auto& lowest = beast::get_lowest_layer(stream);
    lowest.expires_after(connect_budget(options_.timeout));
    auto [wec, written] = co_await net::async_write(stream, net::buffer(wire), nothrow_awaitable);
    if (wec)
        co_return failure{errc::store_unavailable,
                          "redis handshake write failed: " + wec.message()};
    while (expected > 0) {
        lowest.expires_after(connect_budget(options_.timeout));
        auto [rec, n] = co_await stream.async_read_some(net::buffer(chunk_), nothrow_awaitable);
        if (rec || !reader_->feed(chunk_.data(), n))
            co_return failure{errc::store_unavailable, "redis handshake read failed"};
        resp_value v;
        resp_reader::status st;
        while (expected > 0 && (st = reader_->next(v)) == resp_reader::status::reply) {
            if (v.is_error())
                co_return failure{
                    errc::store_unavailable,
                    handshake_refusal(sent[sent.size() - expected], v.text, options_.password)};
            --expected;
        }
        if (expected > 0 && st == resp_reader::status::error)
            co_return failure{errc::store_unavailable, "redis handshake reply unreadable"};
    }
    if (holds_unasked_input(stream))
        co_return failure{errc::store_unavailable, "redis sent more than the handshake asked for"};
    lowest.expires_never();
    co_return std::nullopt;
}

template <class Stream>
net::awaitable<bool> redis_connection::read_replies(Stream& stream) {
    auto [ec, n] = co_await stream.async_read_some(net::buffer(chunk_), nothrow_awaitable);
    if (broken_) co_return false;
    if (ec) {
        drop("connection lost: " + ec.message());
        co_return false;
    }
    if (!reader_->feed(chunk_.data(), n)) {
        drop("reply too large");
        co_return false;
    }
    for (;;) {
        resp_value v;
        const auto st = reader_->next(v);
        if (st == resp_reader::status::need_more) co_return true;
        if (st == resp_reader::status::error || awaiting_.empty()) {
            drop("sent an unreadable or unexpected reply");
            co_return false;
        }
        auto& front = *awaiting_.front();
        if (--front.replies_left > 0) {
            if (v.is_error() && !front.first_error) front.first_error = std::move(v);
            continue;
        }
        auto p = std::move(awaiting_.front());
        awaiting_.pop_front();
        p->complete(p->first_error ? std::move(*p->first_error) : std::move(v));
    }
}

namespace {
bool layer_holds_input(const beast::tcp_stream&) {
    return false;
}
bool layer_holds_input(const transport::tls_stream& s) {
    return s.has_buffered_input();
}
}  // namespace

// Input while no reply is awaited: bytes the reader keeps, in the TLS layer
// or in the kernel. Matched by order, they would answer the next command.
template <class Stream>
bool redis_connection::holds_unasked_input(Stream& stream) const {
    if (reader_->buffered() > 0 || layer_holds_input(stream)) return true;
    beast::error_code ec;
    const auto waiting = beast::get_lowest_layer(stream).socket().available(ec);
    return ec || waiting > 0;
}

// The I/O loop: queued commands go out in one write, at most one per
// min_write_interval; replies are read while any are awaited; otherwise it
// sleeps until call() wakes it.
template <class Stream>
net::awaitable<void> redis_connection::serve(Stream& stream) {
    state_ = state::ready;
    ready_since_ = steady::now();
    reconnecting_at_once_ = false;
    while (!broken_) {
        const bool paced = steady::now() < last_write_ + options_.min_write_interval;
        if (!to_send_.empty() && awaiting_.empty() && holds_unasked_input(stream)) {
            drop("sent a reply nothing asked for");
        } else if (!to_send_.empty() && !paced) {
            last_write_ = steady::now();
            std::string batch;
            for (auto& p : to_send_) {
                batch += p->wire;
                awaiting_.push_back(std::move(p));
            }
            to_send_.clear();
            auto [ec, n] = co_await net::async_write(stream, net::buffer(batch), nothrow_awaitable);
            if (ec && !broken_) drop("write failed: " + ec.message());
        } else if (!awaiting_.empty()) {
            co_await read_replies(stream);
        } else if (!to_send_.empty()) {
            // Paced, no reply due: what comes meanwhile goes in the same write.
            pace_.expires_at(last_write_ + options_.min_write_interval);
            co_await pace_.async_wait(nothrow_awaitable);
        } else {
            co_await wait_idle(beast::get_lowest_layer(stream).socket());
        }
    }
}

// Idle: waits until call() wakes the loop, watching the socket meanwhile.
// Nothing is asked, so a readable socket is Redis closing the connection
// (its idle `timeout`, a restart) or sending what nothing asked for: either
// way it is dropped now and made again in the background, before a caller
// needs it, rather than failing the next call.
net::awaitable<void> redis_connection::wait_idle(tcp::socket& socket) {
    const auto watch = ++idle_watch_;
    socket.async_wait(tcp::socket::wait_read,
                      [self = shared_from_this(), watch](const beast::error_code& ec) {
                          if (ec || self->idle_watch_ != watch) return;
                          self->idle_readable_ = true;
                          self->wake_.cancel();
                      });
    wake_.expires_after(options_.idle_check);
    auto [woken] = co_await wake_.async_wait(nothrow_awaitable);
    ++idle_watch_;  // a wait that completes from here on is not this idle period's
    if (idle_readable_) {
        idle_readable_ = false;
        beast::error_code ec;
        const bool bytes = socket.available(ec) > 0;
        closed_while_idle_ = !bytes && !ec;
        drop(closed_while_idle_ ? "closed by redis while idle"
                                : "sent what nothing asked for while idle");
        co_return;
    }
    beast::error_code ignored;
    socket.cancel(ignored);                         // only the watch is pending on it now
    if (!woken && to_send_.empty()) check_alive();  // idle_check passed without a call
}

// A PING as any caller's command: its round trip's timeout drops a
// connection whose peer is gone without a word, and it is made again at
// once (run(): the check is still pending when the connection ends).
void redis_connection::check_alive() {
    std::string ping;
    append_command(ping, {"PING"});
    idle_check_pending_ = true;
    net::co_spawn(
        ioc_,
        [self = shared_from_this(), ping = std::move(ping)]() mutable -> net::awaitable<void> {
            if ((co_await self->call(std::move(ping))).ok()) self->idle_check_pending_ = false;
        },
        net::detached);
}

// One connected socket's life: handshakes, then the I/O loop until it breaks.
template <class Stream>
net::awaitable<std::optional<failure>> redis_connection::session(Stream& stream) {
    auto failed = co_await hello(stream);
    if (!failed) co_await serve(stream);
    drop(failed ? failed->detail : "connection closed");  // while `stream` still exists
    co_return failed;
}

net::awaitable<std::optional<failure>> redis_connection::tls_session(beast::tcp_stream& tcp) {
    transport::tls_stream tls(tcp.release_socket(), *options_.tls);
    tcp_ = &tls.next_layer();
    auto failed = co_await tls_handshake(tls);
    if (!failed) failed = co_await session(tls);
    drop(failed ? failed->detail : "connection closed");
    tcp_ = nullptr;
    co_return failed;
}

net::awaitable<void> redis_connection::run(std::shared_ptr<redis_connection> self) {
    auto delay = first_backoff;
    while (self->state_ != state::stopped) {
        self->state_ = state::connecting;
        self->broken_ = false;
        self->reader_ = std::make_unique<resp_reader>(self->options_.max_reply_bytes,
                                                      self->options_.max_reply_elements);
        beast::tcp_stream tcp(self->ioc_);
        self->tcp_ = &tcp;
        auto failed = co_await self->connect(tcp);
        // if/else, not ?: with co_await in both arms (g++ 12 miscompiles that).
        if (!failed && self->options_.tls)
            failed = co_await self->tls_session(tcp);
        else if (!failed)
            failed = co_await self->session(tcp);
        self->drop(failed ? failed->detail : "connection closed");
        self->tcp_ = nullptr;
        if (self->state_ == state::stopped) break;
        self->state_ = state::connecting;
        self->reconnecting_at_once_ = false;  // calls fail at once again, unless set below
        const auto up_since = std::exchange(self->ready_since_, steady::time_point{});
        const bool stable =
            up_since != steady::time_point{} && steady::now() - up_since >= stable_after;
        if (stable) delay = first_backoff;  // it was up a while: try again soon
        // No call failed when Redis closed an idle connection (it ends idle
        // clients when its `timeout` is set): info, not a warning. Both at
        // most once a second, however often a server closes.
        const bool idle_close = std::exchange(self->closed_while_idle_, false) && stable;
        // A stable connection whose idle check failed: its peer is gone, not
        // refusing us; made again at once too, but with a warning.
        const bool check_failed = std::exchange(self->idle_check_pending_, false) && stable;
        if (self->warnings_->allow_now()) {
            if (idle_close)
                log_info("redis closed an idle connection; reconnecting", {});
            else
                log_warn("redis connection down; reconnecting",
                         {{"reason", failed ? failed->detail : self->drop_reason_},
                          {"retry_ms", check_failed ? 0 : delay.count()}});
        }
        if (idle_close || check_failed) {
            // A stable connection Redis ended while idle, or whose idle check
            // failed: made again now, and calls meanwhile wait for it (call()).
            self->reconnecting_at_once_ = true;
            continue;
        }
        self->backoff_.expires_after(jittered(delay));
        co_await self->backoff_.async_wait(nothrow_awaitable);
        delay = std::min(delay * 2, max_backoff);
    }
}

net::awaitable<std::optional<failure>> redis_connection::tls_handshake(transport::tls_stream& tls) {
    SSL* ssl = tls.native_handle();
    boost::system::error_code not_ip;
    net::ip::make_address(options_.host, not_ip);
    // The certificate must name the host (checked by OpenSSL during verification).
    const bool named =
        not_ip ? SSL_set_tlsext_host_name(ssl, options_.host.c_str()) == 1 &&
                     SSL_set1_host(ssl, options_.host.c_str()) == 1
               : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), options_.host.c_str()) == 1;
    if (!named)
        co_return failure{errc::store_unavailable, "cannot set the expected redis host name"};
    tls.next_layer().expires_after(connect_budget(options_.timeout));
    auto [ec] = co_await tls.async_handshake(transport::tls_stream::client, nothrow_awaitable);
    if (ec)
        co_return failure{errc::store_unavailable,
                          "TLS handshake with redis failed: " + ec.message()};
    tls.next_layer().expires_never();
    co_return std::nullopt;
}

}  // namespace ckg::store
