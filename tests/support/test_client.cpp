#include "test_client.hpp"

#include "secret_scan.hpp"

#include <sys/socket.h>
#include <sys/time.h>

namespace ckg::test {

std::string test_pki(const std::string& file) {
    return std::string(CKG_TEST_PKI_DIR) + "/" + file;
}

namespace {

void set_socket_timeouts(tcp::socket& socket, std::chrono::milliseconds timeout) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

}  // namespace

test_client::test_client(tcp::endpoint endpoint, std::optional<std::string> ca_file,
                         std::chrono::milliseconds timeout) {
    tcp::socket socket(ioc_);
    socket.connect(endpoint);
    set_socket_timeouts(socket, timeout);
    if (!ca_file) {
        plain_ = std::make_unique<beast::tcp_stream>(std::move(socket));
        return;
    }
    tls_ctx_.emplace(ssl::context::tls_client);
    tls_ctx_->load_verify_file(*ca_file);
    tls_ctx_->set_verify_mode(ssl::verify_peer);
    tls_ = std::make_unique<ssl::stream<beast::tcp_stream>>(std::move(socket), *tls_ctx_);
    tls_->set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    tls_->handshake(ssl::stream_base::client);
}

test_client::~test_client() {
    beast::error_code ignored;
    if (plain_) plain_->socket().shutdown(tcp::socket::shutdown_both, ignored);
    if (tls_) beast::get_lowest_layer(*tls_).socket().shutdown(tcp::socket::shutdown_both, ignored);
}

template <class F>
auto test_client::with_stream(F&& f) {
    if (tls_) return f(*tls_);
    return f(*plain_);
}

response test_client::request(http::verb method, std::string target, std::string body,
                              std::map<std::string, std::string> headers) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() && !headers.contains("Content-Type"))
        req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    return send(std::move(req));
}

response test_client::send(http::request<http::string_body> req) {
    with_stream([&](auto& s) { http::write(s, req); });
    auto res = read_response();
    if (!res) throw std::runtime_error("connection closed before a response");
    return std::move(*res);
}

void test_client::write_raw(const std::string& bytes) {
    with_stream([&](auto& s) { net::write(s, net::buffer(bytes)); });
}

std::optional<response> test_client::read_response() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 << 20);
    beast::error_code ec;
    with_stream([&](auto& s) { http::read(s, buffer_, parser, ec); });
    if (ec) return std::nullopt;
    auto res = parser.release();
    std::string seen;
    for (const auto& h : res)
        seen.append(h.name_string()).append(": ").append(h.value()).append("\n");
    record_observed(observed_kind::response, seen + res.body());
    return res;
}

bool test_client::peer_closed() {
    char byte = 0;
    beast::error_code ec;
    with_stream([&](auto& s) { s.read_some(net::buffer(&byte, 1), ec); });
    return ec == net::error::eof || ec == net::error::connection_reset ||
           ec == ssl::error::stream_truncated ||
           (ec && ec != net::error::would_block && ec != net::error::try_again);
}

}  // namespace ckg::test
