// One connection to Redis on one io_context, on the gateway's own Asio
// stack (plain TCP, or our TLS stream for rediss:// with the certificate
// and host name checked). Commands from any coroutine of that context are
// pipelined: queued commands go out in one write, replies are matched in
// order. RESP is parsed by resp_reader (hiredis's reader over our bytes).
//
// Never blocks and never waits for Redis at start: while not connected a
// call fails at once (a store error) and the connection is re-established
// in the background with jittered exponential backoff. Each call waits at
// most `timeout`; a timeout drops the connection (its replies would come
// out of step) and fails every call in flight. Replies are matched to
// commands by order alone, so a connection that holds input while no reply
// is awaited (a reply nobody asked for) is dropped before the next command
// goes out, and the handshake ends with a PING so that nothing the server
// sends after the TLS handshake (session tickets) is mistaken for that.
// While idle it watches the socket, so a connection Redis closes (its idle
// `timeout`, a restart) is made again at once, and calls made meanwhile wait
// for it. The backoff resets only after a connection that stayed up a
// second: a server that ends each connection right away meets a growing one.
//
// All members must be used on the connection's own context.
#pragma once

#include "chatkit_gateway/core/asio.hpp"
#include "chatkit_gateway/core/result.hpp"
#include "chatkit_gateway/core/secret.hpp"
#include "chatkit_gateway/observability/warning_throttle.hpp"
#include "chatkit_gateway/store/resp_value.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace ckg::transport {
class tls_stream;
}

namespace ckg::store {

class resp_reader;

struct redis_options {
    std::string host;
    std::string port = "6379";
    unsigned db = 0;
    std::optional<ckg::secret> password;
    std::shared_ptr<ssl::context> tls;  // set for rediss://
    std::chrono::milliseconds timeout{250};
    // The largest reply any command of ours gets is one user's live
    // sessions (two elements a session; the block set is read a page at a
    // time); above these a reply is refused and the connection dropped.
    // Each element costs about 80 bytes parsed, so the element cap bounds a
    // reply at about 20 MiB whatever its bytes (2^18 elements: 131,071 live
    // sessions of one user; docs/operations.md).
    std::size_t max_reply_bytes = 8 << 20;
    std::size_t max_reply_elements = 1 << 18;
    // A connection writes at most once per this interval: commands made
    // sooner after a write wait for the rest of it and go out together.
    // A write, its replies' read and the wake-ups on both sides cost more
    // CPU than the few commands each carried, so under load this saves
    // both the gateway and Redis CPU per mint, for at most this much more
    // time per round trip; a command after a quiet interval goes at once
    // (docs/operations.md, "The client").
    std::chrono::microseconds min_write_interval{1000};
    // A connection idle this long sends a PING: one whose peer went away
    // without a word (a lost route, a proxy or NAT entry gone) fails that
    // PING's round trip and is made again in the background, instead of
    // failing the next caller's command (docs/operations.md, "The client").
    std::chrono::milliseconds idle_check{5000};
    // Shared by the connections of one process: at most one reconnect
    // warning a second in all (unset: one per connection).
    std::shared_ptr<observability::warning_throttle> warnings;
};

// A Redis error reply as it may be logged: with a password configured
// (sent with AUTH) only its error code (redis_error_code_of), since a
// server echoing the password could change it in ways no scrubbing finds
// (reversed, encoded, cut in short pieces); without one, its text, scrubbed
// as any peer text (docs/operations.md, "Secrets in logs").
std::string redis_error_for_log(std::string_view text, const std::optional<ckg::secret>& password);

class redis_connection : public std::enable_shared_from_this<redis_connection> {
public:
    redis_connection(net::io_context& ioc, redis_options options);
    ~redis_connection();

    // Starts connecting in the background; returns at once.
    void start();
    // Closes the connection and stops reconnecting.
    void stop();

    // Sends `replies` RESP-encoded commands, one after the other in
    // `commands` (written together: no other caller's command comes between
    // them), and waits for their replies: the first error reply among them,
    // else the last reply (a Redis error reply is a value, not a failure).
    // Failure: not connected, lost connection, timeout, unreadable reply.
    net::awaitable<result<resp_value>> call(std::string commands, std::size_t replies = 1);
    bool connected() const noexcept { return state_ == state::ready && !broken_; }
    net::io_context::executor_type get_executor() const noexcept { return ioc_.get_executor(); }

private:
    struct pending;
    enum class state { idle, connecting, ready, stopped };

    static net::awaitable<void> run(std::shared_ptr<redis_connection> self);
    net::awaitable<std::optional<failure>> connect(beast::tcp_stream& tcp);
    net::awaitable<std::optional<failure>> tls_handshake(transport::tls_stream& tls);
    template <class Stream>
    net::awaitable<std::optional<failure>> hello(Stream& stream);
    template <class Stream>
    net::awaitable<void> serve(Stream& stream);
    template <class Stream>
    net::awaitable<std::optional<failure>> session(Stream& stream);
    net::awaitable<std::optional<failure>> tls_session(beast::tcp_stream& tcp);
    template <class Stream>
    net::awaitable<bool> read_replies(Stream& stream);
    template <class Stream>
    bool holds_unasked_input(Stream& stream) const;
    net::awaitable<void> wait_idle(tcp::socket& socket);
    void check_alive();
    void drop(const std::string& why);
    void fail_all(const std::string& why);

    net::io_context& ioc_;
    redis_options options_;
    state state_ = state::idle;
    bool broken_ = false;
    beast::tcp_stream* tcp_ = nullptr;  // the live socket, for drop()
    net::steady_timer wake_;            // the I/O loop waits here when idle
    net::steady_timer backoff_;
    net::steady_timer pace_;  // waits out min_write_interval
    std::chrono::steady_clock::time_point last_write_{};
    std::deque<std::shared_ptr<pending>> to_send_, awaiting_;
    std::uint64_t idle_watch_ = 0;     // numbers each idle period's socket watch
    bool idle_readable_ = false;       // the watch saw the socket readable
    bool closed_while_idle_ = false;   // the last drop was that: no call failed
    bool idle_check_pending_ = false;  // a PING of check_alive() not answered yet
    std::string drop_reason_;          // why the connection last ended, for the log
    std::chrono::steady_clock::time_point ready_since_{};  // unset: not up
    bool reconnecting_at_once_ = false;                    // after a stable connection's idle close
    std::unique_ptr<resp_reader> reader_;
    std::string chunk_;  // what one read takes from the socket
    std::shared_ptr<observability::warning_throttle> warnings_;
};

}  // namespace ckg::store
