#include "hostile_peer.hpp"

#include "test_client.hpp"

#include <boost/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fstream>
#include <stdexcept>

namespace ckg::test {
namespace {

void set_timeouts(int fd, std::chrono::milliseconds timeout) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

sockaddr_in loopback(unsigned short port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// Reads one request: header up to the blank line, then Content-Length bytes.
std::optional<peer_request> read_request(peer_socket& s, std::string& pending) {
    std::size_t end;
    while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
        auto more = s.recv_some();
        if (more.empty()) return std::nullopt;
        pending += more;
    }
    peer_request r;
    const std::string head = pending.substr(0, end + 2);
    const auto sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
    r.method = head.substr(0, sp1);
    r.target = head.substr(sp1 + 1, sp2 - sp1 - 1);
    r.host = header_of(head, "host");
    const auto length_text = header_of(head, "content-length");
    const std::size_t length = length_text.empty() ? 0 : std::stoul(length_text);
    pending.erase(0, end + 4);
    while (pending.size() < length) {
        auto more = s.recv_some();
        if (more.empty()) return std::nullopt;
        pending += more;
    }
    r.body = pending.substr(0, length);
    pending.erase(0, length);
    boost::system::error_code ec;
    const auto doc = boost::json::parse(r.body, ec);
    if (!ec && doc.is_object())
        if (const auto* u = doc.as_object().if_contains("user"); u && u->is_string())
            r.user = std::string(u->as_string());
    return r;
}

SSL_CTX* server_tls() {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr ||
        SSL_CTX_use_certificate_chain_file(ctx, test_pki("server.pem").c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, test_pki("server.key").c_str(), SSL_FILETYPE_PEM) != 1)
        throw std::runtime_error("hostile peer: cannot load the test certificate");
    return ctx;
}

}  // namespace

peer_socket::~peer_socket() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    ::close(fd_);
}

bool peer_socket::send_all(std::string_view data) {
    while (!data.empty()) {
        long n = 0;
        if (ssl_ != nullptr) {
            std::size_t written = 0;
            n = SSL_write_ex(ssl_, data.data(), data.size(), &written) == 1
                    ? static_cast<long>(written)
                    : -1;
        } else {
            n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        }
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string peer_socket::recv_some(std::size_t max) {
    std::string buf(max, '\0');
    long n = 0;
    if (ssl_ != nullptr) {
        std::size_t got = 0;
        n = SSL_read_ex(ssl_, buf.data(), buf.size(), &got) == 1 ? static_cast<long>(got) : -1;
    } else {
        n = ::recv(fd_, buf.data(), buf.size(), 0);
    }
    buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return buf;
}

void peer_socket::reset() {
    linger l{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    ::shutdown(fd_, SHUT_RDWR);
}

bool peer_socket::accept_tls() {
    return ssl_ == nullptr || SSL_accept(ssl_) == 1;
}

void peer_socket::shut() noexcept {
    ::shutdown(fd_, SHUT_RDWR);
}

loopback_listener::loopback_listener(bool tls, serve_fn serve) : serve_(std::move(serve)) {
    if (tls) tls_ = server_tls();
    listen_fd_ = listen_loopback(port_);
    acceptor_ = std::thread([this] { accept_loop(); });
}

loopback_listener::~loopback_listener() {
    stop_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    ::close(listen_fd_);
    {
        std::lock_guard lock(mutex_);
        for (auto& w : sockets_)
            if (auto s = w.lock()) s->shut();
    }
    for (auto& t : threads_) t.join();
    if (tls_ != nullptr) SSL_CTX_free(tls_);
}

void loopback_listener::reset_all() {
    std::lock_guard lock(mutex_);
    for (auto& w : sockets_)
        if (auto s = w.lock()) s->reset();
}

void loopback_listener::send_to_all(std::string_view bytes) {
    std::lock_guard lock(mutex_);
    for (auto& w : sockets_)
        if (auto s = w.lock()) s->send_all(bytes);
}

void loopback_listener::accept_loop() {
    while (!stop_) {
        const int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) break;
        set_timeouts(fd, std::chrono::seconds(5));
        SSL* ssl = nullptr;
        if (tls_ != nullptr) {
            ssl = SSL_new(tls_);
            SSL_set_fd(ssl, fd);
        }
        auto s = std::make_shared<peer_socket>(fd, ssl);
        ++connections_;
        std::lock_guard lock(mutex_);
        sockets_.push_back(s);
        threads_.emplace_back([this, s] { serve_(s); });
    }
}

hostile_upstream::hostile_upstream(bool tls, peer_script script)
    : script_(std::move(script)),
      listener_(tls, [this](const std::shared_ptr<peer_socket>& s) { serve(s); }) {}

hostile_upstream::~hostile_upstream() = default;

void hostile_upstream::set_script(peer_script script) {
    std::lock_guard lock(mutex_);
    script_ = std::move(script);
}

peer_script hostile_upstream::script() const {
    std::lock_guard lock(mutex_);
    return script_;
}

void hostile_upstream::serve(const std::shared_ptr<peer_socket>& s) {
    if (!s->accept_tls()) return;
    std::string pending, carried;  // carried: a stray held for the next request
    while (!stopping()) {
        auto req = read_request(*s, pending);
        if (!req) return;
        req->index = requests_++;
        if (!answer(*s, *req, carried)) return;
    }
}

bool hostile_upstream::answer(peer_socket& s, const peer_request& req, std::string& carried) {
    const auto reply = script()(req);
    auto send = [&](std::string_view bytes) {
        const bool ok = s.send_all(bytes);
        if (ok) bytes_sent_ += bytes.size();
        return ok;
    };
    if (!carried.empty()) {
        if (!send(carried)) return false;
        ++strays_sent_;
    }
    carried = reply.before_next;
    if (reply.drip.count() > 0) {
        for (char c : reply.bytes) {
            if (stopping() || !send(std::string_view(&c, 1))) return false;
            std::this_thread::sleep_for(reply.drip);
        }
    } else if (!reply.bytes.empty() && !send(reply.bytes)) {
        return false;
    }
    if (!reply.later.empty()) {
        std::this_thread::sleep_for(reply.pause);
        if (!send(reply.later)) return false;
    }
    for (std::size_t sent = 0; !reply.repeat.empty() && sent < reply.repeat_bytes && !stopping();
         sent += reply.repeat.size())
        if (!send(reply.repeat)) return false;
    switch (reply.end) {
        case peer_reply::ending::keep_open:
            return true;
        case peer_reply::ending::close:
            return false;
        case peer_reply::ending::reset:
            s.reset();
            return false;
        case peer_reply::ending::hang:
            while (!stopping() && !s.recv_some().empty()) {
            }
            return false;
    }
    return false;
}

int listen_loopback(unsigned short& port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    auto addr = loopback(0);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd, 256) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("test peer: cannot listen");
    }
    port = ntohs(addr.sin_port);
    return fd;
}

