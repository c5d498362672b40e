#include "connect_proxy.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>

namespace ckg::test {

connect_proxy::connect_proxy(mode m)
    : mode_(m), listener_(false, [this](const std::shared_ptr<peer_socket>& s) { serve(s); }) {}

std::vector<std::string> connect_proxy::targets() const {
    std::lock_guard lock(mutex_);
    return targets_;
}

std::string connect_proxy::seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
}

void connect_proxy::record(std::string_view bytes) {
    std::lock_guard lock(mutex_);
    seen_.append(bytes);
}

void connect_proxy::serve(const std::shared_ptr<peer_socket>& client) {
    std::string request;
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 8192) {
        const auto got = client->recv_some();
        if (got.empty()) return;
        record(got);
        request += got;
    }
    static const std::regex line(R"(^CONNECT (\S+) HTTP/1\.1\r\n)");
    std::smatch m;
    if (!std::regex_search(request, m, line)) {
        client->send_all("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        return;
    }
    const std::string target = m[1].str();
    {
        std::lock_guard lock(mutex_);
        targets_.push_back(target);
    }
    switch (mode_) {
        case mode::refuse:
            client->send_all(
                "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\n"
                "forbidden");
            return;
        case mode::silent:
            while (!listener_.stopping() && !client->recv_some().empty()) {
            }
            return;
        case mode::garbage:
            client->send_all("SSH-2.0-OpenSSH_9.2\r\n\r\n");
            return;
        case mode::tunnel:
            break;
    }
    const auto colon = target.rfind(':');
    std::unique_ptr<peer_socket> origin;
    try {
        origin =
            connect_peer(static_cast<unsigned short>(std::stoi(target.substr(colon + 1))), false);
    } catch (const std::exception&) {
        client->send_all("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    }
    if (!client->send_all("HTTP/1.1 200 Connection established\r\n\r\n")) return;
    relay(*client, *origin);
}

void connect_proxy::relay(peer_socket& client, peer_socket& origin) {
    pollfd fds[2] = {{client.fd(), POLLIN, 0}, {origin.fd(), POLLIN, 0}};
    while (!listener_.stopping()) {
        if (::poll(fds, 2, 100) < 0) return;
        if ((fds[0].revents | fds[1].revents) & (POLLERR | POLLNVAL)) return;
        if (fds[0].revents & (POLLIN | POLLHUP)) {
            const auto bytes = client.recv_some();
            if (bytes.empty()) return;
            record(bytes);
            if (!origin.send_all(bytes)) return;
        }
        if (fds[1].revents & (POLLIN | POLLHUP)) {
            const auto bytes = origin.recv_some();
            if (bytes.empty()) return;
            if (!client.send_all(bytes)) return;
        }
    }
}

}  // namespace ckg::test
