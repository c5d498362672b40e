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

// A header's value when the request carries it exactly once: of two
// traceparent headers neither can be taken for the parent
// (docs/operations.md, tracing).
std::optional<std::string_view> single_header(const http_server::request& req,
                                              std::string_view name) {
    const auto range = req.equal_range(name);
    if (range.first == range.second || std::next(range.first) != range.second) return std::nullopt;
    return std::string_view(range.first->value());
}

// A list header's field lines as one list, joined with commas in order (RFC
// 9110 section 5.3): a tracestate split over several lines is still the
// caller's one tracestate. Empty lines add nothing.
std::optional<std::string> joined_header(const http_server::request& req, std::string_view name) {
    const auto range = req.equal_range(name);
    if (range.first == range.second) return std::nullopt;
    std::string joined;
    for (auto it = range.first; it != range.second; ++it) {
        if (it->value().empty()) continue;
        if (!joined.empty()) joined += ',';
        joined.append(it->value());
    }
    return joined;
}

// Every public API request belongs to a trace: the caller's, or a new one.
// The access line names it, and chatkit_client carries it upstream.
void start_trace(request_context& ctx) {
    const auto tracestate = joined_header(ctx.req, "tracestate");
    ctx.trace = observability::trace_context::from_request(
        single_header(ctx.req, "traceparent"),
        tracestate ? std::optional<std::string_view>(*tracestate) : std::nullopt);
}

void note_trace(reply& r, const request_context& ctx) {
    r.log.set("trace_id", ctx.trace.trace_id());
}

// the order of docs/api.md: the origin check (403) comes before the token.
// An allowed origin's answer gets the CORS headers from the listener, whatever
// its status (cors_policy::decorate, called for every reply).
net::awaitable<reply> with_cors(request_context& ctx, gateway_services& s, endpoint handler) {
    start_trace(ctx);
    if (s.cors.refuses(ctx.req)) {
        auto refused = http_server::make_error_reply(
            {errc::origin_not_allowed, "origin not in cors.allowed_origins", {}, {}},
            ctx.req.version());
        note_trace(refused, ctx);
        co_return refused;
    }
    reply r = co_await handler(ctx, s);
    note_trace(r, ctx);
    co_return r;
}

net::awaitable<reply> preflight(request_context& ctx, gateway_services& s, std::string allow) {
    start_trace(ctx);
    reply r = s.cors.preflight(ctx.req, allow);
    note_trace(r, ctx);
    co_return r;
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
