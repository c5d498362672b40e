// POST /v1/chatkit/sessions (mint) and DELETE /v1/chatkit/sessions/{handle}
// (cancel), docs/api.md.
#pragma once

#include "chatkit_gateway/api/gateway_services.hpp"
#include "chatkit_gateway/http/handler.hpp"

namespace ckg::api {

net::awaitable<http_server::reply> mint_session(http_server::request_context& ctx,
                                                gateway_services& s);
net::awaitable<http_server::reply> cancel_session(http_server::request_context& ctx,
                                                  gateway_services& s);

// Cancels a session upstream (true; already gone there too): what the
// shared state calls on a session it finds belongs to a user blocked or
// revoked since its mint (store::shared_state::set_canceller).
store::session_canceller session_canceller_for(gateway_services& s);

}  // namespace ckg::api