std::unique_ptr<peer_socket> connect_peer(unsigned short port, bool tls,
                                          std::chrono::milliseconds timeout,
                                          std::chrono::milliseconds pause_before_tls) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    auto addr = loopback(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("raw peer: cannot connect");
    }
    set_timeouts(fd, timeout);
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    SSL* ssl = nullptr;
    if (tls) {
        std::this_thread::sleep_for(pause_before_tls);
        static SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());  // the gateway is not verified here
        ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_connect(ssl) != 1) {
            SSL_free(ssl);
            ::close(fd);
            throw std::runtime_error("raw peer: TLS handshake failed");
        }
    }
    return std::make_unique<peer_socket>(fd, ssl);
}

std::string wire_reply(unsigned status, const std::string& body, const std::string& extra_headers) {
    return "HTTP/1.1 " + std::to_string(status) +
           " X\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body;
}

std::string mint_reply_for(const peer_request& req) {
    const auto n = std::to_string(req.index);
    const auto expires = std::to_string(std::time(nullptr) + 600);
    return wire_reply(200, R"({"id":"cksess_)" + req.user + "_" + n +
                               R"(","object":"chatkit.session","user":")" + req.user +
                               R"(","client_secret":"ek_)" + req.user + "_" + n +
                               R"(","expires_at":)" + expires + "}");
}

unsigned status_of(const std::string& bytes) {
    if (bytes.size() < 12 || bytes.compare(0, 5, "HTTP/") != 0) return 0;
    return static_cast<unsigned>(std::stoul(bytes.substr(9, 3)));
}

std::string header_of(const std::string& bytes, const std::string& name) {
    const auto head = lower(bytes.substr(0, bytes.find("\r\n\r\n")));
    const auto at = head.find("\r\n" + lower(name) + ":");
    if (at == std::string::npos) return {};
    auto start = at + name.size() + 3;
    auto end = head.find("\r\n", start);
    if (end == std::string::npos) end = head.size();  // the last field
    while (start < end && bytes[start] == ' ') ++start;
    return bytes.substr(start, end - start);
}

std::string read_reply(peer_socket& s) {
    std::string got;
    for (;;) {
        const auto end = got.find("\r\n\r\n");
        if (end != std::string::npos) {
            const auto length = header_of(got, "content-length");
            if (got.size() >= end + 4 + (length.empty() ? 0 : std::stoul(length))) return got;
        }
        auto more = s.recv_some();
        if (more.empty()) return got;
        got += more;
    }
}

std::size_t rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
    return 0;
}

}  // namespace ckg::test
