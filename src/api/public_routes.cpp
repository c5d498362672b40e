#include "chatkit_gateway/api/public_routes.hpp"

#include "chatkit_gateway/api/session_handlers.hpp"

namespace ckg::api {

http_server::router make_public_router(gateway_services& services) {
    using http_server::request_context;
    auto* s = &services;
    http_server::router r;
    r.add(http::verb::post, "/v1/chatkit/sessions", [s](request_context& ctx) { return mint_session(ctx, *s); });
    r.add(http::verb::delete_, "/v1/chatkit/sessions/{session_handle}",
          [s](request_context& ctx) { return cancel_session(ctx, *s); });
    return r;
}

}  // namespace ckg::api
