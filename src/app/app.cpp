#include "chatkit_gateway/app/app.hpp"

#include "chatkit_gateway/api/admin_handlers.hpp"
#include "chatkit_gateway/api/admin_request.hpp"
#include "chatkit_gateway/api/public_routes.hpp"
#include "chatkit_gateway/api/session_handlers.hpp"
#include "chatkit_gateway/app/open_file_limit.hpp"
#include "chatkit_gateway/config/config_warnings.hpp"
#include "chatkit_gateway/observability/logger.hpp"
#include "chatkit_gateway/observability/redaction.hpp"
#include "chatkit_gateway/store/make_shared_state.hpp"
#include "chatkit_gateway/upstream/jwks_fetcher.hpp"

#include <thread>
#include <vector>

namespace ckg::app {
namespace {

using observability::log_info;
using observability::log_warn;

http_server::server_options public_options(const config::server_config& s,
                                           std::size_t max_connections, observability::metrics& m,
                                           const api::cors_policy& cors) {
    http_server::server_options o;
    o.name = "public";
    o.listen = s.listen;
    o.max_body_bytes = s.max_body_bytes;
    o.max_connections = max_connections;
    o.header_timeout = s.header_timeout;
    o.idle_timeout = s.idle_timeout;
    o.public_headers = true;
    o.decorate = [&cors](const http_server::request_header& h, http_server::response& r) {
        cors.decorate(h, r);
    };
    o.metrics = &m;
    return o;
}

http_server::server_options admin_options(const config::gateway_config& c,
                                          observability::metrics& m) {
    http_server::server_options o;
    o.name = "admin";
    o.listen = c.admin.listen;
    // Room for the longest request naming a user (api/admin_request.hpp),
    // bounded by the 64 connections below.
    o.max_body_bytes = api::longest_admin_body(c.auth);
    o.max_header_bytes += api::longest_admin_query(c.auth);
    o.max_connections = 64;
    o.evict_stalled = true;  // the kubelet's probes get in past stalling clients
    o.header_timeout = c.server.header_timeout;
    o.idle_timeout = c.server.idle_timeout;
    o.public_headers = false;
    o.access_log = false;  // probes every few seconds would drown the access log
    o.metrics = &m;
    return o;
}

std::size_t thread_count(const config::server_config& s) {
    return s.threads != 0 ? s.threads : std::max(1u, std::thread::hardware_concurrency());
}

// The secrets a peer could echo into text the gateway logs: every log line
// is scrubbed of them (observability/redaction.hpp).
void register_secrets(const config::gateway_config& c) {
    observability::register_secret(c.upstream.api_key.reveal());
    if (c.admin.token) observability::register_secret(c.admin.token->reveal());
    if (c.redis && c.redis->password) observability::register_secret(c.redis->password->reveal());
    for (const auto& issuer : c.auth.issuers)
        observability::register_secret(issuer.hmac_secret.reveal());
    if (c.users.hmac_key_env) observability::register_secret(c.users.hmac_key.reveal());
}

// server.max_connections, or fewer to fit the open-file limit (said once).
std::size_t public_connections(const config::gateway_config& c, std::size_t threads) {
    const auto limit = open_file_limit();
    const auto n = public_connections_within(limit, c, threads);
    if (n < c.server.max_connections)
        log_warn("max_connections lowered to fit the open-file limit",
                 {{"configured", c.server.max_connections},
                  {"max_connections", n},
                  {"open_file_limit", limit},
                  {"reserved", reserved_descriptors(c, threads)}});
    return n;
}

}  // namespace

app::app(config::gateway_config config, app_options options)
    : config_(std::move(config)),
      options_(options),
      pool_(thread_count(config_.server)),
      signals_(pool_.at(0)) {
    register_secrets(config_);
    if (config_.server.tls)
        tls_ = std::make_shared<http_server::tls_context_store>(
            http_server::make_server_tls_context(*config_.server.tls));
    authenticator_ = std::make_unique<auth::authenticator>(config_.auth, config_.users);
    // Background work (JWKS fetches, signals, the shutdown sequence) runs on the first context.
    auto& home = pool_.at(0);
    jwks_ = std::make_unique<auth::jwks_refresher>(
        home, *authenticator_, config_.auth,
        upstream::make_jwks_fetcher(home, config_.auth, config_.upstream));
    jwks_->set_metrics(&metrics_);
    readiness_.set_keys_check([authn = authenticator_.get()] { return authn->keys_loaded(); });
    chatkit_ = std::make_unique<upstream::chatkit_client>(pool_, config_.upstream);
    chatkit_->set_metrics(&metrics_);
    handles_ = std::make_unique<sessions::handle_sealer>(config_.sessions.handle_key,
                                                         config_.sessions.previous_handle_key);
    state_ = store::make_shared_state(config_, pool_, metrics_);
    cors_ = std::make_unique<api::cors_policy>(config_.cors, config_.auth.cookie_name.has_value());
    services_.reset(new api::gateway_services{config_, *jwks_, *chatkit_, *handles_, *state_,
                                              *cors_, metrics_});
    state_->set_canceller(api::session_canceller_for(*services_));
    public_ = std::make_unique<http_server::server>(
        pool_,
        public_options(config_.server, public_connections(config_, pool_.size()), metrics_, *cors_),
        api::make_public_router(*services_), tls_);
    admin_ = std::make_unique<http_server::server>(
        pool_, admin_options(config_, metrics_),
        api::make_admin_router(readiness_, metrics_, *services_), nullptr);
    metrics_.set_collector([this](observability::metrics& m) { collect_gauges(m); });
}

void app::collect_gauges(observability::metrics& m) const {
    m.set_open_connections("public", public_->open_connections());
    m.set_open_connections("admin", admin_->open_connections());
    m.set_upstream_pool(chatkit_->open_connections(), chatkit_->idle_connections());
}

app::~app() {
    metrics_.set_collector(nullptr);
    reload_pool_.join();
}

void app::start() {
    public_->listen();
    admin_->listen();
    public_->start();
    admin_->start();
    jwks_->start();
    state_->start();  // connects to Redis in the background: start-up never waits for it
    if (options_.handle_signals) wait_for_signals();
    readiness_.set_listening(true);
    const auto pub = public_->local_endpoint();
    const auto adm = admin_->local_endpoint();
    log_info("listening", {{"public", pub.address().to_string() + ":" + std::to_string(pub.port())},
                           {"admin", adm.address().to_string() + ":" + std::to_string(adm.port())},
                           {"tls", config_.server.tls.has_value()}});
    for (const auto& w : config::config_warnings(config_))
        log_warn("config warning", {{"warning", w}});
}

int app::run() {
    pool_.run();
    log_info("stopped", {{"exit_status", exit_code_.load()}});
    return exit_code_.load();
}

void app::request_shutdown() {
    if (shutting_down_.exchange(true)) return;
    net::co_spawn(pool_.at(0), shutdown_sequence(this), net::detached);
}

void app::wait_for_signals() {
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    signals_.add(SIGHUP);
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        if (signo == SIGHUP) {
            net::post(reload_pool_, [this] { reload(); });
            wait_for_signals();
            return;
        }
        log_info("signal received", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"}});
        request_shutdown();
    });
}

