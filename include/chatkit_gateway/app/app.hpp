// The application object built in main(): owns the configuration, the
// io_pool (one io_context per thread), TLS contexts, readiness, and both listeners,
// and runs the shutdown sequence of docs/operations.md.
#pragma once

#include "chatkit_gateway/api/gateway_services.hpp"
#include "chatkit_gateway/auth/authenticator.hpp"
#include "chatkit_gateway/auth/jwks_refresher.hpp"
#include "chatkit_gateway/config/config.hpp"
#include "chatkit_gateway/core/asio.hpp"
#include "chatkit_gateway/core/io_pool.hpp"
#include "chatkit_gateway/http/server.hpp"
#include "chatkit_gateway/observability/metrics.hpp"
#include "chatkit_gateway/observability/readiness.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <memory>

namespace ckg::app {

struct app_options {
    bool handle_signals = true;  // tests drive shutdown through request_shutdown()
};

class app {
public:
    // Builds everything that can fail on bad input (TLS contexts, routes)
    // without opening sockets; throws config_error naming the key.
    explicit app(config::gateway_config config, app_options options = {});
    ~app();

    // Binds both listeners and starts accepting; throws std::system_error.
    void start();
    // Runs the io threads until shutdown completes; returns the exit status
    // (0, or 1 when the grace period cut requests off).
    int run();
    // SIGTERM's effect, callable from any thread.
    void request_shutdown();

    tcp::endpoint public_endpoint() const { return public_->local_endpoint(); }
    tcp::endpoint admin_endpoint() const { return admin_->local_endpoint(); }
    const observability::readiness& readiness() const { return readiness_; }
    auth::jwks_refresher& authentication() { return *jwks_; }

private:
    static net::awaitable<void> shutdown_sequence(app* self);
    void wait_for_signals();
    void reload();
    // Sets the metrics read at scrape time (open connections, upstream pool).
    void collect_gauges(observability::metrics& m) const;

    config::gateway_config config_;
    app_options options_;
    io_pool pool_;
    observability::readiness readiness_;
    observability::metrics metrics_;
    std::shared_ptr<http_server::tls_context_store> tls_;
    std::unique_ptr<auth::authenticator> authenticator_;
    std::unique_ptr<auth::jwks_refresher> jwks_;
    std::unique_ptr<upstream::chatkit_client> chatkit_;
    std::unique_ptr<sessions::handle_sealer> handles_;
    std::unique_ptr<store::shared_state> state_;
    std::unique_ptr<api::cors_policy> cors_;
    std::unique_ptr<api::gateway_services> services_;
    std::unique_ptr<http_server::server> public_;
    std::unique_ptr<http_server::server> admin_;
    net::signal_set signals_;
    // SIGHUP reloads read files: done here, never on an io thread.
    net::thread_pool reload_pool_{1};
    std::atomic<bool> shutting_down_{false};
    std::atomic<int> exit_code_{0};
};

}  // namespace ckg::app
