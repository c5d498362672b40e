#include "simulator.hpp"

#include "chatkit_gateway/http/error_response.hpp"
#include "request_rules.hpp"

#include <boost/json/parse.hpp>

namespace ckg::simulator {
namespace {

using http_server::reply;
using http_server::request_context;

// The upstream's error envelope: {"error": {"message", "type", "param", "code"}}.
reply upstream_error(const request_context& ctx, http::status status, std::string_view message,
                     std::string_view code, boost::json::value param = nullptr) {
    const char* type =
        static_cast<unsigned>(status) >= 500 ? "server_error" : "invalid_request_error";
    boost::json::value body = {
        {"error", {{"message", message}, {"type", type}, {"param", param}, {"code", code}}}};
    return reply{http_server::make_json_response(status, body, ctx.req.version())};
}

reply ok(const request_context& ctx, const boost::json::value& body) {
    return reply{http_server::make_json_response(http::status::ok, body, ctx.req.version())};
}

std::optional<boost::json::object> json_body(const request_context& ctx) {
    boost::system::error_code ec;
    auto v = boost::json::parse(ctx.req.body(), ec);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.get_object());
}

reply refuse(const request_context& ctx, const upstream_problem& p) {
    boost::json::value param = nullptr;
    if (p.param) param = boost::json::string(*p.param);
    return upstream_error(ctx, http::status::bad_request, p.message, p.code, std::move(param));
}

}  // namespace

simulator::simulator(simulator_settings settings)
    : settings_(std::move(settings)), store_(settings_.seed_users) {}

http_server::router simulator::make_router() {
    http_server::router r;
    auto api = [this, &r](http::verb verb, std::string pattern, std::string endpoint, logic fn) {
        r.add(verb, std::move(pattern), [this, endpoint, fn](request_context& ctx) {
            return api_call(this, ctx, endpoint, fn);
        });
    };
    api(http::verb::post, "/v1/chatkit/sessions", "create_session", &simulator::create_session);
    api(http::verb::post, "/v1/chatkit/sessions/{id}/cancel", "cancel_session",
        &simulator::cancel_session);
    api(http::verb::get, "/v1/chatkit/threads", "list_threads", &simulator::list_threads);
    api(http::verb::get, "/v1/chatkit/threads/{id}", "retrieve_thread",
        &simulator::retrieve_thread);
    api(http::verb::delete_, "/v1/chatkit/threads/{id}", "delete_thread",
        &simulator::delete_thread);
    api(http::verb::get, "/v1/chatkit/threads/{id}/items", "list_items", &simulator::list_items);

    auto control = [this, &r](http::verb verb, std::string pattern, logic fn) {
        r.add(verb, std::move(pattern), [this, fn](request_context& ctx) -> net::awaitable<reply> {
            co_return (this->*fn)(ctx);
        });
    };
    control(http::verb::put, "/__sim/faults/{endpoint}", &simulator::set_fault);
    control(http::verb::delete_, "/__sim/faults", &simulator::clear_faults);
    control(http::verb::get, "/__sim/requests", &simulator::requests);
    control(http::verb::delete_, "/__sim/requests", &simulator::clear_requests);
    control(http::verb::post, "/__sim/threads", &simulator::add_thread);
    control(http::verb::get, "/__sim/sessions", &simulator::list_sessions);
    return r;
}

net::awaitable<reply> simulator::api_call(simulator* self, request_context& ctx,
                                          std::string endpoint, logic fn) {
    boost::json::object entry = {{"method", http::to_string(ctx.req.method())},
                                 {"target", ctx.req.target()},
                                 {"authorization_ok", ctx.req[http::field::authorization] ==
                                                          "Bearer " + self->settings_.api_key},
                                 {"body", ctx.req.body()}};
    boost::json::object headers;
    for (const auto& h : ctx.req)
        if (h.name() != http::field::authorization) headers[h.name_string()] = h.value();
    entry["headers"] = std::move(headers);
    self->log_.record(endpoint, std::move(entry));

    auto f = self->faults_.take(endpoint);
    const auto delay = self->settings_.latency + (f ? f->delay : std::chrono::milliseconds(0));
    if (delay.count() > 0) {
        net::steady_timer timer(co_await net::this_coro::executor, delay);
        co_await timer.async_wait(nothrow_awaitable);
    }
    if (f && f->mode != fault_mode::delay && f->mode != fault_mode::unscoped)
        co_return co_await apply_fault(ctx, *f);
    if (auto refused = self->check_credentials(ctx)) co_return std::move(*refused);
    if (f && f->mode == fault_mode::unscoped && endpoint == "list_threads")
        co_return self->list_all_threads(ctx);
    co_return (self->*fn)(ctx);
}

