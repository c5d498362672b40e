#include "chatkit_gateway/api/thread_handlers.hpp"

#include "chatkit_gateway/api/request_checks.hpp"
#include "chatkit_gateway/api/thread_scoping.hpp"
#include "chatkit_gateway/api/upstream_errors.hpp"

#include <boost/json/parse.hpp>

namespace ckg::api {
namespace {

using http_server::api_error;
using http_server::reply;
using http_server::request_context;
using steady = std::chrono::steady_clock;

reply ok_json(const request_context& ctx, const boost::json::value& body, const user_ptr& user) {
    reply r{http_server::make_json_response(http::status::ok, body, ctx.req.version())};
    r.log.set("user", user->log_id);
    return r;
}

// The caller's thread (from an upstream retrieve), or the error to answer
// with (an api_error, so an upstream Retry-After survives).
struct owned {
    std::optional<boost::json::object> thread;
    api_error error;
    result<upstream::upstream_response> reply;  // the retrieve's, for the access line
};

net::awaitable<owned> fetch_owned(gateway_services& s, std::string id, std::string user,
                                  observability::trace_context trace) {
    auto up = co_await s.chatkit.get("/chatkit/threads/" + id, std::move(trace));
    if (auto e = upstream_failure(up, user, true)) co_return owned{std::nullopt, *e, std::move(up)};
    auto thread = owned_thread(up->body, user, id);
    if (!thread)
        co_return owned{std::nullopt, unusable_reply(s.metrics, "get", thread.error()),
                        std::move(up)};
    co_return owned{std::move(*thread), {}, std::move(up)};
}

// The reply, with the upstream calls made since `started` (the latest: `up`)
// on its access line.
reply noted(reply r, const result<upstream::upstream_response>& up, steady::time_point started) {
    note_upstream(r, up, started);
    return r;
}

// The user's place among its thread calls in flight (gateway_services::
// thread_calls), or the 503 that refuses one past its share of the pool.
result<user_slots::slot> take_thread_call(gateway_services& s, const user_ptr& user) {
    auto taken = s.thread_calls.take(user->upstream_user_id);
    if (taken.held) return std::move(*taken.held);
    failure f{errc::overloaded, "thread calls of this user busy"};
    f.message = "This user has " + std::to_string(s.thread_calls.per_user()) +
                " thread requests in progress on this replica already; retry after Retry-After "
                "seconds.";
    return f;
}

// Authentication, the thread id and a place among the user's thread calls:
// the checks every /threads/{id} route makes.
struct thread_call {
    user_ptr user;
    std::string id;
    user_slots::slot place;
};

net::awaitable<result<thread_call>> begin_thread_call(request_context& ctx, gateway_services& s) {
    auto user = co_await authenticate_request(ctx, s);
    if (!user) co_return user.error();
    const std::string id(ctx.param("thread_id"));
    if (!is_valid_id(id))
        co_return invalid_request(
            "thread_id must be 1 to 128 characters A-Z a-z 0-9 _ - (as sent, not percent-encoded)",
            "thread_id");
    auto place = take_thread_call(s, *user);
    if (!place) co_return place.error();
    co_return thread_call{*user, id, std::move(*place)};
}

reply failed(const request_context& ctx, const failure& f, const user_ptr& user = nullptr) {
    return error_reply(ctx, http_server::api_error_of(f), user);
}

// The answer to a 2xx reply of `operation` that reading it found unusable.
reply unusable(const request_context& ctx, gateway_services& s, std::string_view operation,
               const failure& f, const user_ptr& user) {
    return error_reply(ctx, unusable_reply(s.metrics, operation, f), user);
}

}  // namespace

net::awaitable<reply> list_threads(request_context& ctx, gateway_services& s) {
    auto user = co_await authenticate_request(ctx, s);
    if (!user) co_return failed(ctx, user.error());
    auto query = upstream_list_query(ctx.query, &(*user)->upstream_user_id);
    if (!query) co_return failed(ctx, query.error(), *user);
    auto place = take_thread_call(s, *user);
    if (!place) co_return failed(ctx, place.error(), *user);
    const auto started = steady::now();
    auto up = co_await s.chatkit.get("/chatkit/threads?" + *query, ctx.trace);
    if (auto e = upstream_failure(up, (*user)->upstream_user_id))
        co_return noted(error_reply(ctx, *e, *user), up, started);
    auto scoped = scope_thread_list(up->body, (*user)->upstream_user_id);
    if (!scoped) co_return noted(unusable(ctx, s, "get", scoped.error(), *user), up, started);
    co_return noted(ok_json(ctx, *scoped, *user), up, started);
}

net::awaitable<reply> retrieve_thread(request_context& ctx, gateway_services& s) {
    auto call = co_await begin_thread_call(ctx, s);
    if (!call) co_return failed(ctx, call.error());
    const auto started = steady::now();
    auto found = co_await fetch_owned(s, call->id, call->user->upstream_user_id, ctx.trace);
    if (!found.thread)
        co_return noted(error_reply(ctx, found.error, call->user), found.reply, started);
    co_return noted(ok_json(ctx, *found.thread, call->user), found.reply, started);
}

net::awaitable<reply> list_thread_items(request_context& ctx, gateway_services& s) {
    auto call = co_await begin_thread_call(ctx, s);
    if (!call) co_return failed(ctx, call.error());
    auto query = upstream_list_query(ctx.query, nullptr);
    if (!query) co_return failed(ctx, query.error(), call->user);
    const auto started = steady::now();
    auto found = co_await fetch_owned(s, call->id, call->user->upstream_user_id, ctx.trace);
    if (!found.thread)
        co_return noted(error_reply(ctx, found.error, call->user), found.reply, started);
    std::string path = "/chatkit/threads/" + call->id + "/items";
    if (!query->empty()) path += "?" + *query;
    auto up = co_await s.chatkit.get(std::move(path), ctx.trace);
    if (auto e = upstream_failure(up, call->user->upstream_user_id, true))
        co_return noted(error_reply(ctx, *e, call->user), up, started);
    auto items = thread_item_list(up->body, call->id);
    if (!items) co_return noted(unusable(ctx, s, "get", items.error(), call->user), up, started);
    co_return noted(ok_json(ctx, *items, call->user), up, started);
}

net::awaitable<reply> delete_thread(request_context& ctx, gateway_services& s) {
    auto call = co_await begin_thread_call(ctx, s);
    if (!call) co_return failed(ctx, call.error());
    // Ownership first: a DELETE is never sent for a thread that is not the caller's.
    const auto started = steady::now();
    auto found = co_await fetch_owned(s, call->id, call->user->upstream_user_id, ctx.trace);
    if (!found.thread)
        co_return noted(error_reply(ctx, found.error, call->user), found.reply, started);
    auto up = co_await s.chatkit.remove("/chatkit/threads/" + call->id, ctx.trace);
    if (auto e = upstream_failure(up, call->user->upstream_user_id, true))
        co_return noted(error_reply(ctx, *e, call->user), up, started);
    auto confirmation = deletion_of(up->body, call->id);
    if (!confirmation)
        co_return noted(unusable(ctx, s, "delete", confirmation.error(), call->user), up, started);
    co_return noted(ok_json(ctx, *confirmation, call->user), up, started);
}

}  // namespace ckg::api