// SIGHUP: a new certificate for new connections (live ones keep theirs),
// fresh JWKS/PEM key files, and discovery issuers' OpenID metadata read
// again (docs/auth.md). A file or document that does not load leaves the
// current certificate or keys in place, and the log says why.
void app::reload() {
    if (config_.server.tls && tls_) {
        try {
            tls_->replace(http_server::make_server_tls_context(*config_.server.tls));
            log_info("tls certificate reloaded");
        } catch (const std::exception& e) {
            log_warn("tls certificate reload failed; keeping the current one",
                     {{"error", e.what()}});
        }
    }
    for (const auto& problem : authenticator_->reload_local_keys())
        log_warn("key reload failed", {{"error", problem}});
    jwks_->rediscover();
    log_info("keys reloaded");
}

// docs/operations.md: not ready at once, keep serving for drain_seconds, close the
// listener and idle connections, let in-flight requests finish within the
// grace period, then stop (exit 1 if requests had to be cut off).
net::awaitable<void> app::shutdown_sequence(app* self) {
    net::steady_timer timer(self->pool_.at(0));
    self->readiness_.set_draining();
    log_info("draining", {{"drain_seconds", self->config_.server.drain.count()}});
    timer.expires_after(self->config_.server.drain);
    co_await timer.async_wait(nothrow_awaitable);

    self->public_->stop_accepting();
    log_info("listener closed", {{"open_connections", self->public_->open_connections()}});
    const auto deadline = std::chrono::steady_clock::now() + self->config_.server.shutdown_grace;
    while (self->public_->open_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
        timer.expires_after(std::chrono::milliseconds(20));
        co_await timer.async_wait(nothrow_awaitable);
    }
    if (const auto left = self->public_->open_connections(); left > 0) {
        log_warn("grace period over; cutting off connections", {{"open_connections", left}});
        self->exit_code_.store(1);
        self->public_->close_all();
    }
    self->admin_->stop_accepting();
    self->admin_->close_all();
    boost::system::error_code ignored;
    self->signals_.cancel(ignored);
    self->pool_.stop();
}

}  // namespace ckg::app
