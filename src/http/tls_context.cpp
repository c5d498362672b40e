#include "chatkit_gateway/http/tls_context.hpp"

#include "chatkit_gateway/config/config_error.hpp"
#include "chatkit_gateway/core/regular_file.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace ckg::http_server {
namespace {

// Mozilla intermediate (v5.7) TLS 1.2 suites, without the DHE ones: ECDHE only.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* tls13_suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* groups = "X25519:prime256v1:secp384r1";

std::string openssl_reason() {
    const unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) return "unknown error";
    const char* reason = ERR_reason_error_string(e);
    return reason ? reason : "unknown error";
}

}  // namespace

std::shared_ptr<ssl::context> make_server_tls_context(const config::tls_files& files) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = ctx->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                    SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
    // Idle keep-alive connections give their 16 KiB read/write buffers back.
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    // Mozilla intermediate leaves the choice to the client (they know whether
    // they have AES hardware), so SSL_OP_CIPHER_SERVER_PREFERENCE stays off.
    SSL_CTX_set_cipher_list(native, tls12_ciphers);
    SSL_CTX_set_ciphersuites(native, tls13_suites);
    SSL_CTX_set1_groups_list(native, groups);
    ERR_clear_error();
    if (auto problem = not_a_regular_file(files.cert_file))
        throw config::config_error("server.tls.cert_file", files.cert_file + " " + *problem);
    if (auto problem = not_a_regular_file(files.key_file))
        throw config::config_error("server.tls.key_file", files.key_file + " " + *problem);
    if (SSL_CTX_use_certificate_chain_file(native, files.cert_file.c_str()) != 1)
        throw config::config_error(
            "server.tls.cert_file",
            "cannot load certificate chain from " + files.cert_file + ": " + openssl_reason());
    if (SSL_CTX_use_PrivateKey_file(native, files.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
        throw config::config_error(
            "server.tls.key_file",
            "cannot load private key from " + files.key_file + ": " + openssl_reason());
    if (SSL_CTX_check_private_key(native) != 1)
        throw config::config_error("server.tls.key_file",
                                   "private key does not match the certificate");
    return ctx;
}

}  // namespace ckg::http_server
