// Server TLS contexts on Mozilla's "intermediate" profile: TLS 1.2 and 1.3
// only, ECDHE key exchange with AEAD ciphers, no renegotiation, no
// compression. The store lets SIGHUP swap in a new certificate while live
// connections keep the context they were accepted with.
#pragma once

#include "chatkit_gateway/config/config.hpp"
#include "chatkit_gateway/core/asio.hpp"

#include <memory>
#include <mutex>

namespace ckg::http_server {

// Loads the certificate chain and private key. Throws config_error naming
// server.tls.cert_file or server.tls.key_file when either does not load or
// they do not match.
std::shared_ptr<ssl::context> make_server_tls_context(const config::tls_files& files);

class tls_context_store {
public:
    explicit tls_context_store(std::shared_ptr<ssl::context> initial)
        : current_(std::move(initial)) {}

    std::shared_ptr<ssl::context> current() const {
        std::lock_guard lock(mutex_);
        return current_;
    }
    void replace(std::shared_ptr<ssl::context> next) {
        std::lock_guard lock(mutex_);
        current_ = std::move(next);
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<ssl::context> current_;
};

}  // namespace ckg::http_server
