// A TLS stream over a beast::tcp_stream that drives OpenSSL through a small
// custom BIO instead of asio::ssl::stream's engine. Why: asio's engine gives
// every connection two fixed 17 KiB vectors plus a 2 x 17 KiB BIO pair
// (~68 KiB resident per connection, whatever it is doing); here ciphertext
// passes through a 2 KiB read buffer (grown while large input streams in)
// and a write buffer that is empty between writes, and OpenSSL's own record
// buffers are released when idle (SSL_MODE_RELEASE_BUFFERS) — a few KiB per
// idle connection. Ciphertext is first sent with one non-blocking send; only
// what the socket does not take at once needs an asynchronous write.
// Timeouts stay beast::tcp_stream's: every wait is a read or write on the
// next layer, so `expires_after` on the lowest layer bounds it as before.
//
// Meets Beast's AsyncReadStream/AsyncWriteStream. One operation at a time
// (the service never reads and writes a connection concurrently). Errors
// use asio's conventions: OpenSSL failures in the ssl category (so
// certificate failures are recognisable), a peer that closes without
// close_notify is ssl::error::stream_truncated, close_notify is eof.
#pragma once

#include "chatkit_gateway/core/asio.hpp"

#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>
#include <utility>

namespace ckg::transport {

class tls_stream {
public:
    using next_layer_type = beast::tcp_stream;
    using executor_type = next_layer_type::executor_type;
    enum handshake_type { client, server };

    // Throws std::runtime_error when OpenSSL cannot allocate the session.
    tls_stream(tcp::socket socket, ssl::context& ctx);
    tls_stream(const executor_type& ex, ssl::context& ctx);
    ~tls_stream();
    tls_stream(const tls_stream&) = delete;
    tls_stream& operator=(const tls_stream&) = delete;

    executor_type get_executor() noexcept { return next_.get_executor(); }
    next_layer_type& next_layer() noexcept { return next_; }
    SSL* native_handle() noexcept { return ssl_; }
    // True when input is waiting inside this layer: decrypted bytes OpenSSL
    // holds, or received ciphertext not yet decrypted. A message reader
    // counts them as left over after a message (net/message_reader.hpp).
    bool has_buffered_input() const noexcept {
        return SSL_pending(ssl_) > 0 || in_filled_ > in_used_;
    }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return net::async_compose<Token, void(beast::error_code, std::size_t)>(
            read_op{*this, first_buffer(buffers)}, token, next_);
    }

    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return net::async_compose<Token, void(beast::error_code, std::size_t)>(
            write_op{*this, linearize(buffers)}, token, next_);
    }

    template <class Token>
    auto async_handshake(handshake_type type, Token&& token) {
        if (type == client)
            SSL_set_connect_state(ssl_);
        else
            SSL_set_accept_state(ssl_);
        return net::async_compose<Token, void(beast::error_code)>(handshake_op{*this}, token,
                                                                  next_);
    }

    // Sends close_notify; does not wait for the peer's.
    template <class Token>
    auto async_shutdown(Token&& token) {
        return net::async_compose<Token, void(beast::error_code)>(shutdown_op{*this}, token, next_);
    }

