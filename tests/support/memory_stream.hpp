// An in-memory read stream for the message reader's unit tests and fuzz
// targets: hands out the given bytes at most `step` at a time, then EOF,
// asynchronously (for message_reader::read) or at once (read_now, for the
// fuzz targets, which clang 14 cannot build with coroutines and sanitizers).
// Its unread bytes count as input buffered in the stream (as a TLS layer's
// would, or as the kernel's seen by the pool's check before reuse).
#pragma once

#include "chatkit_gateway/core/asio.hpp"
#include "chatkit_gateway/net/message_reader.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace ckg::test {

class memory_stream {
public:
    using executor_type = net::any_io_executor;

    memory_stream(executor_type ex, std::string_view data, std::size_t step)
        : ex_(std::move(ex)), data_(data), step_(std::max<std::size_t>(step, 1)) {}

    executor_type get_executor() const noexcept { return ex_; }
    bool has_buffered_input() const noexcept { return !data_.empty(); }
    std::size_t delivered() const noexcept { return delivered_; }

    // One read into `b`, at once: the bytes it brought, or EOF.
    std::size_t read_now(net::mutable_buffer b, beast::error_code& ec) {
        if (data_.empty()) {
            ec = net::error::eof;
            return 0;
        }
        const auto n = std::min({step_, data_.size(), b.size()});
        std::memcpy(b.data(), data_.data(), n);
        data_.remove_prefix(n);
        delivered_ += n;
        return n;
    }

    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return net::async_initiate<Token, void(beast::error_code, std::size_t)>(
            [this](auto handler, const MutableBuffers& bufs) {
                beast::error_code ec;
                const auto n = read_now(*net::buffer_sequence_begin(bufs), ec);
                net::post(ex_, [h = std::move(handler), ec, n]() mutable { h(ec, n); });
            },
            token, buffers);
    }

private:
    executor_type ex_;
    std::string_view data_;
    std::size_t step_;
    std::size_t delivered_ = 0;
};

// message_reader::read without a coroutine: the same turns (next, a read,
// received) over read_now.
template <bool isRequest>
beast::error_code read_now(memory_stream& s, transport::message_reader& reader,
                           http::basic_parser<isRequest>& parser, bool header_only) {
    for (;;) {
        beast::error_code ec;
        std::size_t ask = 0;
        const auto step = reader.next(parser, header_only, ec, ask);
        if (step == transport::parse_step::complete) return {};
        if (step == transport::parse_step::failed) return ec;
        beast::error_code rec;
        const auto n = s.read_now(reader.buffer().prepare(ask), rec);
        if (auto e = reader.received(parser, header_only, rec, n)) return e;
    }
}

}  // namespace ckg::test
