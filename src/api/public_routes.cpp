#include "chatkit_gateway/api/public_routes.hpp"

#include "chatkit_gateway/api/session_handlers.hpp"
#include "chatkit_gateway/api/thread_handlers.hpp"
#include "chatkit_gateway/http/error_response.hpp"

#include <map>

namespace ckg::api {
namespace {

using http_server::reply;
using http_server::request_context;
using endpoint = net::awaitable<reply> (*)(request_context&, gateway_services&);

struct route_entry {
    http::verb method;
    const char* pattern;
    endpoint handler;
};

const route_entry routes[] = {
    {http::verb::post, "/v1/chatkit/sessions", &mint_session},
    {http::verb::delete_, "/v1/chatkit/sessions/{session_handle}", &cancel_session},
    {http::verb::get, "/v1/chatkit/threads", &list_threads},
    {http::verb::get, "/v1/chatkit/threads/{thread_id}", &retrieve_thread},
    {http::verb::delete_, "/v1/chatkit/threads/{thread_id}", &delete_thread},
    {http::verb::get, "/v1/chatkit/threads/{thread_id}/items", &list_thread_items},
};

// SPEC section 7's order: the origin check (403) comes before the token; an
// allowed origin's answer carries the CORS headers, whatever its status.
net::awaitable<reply> with_cors(request_context& ctx, gateway_services& s, endpoint handler) {
    if (s.cors.refuses(ctx.req))
        co_return http_server::make_error_reply(
            {errc::origin_not_allowed, "origin not in cors.allowed_origins", {}, {}},
            ctx.req.version());
    reply r = co_await handler(ctx, s);
    s.cors.decorate(ctx.req, r.res);
    co_return r;
}

net::awaitable<reply> preflight(request_context& ctx, gateway_services& s, std::string allow) {
    co_return s.cors.preflight(ctx.req, allow);
}

}  // namespace

http_server::router make_public_router(gateway_services& services) {
    auto* s = &services;
    http_server::router r;
    std::map<std::string, std::string> methods;  // pattern -> "POST, DELETE"
    for (const auto& e : routes) {
        r.add(e.method, e.pattern,
              [s, h = e.handler](request_context& ctx) { return with_cors(ctx, *s, h); });
        auto& m = methods[e.pattern];
        m += (m.empty() ? "" : ", ") + std::string(http::to_string(e.method));
    }
    // Preflight (and plain OPTIONS) on every API path.
    for (const auto& [pattern, allow] : methods) {
        r.add(http::verb::options, pattern,
              [s, allow](request_context& ctx) { return preflight(ctx, *s, allow); });
    }
    return r;
}

}  // namespace ckg::api