net::awaitable<reply> simulator::apply_fault(request_context& ctx, fault f) {
    switch (f.mode) {
        case fault_mode::reset:
            co_return reply{{}, http_server::after_reply::reset};
        case fault_mode::hang: {
            net::steady_timer timer(co_await net::this_coro::executor, f.hang);
            co_await timer.async_wait(nothrow_awaitable);
            co_return reply{{}, http_server::after_reply::reset};
        }
        case fault_mode::malformed: {
            reply r{http_server::response{http::status::ok, ctx.req.version()}};
            r.res.set(http::field::content_type, "application/json");
            r.res.body() = R"({"id": "cksess_trunc)";
            co_return r;
        }
        case fault_mode::status:
        case fault_mode::delay:
        case fault_mode::unscoped:
            break;
    }
    auto r = upstream_error(ctx, static_cast<http::status>(f.status), f.message, "injected_fault");
    if (f.retry_after) r.res.set(http::field::retry_after, std::to_string(*f.retry_after));
    co_return r;
}

std::optional<reply> simulator::check_credentials(request_context& ctx) const {
    if (ctx.req[http::field::authorization] != "Bearer " + settings_.api_key)
        return upstream_error(ctx, http::status::unauthorized, "Incorrect API key provided.",
                              "invalid_api_key");
    if (ctx.req["OpenAI-Beta"] != "chatkit_beta=v1")
        return upstream_error(ctx, http::status::bad_request,
                              "You must provide the 'OpenAI-Beta: chatkit_beta=v1' header.",
                              "missing_beta_header");
    return std::nullopt;
}

reply simulator::create_session(request_context& ctx) {
    auto body = json_body(ctx);
    if (!body)
        return upstream_error(ctx, http::status::bad_request,
                              "We could not parse the JSON body of your request.", "invalid_json");
    if (auto problem = check_create_session(*body)) return refuse(ctx, *problem);
    return ok(ctx, store_.create_session(*body));
}

reply simulator::cancel_session(request_context& ctx) {
    auto session = store_.cancel_session(std::string(ctx.param("id")));
    if (!session)
        return upstream_error(ctx, http::status::not_found, "No session found.", "not_found");
    return ok(ctx, *session);
}

reply simulator::list_threads(request_context& ctx) {
    auto q = read_list_query(ctx.query, true);
    if (auto* problem = std::get_if<upstream_problem>(&q)) return refuse(ctx, *problem);
    return ok(ctx, store_.list_threads(std::get<list_query>(q)));
}

reply simulator::list_all_threads(request_context& ctx) {
    auto q = read_list_query(ctx.query, true);
    if (auto* problem = std::get_if<upstream_problem>(&q)) return refuse(ctx, *problem);
    auto all = std::get<list_query>(q);
    all.user.reset();  // the fault: the user filter ignored
    return ok(ctx, store_.list_threads(all));
}

reply simulator::retrieve_thread(request_context& ctx) {
    auto thread = store_.thread(std::string(ctx.param("id")));
    if (!thread)
        return upstream_error(ctx, http::status::not_found, "No thread found.", "not_found");
    return ok(ctx, *thread);
}

reply simulator::list_items(request_context& ctx) {
    auto q = read_list_query(ctx.query, false);
    if (auto* problem = std::get_if<upstream_problem>(&q)) return refuse(ctx, *problem);
    auto items = store_.list_items(std::string(ctx.param("id")), std::get<list_query>(q));
    if (!items)
        return upstream_error(ctx, http::status::not_found, "No thread found.", "not_found");
    return ok(ctx, *items);
}

reply simulator::delete_thread(request_context& ctx) {
    const std::string id(ctx.param("id"));
    if (!store_.delete_thread(id))
        return upstream_error(ctx, http::status::not_found, "No thread found.", "not_found");
    return ok(ctx, {{"id", id}, {"deleted", true}, {"object", "chatkit.thread.deleted"}});
}

reply simulator::set_fault(request_context& ctx) {
    auto body = json_body(ctx);
    std::string error = body ? "" : "body must be a JSON object";
    auto f = body ? fault_plan::parse(*body, error) : std::nullopt;
    if (!f) return upstream_error(ctx, http::status::bad_request, error, "invalid_fault");
    faults_.set(std::string(ctx.param("endpoint")), *f);
    return ok(ctx, {{"ok", true}});
}

reply simulator::clear_faults(request_context& ctx) {
    faults_.clear();
    return ok(ctx, {{"ok", true}});
}

reply simulator::requests(request_context& ctx) {
    return ok(ctx, log_.snapshot());
}

reply simulator::clear_requests(request_context& ctx) {
    log_.clear();
    return ok(ctx, {{"ok", true}});
}

// {"user": "...", "title": "..."}: adds a thread (tests build ownership cases).
reply simulator::add_thread(request_context& ctx) {
    auto body = json_body(ctx);
    const auto* user = body ? body->if_contains("user") : nullptr;
    if (user == nullptr || !user->is_string())
        return upstream_error(ctx, http::status::bad_request, "user is required", "invalid_value");
    const auto* title = body->if_contains("title");
    const std::string t =
        title && title->is_string() ? std::string(title->get_string()) : "Added thread";
    return ok(ctx, {{"id", store_.add_thread(std::string(user->get_string()), t)}});
}

// {"data": [every session, with its status]}: lets a test or a developer see
// that a replaced or signed-out session was really cancelled upstream.
reply simulator::list_sessions(request_context& ctx) {
    return ok(ctx, {{"data", store_.sessions()}});
}

}  // namespace ckg::simulator
