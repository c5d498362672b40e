// The validated, immutable configuration of docs/operations.md. Plain data: the
// loader (config_loader.hpp) fills it and checks every rule once at start-up;
// nothing else ever parses configuration. Secrets are read from the
// environment by the loader and held as ckg::secret.
#pragma once

#include "chatkit_gateway/config/proxy_url.hpp"

#include "chatkit_gateway/auth/jws_algorithm.hpp"
#include "chatkit_gateway/config/origin_pattern.hpp"
#include "chatkit_gateway/core/secret.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ckg::config {

struct listen_address {
    std::string host;  // numeric IPv4 or IPv6 address, without brackets
    std::uint16_t port = 0;
};

struct tls_files {
    std::string cert_file;
    std::string key_file;
};

struct server_config {
    listen_address listen{"0.0.0.0", 8443};
    std::optional<tls_files> tls;  // absent: plain HTTP behind a TLS-terminating ingress
    unsigned threads = 0;          // 0: one per core
    std::size_t max_body_bytes = 16384;
    std::size_t max_connections = 10000;
    std::chrono::milliseconds header_timeout{10000};
    std::chrono::milliseconds idle_timeout{60000};
    std::chrono::seconds drain{5};
    std::chrono::seconds shutdown_grace{25};
};

struct admin_config {
    listen_address listen{"127.0.0.1", 9090};
    // The admin API (docs/operations.md) is served only with a token.
    std::optional<std::string> token_env;
    std::optional<ckg::secret> token;  // at least 32 bytes
};

struct upstream_config {
    std::string base_url = "https://api.openai.com/v1";
    std::string api_key_env = "OPENAI_API_KEY";
    ckg::secret api_key;
    std::optional<std::string> ca_file;
    std::optional<std::string> organization;
    std::optional<std::string> project;
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds request_timeout{10000};
    std::size_t max_connections = 64;
    unsigned max_retries = 2;
    // upstream.proxy_url: every upstream, JWKS and discovery connection
    // through this CONNECT proxy (upstream/proxy_choice.hpp); nullopt: the
    // HTTPS_PROXY / NO_PROXY variables decide.
    std::optional<proxy_endpoint> proxy_url;
    // HTTPS_PROXY (or https_proxy) and NO_PROXY (or no_proxy), read at load:
    // they decide when proxy_url is null.
    std::optional<proxy_endpoint> environment_proxy;
    std::string no_proxy;
};

// The algorithm enum lives with the JWT code (auth/jws_algorithm.hpp), which
// must not depend on configuration.
using auth::jws_algorithm;

struct issuer_config {
    std::string issuer;
    std::vector<std::string> audiences{"chatkit-gateway"};
    std::optional<std::string> jwks_file;
    std::optional<std::string> jwks_url;
    std::optional<std::string> public_key_file;
    std::optional<std::string> hmac_secret_env;
    ckg::secret hmac_secret;  // loaded from hmac_secret_env
    bool discovery = false;   // keys from the OpenID metadata's jwks_uri (docs/auth.md)
    std::optional<std::string> jwks_ca_file;
    std::vector<jws_algorithm> algorithms{jws_algorithm::rs256};
    std::string audience_claim = "aud";  // compared with audiences; "aud" may be an array
    std::string user_claim = "sub";
    std::chrono::seconds jwks_min_refresh{30};

    // True when keys are fetched over HTTPS (jwks_url or discovery), not loaded from a local
    // source.
    bool fetches_keys() const noexcept { return jwks_url.has_value() || discovery; }
};

struct auth_config {
    std::chrono::seconds leeway{60};
    std::optional<std::string> cookie_name;
    std::vector<issuer_config> issuers;
};

enum class user_id_mode { plain, hmac };

struct users_config {
    user_id_mode id_mode = user_id_mode::plain;
    std::string prefix;
    std::optional<std::string> hmac_key_env;
    ckg::secret hmac_key;
};

struct workflow_profile {
    std::string id;
    std::optional<std::string> version;
    std::optional<bool> tracing;
    boost::json::object state_variables;  // constants; primitive values only
    std::vector<std::string> allowed_state_variables;
    std::map<std::string, std::string> claims_to_state_variables;  // claim -> variable
    std::optional<boost::json::object> chatkit_configuration;
    std::optional<unsigned> expires_after_seconds;
    std::optional<unsigned> max_requests_per_1_minute;
};

struct sessions_config {
    std::string handle_key_env = "CHATKIT_GATEWAY_HANDLE_KEY";
    ckg::secret handle_key;  // exactly 32 bytes
    // During a key rotation: <handle_key_env>_PREVIOUS, which only opens handles.
    std::optional<ckg::secret> previous_handle_key;
    std::string default_workflow = "default";
    std::map<std::string, workflow_profile> workflows;
};

struct rate_limit_config {
    unsigned sessions_per_minute = 10;
    unsigned burst = 5;
    std::optional<unsigned> sessions_per_day;  // none: no daily quota
};

// What a replica does when the shared store fails (docs/operations.md).
enum class store_error_policy { local, refuse };

// The shared store of docs/operations.md ("Shared state across replicas").
struct redis_config {
    bool tls = false;  // rediss://
    std::string host;
    std::uint16_t port = 6379;
    unsigned db = 0;
    std::optional<std::string> password_env;
    std::optional<ckg::secret> password;
    std::optional<std::string> ca_file;
    std::string key_prefix = "chatkit-gateway:";
    std::chrono::milliseconds timeout{250};
    store_error_policy on_error = store_error_policy::local;
};

struct cors_config {
    std::vector<origin_pattern> allowed_origins;
    std::chrono::seconds max_age{600};
};

struct gateway_config {
    server_config server;
    admin_config admin;
    upstream_config upstream;
    auth_config auth;
    users_config users;
    sessions_config sessions;
    rate_limit_config rate_limit;
    std::optional<redis_config> redis;  // none: every replica keeps its own state
    cors_config cors;
};

}  // namespace ckg::config
