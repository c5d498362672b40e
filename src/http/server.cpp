#include "chatkit_gateway/http/server.hpp"

#include "chatkit_gateway/http/connection.hpp"
#include "chatkit_gateway/observability/logger.hpp"
#include "chatkit_gateway/observability/warning_throttle.hpp"

namespace ckg::http_server {

server::server(io_pool& pool, server_options options, router routes,
               std::shared_ptr<tls_context_store> tls)
    : pool_(pool),
      acceptor_(std::make_shared<tcp::acceptor>(pool.at(0))),
      state_(
          std::make_shared<server_state>(std::move(options), std::move(routes), std::move(tls))) {}

void server::listen() {
    const auto& where = state_->options.listen;
    const tcp::endpoint endpoint(net::ip::make_address(where.host), where.port);
    acceptor_->open(endpoint.protocol());
    acceptor_->set_option(net::socket_base::reuse_address(true));
    try {
        acceptor_->bind(endpoint);
    } catch (const boost::system::system_error& e) {
        throw std::system_error(
            e.code(), "cannot listen on " + where.host + ":" + std::to_string(where.port));
    }
    acceptor_->listen(net::socket_base::max_listen_connections);
}

void server::start() {
    net::co_spawn(acceptor_->get_executor(), accept_loop(acceptor_, state_, pool_), net::detached);
}

tcp::endpoint server::local_endpoint() const {
    return acceptor_->local_endpoint();
}

net::awaitable<void> server::accept_loop(std::shared_ptr<tcp::acceptor> acceptor,
                                         std::shared_ptr<server_state> state, io_pool& pool) {
    net::steady_timer backoff(acceptor->get_executor());
    observability::warning_throttle warnings;
    while (acceptor->is_open()) {
        auto [ec, socket] = co_await acceptor->async_accept(pool.next(), nothrow_awaitable);
        if (ec == net::error::operation_aborted || !acceptor->is_open()) break;
        if (ec) {
            // Out of descriptors and the like: make room as at
            // max_connections (an idle connection goes), say so at most once
            // a second, and pause instead of spinning.
            const bool reclaimed = state->reclaim_idle() || state->reclaim_stalled();
            if (warnings.allow_now())
                observability::log_warn("accept failed", {{"listener", state->options.name},
                                                          {"error", ec.message()},
                                                          {"reclaimed", reclaimed}});
            backoff.expires_after(std::chrono::milliseconds(50));
            co_await backoff.async_wait(nothrow_awaitable);
            continue;
        }
        if (state->open() >= state->options.max_connections && !state->reclaim_idle() &&
            !state->reclaim_stalled()) {
            // No idle connection to close for it: refuse at once rather than
            // queue, the client can retry elsewhere.
            beast::error_code ignored;
            socket.close(ignored);
            continue;
        }
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        try {
            start_connection(std::move(socket), state);
        } catch (const std::exception& e) {  // no memory for its TLS session, say: it is closed
            observability::log_warn("connection not started",
                                    {{"listener", state->options.name}, {"error", e.what()}});
        }
    }
}

void server::stop_accepting() {
    auto acceptor = acceptor_;
    auto state = state_;
    net::post(acceptor->get_executor(), [acceptor, state] {
        state->closing.store(true);
        beast::error_code ignored;
        acceptor->close(ignored);
        state->for_each([](connection_base& c) { c.close_if_idle(); });
    });
}

void server::close_all() {
    state_->closing.store(true);
    state_->for_each([](connection_base& c) { c.close_now(); });
}

}  // namespace ckg::http_server