private:
    friend struct tls_stream_bio;
    // Ciphertext read per wait: small while requests are small (an idle
    // connection's pending read holds this much), doubled while reads fill
    // it (a large reply), back to small once the input is drained.
    static constexpr std::size_t min_read_chunk = 2048, max_read_chunk = 32 * 1024;
    static constexpr std::size_t max_record_plaintext = 16 * 1024;

    enum class step { done, want_read, failed };

    // One OpenSSL call's outcome: finished, needs more ciphertext, or failed.
    step classify(int ret, beast::error_code& ec);
    // SSL_get_error needs an empty error queue before each call. Looking is
    // cheap, clearing all sixteen slots is not, and the queue is almost
    // always empty already.
    static void clear_errors() noexcept {
        if (ERR_peek_error() != 0) ERR_clear_error();
    }
    // Ciphertext OpenSSL produced and not yet sent.
    bool has_output() const noexcept { return !out_.empty(); }
    net::const_buffer output() const noexcept { return net::buffer(out_); }
    void output_sent() noexcept;
    // The pending ciphertext went out, or the send failed with `send_ec`:
    // the error the operation reports (the send's, else the failure whose
    // alert was just sent), if any.
    beast::error_code output_done(const beast::error_code& send_ec) noexcept {
        output_sent();
        const auto pending = std::exchange(pending_error_, {});
        return send_ec ? send_ec : pending;
    }
    // Sends the pending ciphertext with one non-blocking send, now. True when
    // that settled it: all of it sent, or `ec` set by a failure. False when
    // the socket took only part (or nothing): the rest, still in output(),
    // needs an asynchronous write. Most replies and requests fit the socket
    // buffer, and then no write operation, deadline timer or reactor round
    // trip is spent on them.
    bool send_now(beast::error_code& ec);
    // Space for ciphertext from the peer, and how much arrived in it.
    net::mutable_buffer input_space();
    void input_received(std::size_t n) noexcept;
    void input_failed(beast::error_code& ec) const noexcept;

    template <class MutableBuffers>
    static net::mutable_buffer first_buffer(const MutableBuffers& buffers) {
        for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
             ++it)
            if (net::mutable_buffer b(*it); b.size() != 0) return b;
        return {};
    }

    // Small buffer sequences (HTTP header pieces and body) become one TLS
    // record instead of one per piece; larger ones go a record at a time.
    template <class ConstBuffers>
    net::const_buffer linearize(const ConstBuffers& buffers) {
        plain_.clear();
        const auto total = net::buffer_size(buffers);
        for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
             ++it)
            if (net::const_buffer b(*it); b.size() != 0) {
                if (b.size() == total) return b;  // a single buffer: written as it is
                break;
            }
        for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
             ++it) {
            net::const_buffer b(*it);
            if (b.size() == 0) continue;
            if (plain_.empty() && b.size() >= max_record_plaintext) return b;
            const auto room = max_record_plaintext - plain_.size();
            plain_.append(static_cast<const char*>(b.data()), std::min(room, b.size()));
            if (plain_.size() == max_record_plaintext) break;
        }
        return net::buffer(plain_);
    }

    // Runs `attempt` (an OpenSSL call) until it is done: sends what it
    // produced, reads ciphertext when it wants more. State shared by the ops.
    struct op_base {
        tls_stream& s;
        enum class at { start, sending, reading, finishing } where = at::start;
    };

    // The common loop of every operation; `attempt()` returns true once the
    // OpenSSL call succeeded (its result stored by the op).
    template <class Self, class Attempt, class Finish>
    static void drive(op_base& op, Self& self, beast::error_code ec, std::size_t n, Attempt attempt,
                      Finish finish) {
        auto& s = op.s;
        const bool first = op.where == op_base::at::start;
        switch (op.where) {
            case op_base::at::sending:
                if (const auto e = s.output_done(ec)) return finish(self, e);
                break;
            case op_base::at::reading:
                if (ec) {
                    s.input_failed(ec);
                    return finish(self, ec);
                }
                s.input_received(n);
                break;
            case op_base::at::finishing:
                return finish(self, ec);
            case op_base::at::start:
                break;
        }
        beast::error_code step_ec;
        auto outcome = attempt(step_ec);
        while (s.has_output()) {  // always flush what OpenSSL wrote (records, alerts, tickets)
            // A failure's alert is sent first; the error is reported after the write.
            if (outcome == step::failed) s.pending_error_ = step_ec;
            if (!s.send_now(ec)) {
                op.where = op_base::at::sending;
                return net::async_write(s.next_, s.output(), std::move(self));
            }
            // Settled at once: no write operation was needed.
            if (const auto e = s.output_done(ec)) {
                outcome = step::failed;
                step_ec = e;
                break;
            }
            outcome = attempt(step_ec);
        }
        if (outcome == step::want_read) {
            op.where = op_base::at::reading;
            return s.next_.async_read_some(s.input_space(), std::move(self));
        }
        ec = outcome == step::failed ? step_ec : beast::error_code{};
        if (first) {
            // Never complete inside the initiating call (asio's rule): defer.
            op.where = op_base::at::finishing;
            s.deferred_error_ = ec;
            return net::post(s.next_.get_executor(), std::move(self));
        }
        finish(self, ec);
    }

    struct read_op : op_base {
        net::mutable_buffer buffer;
        std::size_t got = 0;
        bool finished = false;
        read_op(tls_stream& s, net::mutable_buffer b) : op_base{s}, buffer(b) {}
        template <class Self>
        void operator()(Self& self, beast::error_code ec = {}, std::size_t n = 0) {
            if (where == at::finishing) ec = std::exchange(s.deferred_error_, {});
            auto attempt = [this](beast::error_code& e) {
                if (buffer.size() == 0 || finished) return step::done;
                s.clear_errors();
                const auto r =
                    s.classify(SSL_read_ex(s.ssl_, buffer.data(), buffer.size(), &got), e);
                finished = r == step::done;
                return r;
            };
            auto finish = [this](Self& me, beast::error_code e) { me.complete(e, e ? 0 : got); };
            drive(*this, self, ec, n, attempt, finish);
        }
    };

    struct write_op : op_base {
        net::const_buffer buffer;
        std::size_t written = 0;
        write_op(tls_stream& s, net::const_buffer b) : op_base{s}, buffer(b) {}
        template <class Self>
        void operator()(Self& self, beast::error_code ec = {}, std::size_t n = 0) {
            if (where == at::finishing) ec = std::exchange(s.deferred_error_, {});
            auto attempt = [this](beast::error_code& e) {
                if (buffer.size() == 0 || written != 0) return step::done;
                s.clear_errors();
                return s.classify(SSL_write_ex(s.ssl_, buffer.data(), buffer.size(), &written), e);
            };
            auto finish = [this](Self& me, beast::error_code e) {
                me.complete(e, e ? 0 : written);
            };
            drive(*this, self, ec, n, attempt, finish);
        }
    };

    struct handshake_op : op_base {
        bool finished = false;
        explicit handshake_op(tls_stream& s) : op_base{s} {}
        template <class Self>
        void operator()(Self& self, beast::error_code ec = {}, std::size_t n = 0) {
            if (where == at::finishing) ec = std::exchange(s.deferred_error_, {});
            auto attempt = [this](beast::error_code& e) {
                if (finished) return step::done;
                s.clear_errors();
                const auto r = s.classify(SSL_do_handshake(s.ssl_), e);
                finished = r == step::done;
                return r;
            };
            auto finish = [](Self& me, beast::error_code e) { me.complete(e); };
            drive(*this, self, ec, n, attempt, finish);
        }
    };

    struct shutdown_op : op_base {
        bool sent = false;
        explicit shutdown_op(tls_stream& s) : op_base{s} {}
        template <class Self>
        void operator()(Self& self, beast::error_code ec = {}, std::size_t n = 0) {
            if (where == at::finishing) ec = std::exchange(s.deferred_error_, {});
            auto attempt = [this](beast::error_code&) {
                if (!sent) {
                    s.clear_errors();
                    SSL_shutdown(s.ssl_);  // queues close_notify; the peer's is not awaited
                    sent = true;
                }
                return step::done;
            };
            auto finish = [](Self& me, beast::error_code e) { me.complete(e); };
            drive(*this, self, ec, n, attempt, finish);
        }
    };

    void attach(ssl::context& ctx);

    next_layer_type next_;
    SSL* ssl_ = nullptr;
    std::string in_;           // ciphertext received, not yet consumed by OpenSSL
    std::size_t in_used_ = 0;  // how much of in_ OpenSSL consumed
    std::size_t in_filled_ = 0;
    std::size_t read_chunk_ = min_read_chunk;  // the next read's size
    std::string out_;                          // ciphertext produced, not yet sent
    std::string plain_;                        // a linearized write
    beast::error_code pending_error_, deferred_error_;
};

}  // namespace ckg::transport
