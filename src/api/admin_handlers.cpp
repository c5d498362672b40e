#include "chatkit_gateway/api/admin_handlers.hpp"

#include "chatkit_gateway/api/admin_user_handlers.hpp"
#include "chatkit_gateway/http/error_response.hpp"

namespace ckg::api {
namespace {

using http_server::reply;
using http_server::request_context;

net::awaitable<reply> healthz(request_context& ctx) {
    co_return reply{
        http_server::make_json_response(http::status::ok, {{"status", "ok"}}, ctx.req.version())};
}

net::awaitable<reply> readyz(request_context& ctx, const observability::readiness* readiness) {
    const bool ready = readiness->ready();
    const char* status = ready ? "ready" : (readiness->draining() ? "draining" : "starting");
    co_return reply{http_server::make_json_response(
        ready ? http::status::ok : http::status::service_unavailable, {{"status", status}},
        ctx.req.version())};
}

net::awaitable<reply> metrics_text(request_context& ctx, observability::metrics* metrics) {
    http_server::response res{http::status::ok, ctx.req.version()};
    res.set(http::field::content_type, observability::metrics::content_type);
    res.body() = metrics->render();
    co_return reply{std::move(res)};
}

}  // namespace

http_server::router make_admin_router(const observability::readiness& readiness,
                                      observability::metrics& metrics, gateway_services& services) {
    http_server::router r;
    r.add(http::verb::get, "/healthz", [](request_context& ctx) { return healthz(ctx); });
    const auto* ready = &readiness;
    r.add(http::verb::get, "/readyz", [ready](request_context& ctx) { return readyz(ctx, ready); });
    auto* m = &metrics;
    r.add(http::verb::get, "/metrics", [m](request_context& ctx) { return metrics_text(ctx, m); });
    add_admin_user_routes(r, services);
    return r;
}

}  // namespace ckg::api
