// A listener: binds, accepts on the pool's first context, hands each socket
// to a connection on the pool's next context (where it stays), and refuses
// connections beyond max_connections by closing them at once — after
// closing an idle keep-alive one to make room, when there is one. Used for
// the public API, the admin listener and the upstream simulator alike.
#pragma once

#include "chatkit_gateway/core/asio.hpp"
#include "chatkit_gateway/core/io_pool.hpp"
#include "chatkit_gateway/http/server_state.hpp"

#include <memory>

namespace ckg::http_server {

class server {
public:
    server(io_pool& pool, server_options options, router routes,
           std::shared_ptr<tls_context_store> tls);

    // Binds and listens; throws std::system_error naming the address on failure.
    void listen();
    // Starts accepting; call after listen().
    void start();
    tcp::endpoint local_endpoint() const;

    // Closes the listening socket and idle keep-alive connections; busy
    // connections finish their request and close. Thread-safe.
    void stop_accepting();
    // Cuts off every connection still open. Thread-safe.
    void close_all();
    std::size_t open_connections() const { return state_->open(); }

private:
    static net::awaitable<void> accept_loop(std::shared_ptr<tcp::acceptor> acceptor,
                                            std::shared_ptr<server_state> state, io_pool& pool);

    io_pool& pool_;
    std::shared_ptr<tcp::acceptor> acceptor_;
    std::shared_ptr<server_state> state_;
};

}  // namespace ckg::http_server
