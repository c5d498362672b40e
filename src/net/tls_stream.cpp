#include "chatkit_gateway/net/tls_stream.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <algorithm>

#include <cstring>
#include <stdexcept>

namespace ckg::transport {

// The BIO between OpenSSL and tls_stream's buffers: reads take ciphertext
// the stream received (or ask to be retried), writes append to what the
// stream will send. It never blocks and never fails a write.
struct tls_stream_bio {
    static int write(BIO* bio, const char* data, int len) {
        auto* s = static_cast<tls_stream*>(BIO_get_data(bio));
        BIO_clear_retry_flags(bio);
        s->out_.append(data, static_cast<std::size_t>(len));
        return len;
    }

    static int read(BIO* bio, char* data, int len) {
        auto* s = static_cast<tls_stream*>(BIO_get_data(bio));
        BIO_clear_retry_flags(bio);
        const auto available = s->in_filled_ - s->in_used_;
        if (available == 0) {
            BIO_set_retry_read(bio);
            return -1;
        }
        const auto n = std::min<std::size_t>(available, static_cast<std::size_t>(len));
        std::memcpy(data, s->in_.data() + s->in_used_, n);
        s->in_used_ += n;
        return static_cast<int>(n);
    }

    static long ctrl(BIO* bio, int cmd, long, void*) {
        auto* s = static_cast<tls_stream*>(BIO_get_data(bio));
        switch (cmd) {
            case BIO_CTRL_FLUSH:
                return 1;
            case BIO_CTRL_PENDING:
                return static_cast<long>(s->in_filled_ - s->in_used_);
            case BIO_CTRL_WPENDING:
                return static_cast<long>(s->out_.size());
            default:
                return 0;
        }
    }

    static const BIO_METHOD* method() {
        static BIO_METHOD* m = [] {
            auto* meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                      "chatkit-gateway tls_stream");
            if (meth == nullptr) throw std::runtime_error("BIO_meth_new failed");
            BIO_meth_set_write(meth, &write);
            BIO_meth_set_read(meth, &read);
            BIO_meth_set_ctrl(meth, &ctrl);
            return meth;
        }();
        return m;
    }
};

tls_stream::tls_stream(tcp::socket socket, ssl::context& ctx) : next_(std::move(socket)) {
    attach(ctx);
}

tls_stream::tls_stream(const executor_type& ex, ssl::context& ctx) : next_(ex) {
    attach(ctx);
}

tls_stream::~tls_stream() {
    if (ssl_ != nullptr) SSL_free(ssl_);  // frees the BIO too
}

void tls_stream::attach(ssl::context& ctx) {
    ssl_ = SSL_new(ctx.native_handle());
    BIO* bio = BIO_new(tls_stream_bio::method());
    if (ssl_ == nullptr || bio == nullptr) {
        BIO_free(bio);
        if (ssl_ != nullptr) SSL_free(ssl_);
        ssl_ = nullptr;
        throw std::runtime_error("cannot create a TLS session");
    }
    BIO_set_data(bio, this);
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl_, bio, bio);  // one BIO both ways: one reference taken
    SSL_set_options(ssl_, SSL_OP_NO_RENEGOTIATION);
}

tls_stream::step tls_stream::classify(int ret, beast::error_code& ec) {
    if (ret == 1) return step::done;
    switch (SSL_get_error(ssl_, ret)) {
        case SSL_ERROR_WANT_READ:
            return step::want_read;
        case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
            ec = net::error::eof;
            return step::failed;
        case SSL_ERROR_SYSCALL:
            if (ERR_peek_error() == 0) {
                ec = net::ssl::error::stream_truncated;
                return step::failed;
            }
            [[fallthrough]];
        default:
            ec = beast::error_code(static_cast<int>(ERR_get_error()),
                                   net::error::get_ssl_category());
            if (!ec) ec = net::ssl::error::unspecified_system_error;
            return step::failed;
    }
}

bool tls_stream::send_now(beast::error_code& ec) {
    auto& socket = next_.socket();
    if (!socket.non_blocking()) {
        socket.non_blocking(true, ec);  // asynchronous operations are unaffected
        if (ec) return true;
    }
    const auto sent = socket.write_some(output(), ec);
    if (ec == net::error::would_block || ec == net::error::try_again) {
        ec = {};
        return false;
    }
    if (ec) return true;
    if (sent == out_.size()) return true;
    out_.erase(0, sent);  // the rest goes out asynchronously
    return false;
}

void tls_stream::output_sent() noexcept {
    out_.clear();
    if (out_.capacity() > 64 * 1024)
        std::string().swap(out_);  // a large reply's buffer is not kept
    if (plain_.capacity() > 4 * 1024) std::string().swap(plain_);
}

net::mutable_buffer tls_stream::input_space() {
    if (in_used_ == in_filled_) {
        in_used_ = in_filled_ = 0;
        read_chunk_ = min_read_chunk;
        if (in_.capacity() > 2 * min_read_chunk) std::string().swap(in_);
    } else if (in_used_ > 0) {
        // Keep the unconsumed part at the front so the buffer does not creep.
        std::memmove(in_.data(), in_.data() + in_used_, in_filled_ - in_used_);
        in_filled_ -= in_used_;
        in_used_ = 0;
    }
    if (in_.size() < in_filled_ + read_chunk_) in_.resize(in_filled_ + read_chunk_);
    return net::buffer(in_.data() + in_filled_, read_chunk_);
}

void tls_stream::input_received(std::size_t n) noexcept {
    in_filled_ += n;
    if (n == read_chunk_)
        read_chunk_ =
            std::min(2 * read_chunk_, max_read_chunk);  // more is coming: read more at once
}

void tls_stream::input_failed(beast::error_code& ec) const noexcept {
    // A peer that closes the TCP connection without close_notify.
    if (ec == net::error::eof) ec = net::ssl::error::stream_truncated;
}

}  // namespace ckg::transport
