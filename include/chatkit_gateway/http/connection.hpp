// One accepted connection: TLS handshake when configured, then HTTP/1.1
// requests one at a time with a deadline before every read and write, a new
// parser per message, framing and size checks, the route's handler, the
// common headers, and one access-log line per request.
#pragma once

#include "chatkit_gateway/core/asio.hpp"
#include "chatkit_gateway/http/server_state.hpp"

#include <memory>

namespace ckg::http_server {

// Takes ownership of the socket (whose io_context must be run by one thread,
// see core/io_pool.hpp) and serves it until the peer leaves, a timeout fires
// or the server closes it.
void start_connection(tcp::socket socket, std::shared_ptr<server_state> state);

}  // namespace ckg::http_server
