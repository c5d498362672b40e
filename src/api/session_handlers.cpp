#include "chatkit_gateway/api/session_handlers.hpp"

#include "chatkit_gateway/api/request_checks.hpp"
#include "chatkit_gateway/api/session_request.hpp"
#include "chatkit_gateway/api/upstream_errors.hpp"
#include "chatkit_gateway/core/json_text.hpp"
#include "chatkit_gateway/core/top_level_scalars.hpp"
#include "chatkit_gateway/observability/logger.hpp"
#include "chatkit_gateway/store/shared_state.hpp"

#include <boost/json/object.hpp>

namespace ckg::api {
namespace {

using http_server::api_error;
using http_server::reply;
using steady = std::chrono::steady_clock;

struct minted {
    std::string id, client_secret;
    std::int64_t expires_at = 0;
};

// Reads only what we return or need; anything else in the reply is ignored.
// The reply must name the user the session was requested for: HTTP/1.1 has
// no other way to tie a reply to its request, and a stray reply on a pooled
// connection must never hand one user's secret to another
// (docs/architecture.md, "Upstream calls"). A member given twice is refused
// rather than read one way here and another way elsewhere; an empty id or
// secret, or an expiry that is past or beyond any session's, is no session
// the gateway could hand out, cancel or revoke; nor is an id over
// max_session_id_bytes (ChatKit's are about 40), whose handle could be too
// long to send back (sessions/handle_sealer.hpp).
constexpr std::size_t max_session_id_bytes = 512;

result<minted> read_session(std::string_view body, std::string_view user, std::int64_t now) {
    const auto unusable = [](const char* why) {
        return failure{errc::upstream_error, std::string("create-session reply ") + why};
    };
    top_level_scalars reply{"id", "user", "client_secret", "expires_at"};
    if (!reply.parse(body)) return unusable("is not a JSON object");
    if (reply.repeated()) return unusable("repeats a member");
    auto* id = reply.string_member("id");
    auto* owner = reply.string_member("user");
    auto* secret = reply.string_member("client_secret");
    const auto expires = reply.int64_member("expires_at");
    if (!owner || *owner != user) return unusable("is not for this user");
    if (!id || id->empty() || !secret || secret->empty())
        return unusable("has no id or client_secret");
    if (id->size() > max_session_id_bytes) return unusable("has an id over 512 bytes");
    if (!expires || *expires <= now || *expires > now + store::longest_session_seconds)
        return unusable("has no expires_at in the next hour");
    return minted{*id, *secret, *expires};
}

// {"client_secret":...,"expires_at":...,"session_handle":...}: the only
// upstream values a browser ever sees.
std::string minted_body(const minted& session, const sessions::handle_sealer& handles,
                        const std::string& user) {
    const auto handle = handles.seal({session.id, user, session.expires_at});
    std::string body;
    body.reserve(session.client_secret.size() + handle.size() + 80);
    body += '{';
    append_json_key(body, "client_secret");
    append_json_string(body, session.client_secret);
    body += ',';
    append_json_key(body, "expires_at");
    body += std::to_string(session.expires_at);
    body += ',';
    append_json_key(body, "session_handle");
    append_json_string(body, handle);
    body += '}';
    return body;
}

// The 429/503 answer of a mint the shared state did not admit, if any.
std::optional<api_error> refusal_of(const result<store::mint_decision>& d,
                                    observability::metrics& metrics) {
    if (!d)
        return api_error{errc::store_unavailable, d.error().detail, std::chrono::seconds(1), {}};
    switch (d->verdict) {
        case store::mint_verdict::admitted:
            return std::nullopt;
        case store::mint_verdict::rate_limited:
            metrics.record_rate_limited();
            return api_error{errc::rate_limited, "mint rate limit", d->retry_after, {}};
        case store::mint_verdict::over_quota:
            metrics.record_quota_rejected();
            return api_error{errc::quota_exceeded, "daily mint quota", d->retry_after, {}};
    }
    return std::nullopt;
}

// Cancels the session upstream: why it was not cancelled, or nullopt (a
// 404 too: already gone there).
net::awaitable<std::optional<std::string>> cancel_upstream(gateway_services* s,
                                                           std::string session_id, std::string user,
                                                           observability::trace_context trace) {
    auto up = co_await s->chatkit.cancel_session(session_id, std::move(trace));
    if (auto e = upstream_failure(up, user); e && !(up && up->status == 404))
        co_return e->log_detail;
    co_return std::nullopt;
}

// Best effort (a replaced session, after the answer; a session minted while
// its user was blocked): a failure is logged, never reported. A cancelled
// session leaves the registry.
net::awaitable<void> cancel_and_unregister(gateway_services* s, std::string session_id,
                                           std::string user, std::string log_id,
                                           observability::trace_context trace) {
    auto cancel = cancel_upstream(s, session_id, user, std::move(trace));
    if (auto failed = co_await std::move(cancel)) {
        observability::log_warn("session not cancelled", {{"user", log_id}, {"reason", *failed}});
        co_return;
    }
    co_await s->state.remove_session(std::move(user), std::move(session_id));
}

// Records a minted session under its user until it expires, so that a
// revocation finds it on any replica. Its secret goes out only once it is
// recorded: when the user was blocked meanwhile, or the store failed under
// redis.on_error "refuse" (a session no revocation could find), the session
// is cancelled here and the mint refused (403 user_blocked, 503
// store_unavailable). Under "local" the store records it in process.
net::awaitable<std::optional<api_error>> register_session(
    gateway_services& s, const std::string& user, const std::string& log_id, const minted& session,
    store::unix_ms admitted_at, const observability::trace_context& trace) {
    // A named entry, not a braced temporary in the co_await statement (g++ 12 destroys those
    // twice).
    store::live_session entry{session.id, session.expires_at, admitted_at};
    auto added = co_await s.state.add_session(user, std::move(entry), s.state.now());
    if (added && *added == store::registration::recorded) co_return std::nullopt;
    co_await cancel_and_unregister(&s, session.id, user, log_id, trace);
    if (!added)
        co_return api_error{errc::store_unavailable,
                            "session not recorded: " + added.error().detail,
                            std::chrono::seconds(1),
                            {}};
    co_return api_error{errc::user_blocked, "blocked while minting", {}, {}};
}

// A cancel reply is the session object: its id (given once) must be the one cancelled.
bool is_reply_about(std::string_view body, std::string_view id) {
    top_level_scalars reply{"id"};
    if (!reply.parse(body) || reply.repeated()) return false;
    auto* got = reply.string_member("id");
    return got && *got == id;
}

}  // namespace

net::awaitable<reply> mint_session(http_server::request_context& ctx, gateway_services& s) {
    auto user = co_await authenticate_request(ctx, s);
    if (!user) co_return error_reply(ctx, {user.error().code, user.error().detail, {}, {}});
    const auto& who = **user;
    if (!has_json_or_no_body(ctx.req))
        co_return error_reply(ctx, {errc::unsupported_media_type, {}, {}, {}}, *user);
    auto request = parse_mint_request(ctx.req.body(), s.config.sessions);
    if (!request) co_return error_reply(ctx, http_server::api_error_of(request.error()), *user);
    // Only a mint that passed authentication and validation takes a token;
    // the daily quota comes after the rate limit (docs/operations.md).
    const auto admitted_at = s.state.now();
    auto admitted = co_await s.state.admit_mint(who.upstream_user_id, admitted_at);
    if (auto refused = refusal_of(admitted, s.metrics)) co_return error_reply(ctx, *refused, *user);

    const auto body = upstream_session_body(*request, who.upstream_user_id, who.who.claims);
    const auto started = steady::now();
    auto up = co_await s.chatkit.create_session(body, ctx.trace);
    result<minted> session;
    std::optional<api_error> failed = upstream_failure(up, who.upstream_user_id);
    if (!failed && !(session = read_session(up->body, who.upstream_user_id, unix_now())))
        failed = unusable_reply(s.metrics, "create_session", session.error());
    if (failed) {
        auto r = error_reply(ctx, *failed, *user);
        note_upstream(r, up, started);
        co_return r;
    }

    if (auto refused = co_await register_session(s, who.upstream_user_id, who.log_id, *session,
                                                 admitted_at, ctx.trace)) {
        auto r = error_reply(ctx, *refused, *user);
        note_upstream(r, up, started);
        co_return r;
    }
    reply r{http_server::make_json_response(http::status::ok,
                                            minted_body(*session, s.handles, who.upstream_user_id),
                                            ctx.req.version())};
    r.log.reserve(8);  // user, upstream_ms/_us/_status/_request_id, replaces_ignored, trace_id
    r.log.set("user", who.log_id);
    note_upstream(r, up, started);
    if (request->replaces) {
        auto old = s.handles.open(*request->replaces, who.upstream_user_id, unix_now());
        if (old.contents) {
            auto cancel = cancel_and_unregister(&s, old.contents->session_id, who.upstream_user_id,
                                                who.log_id, ctx.trace);
            // On this request's context, where its upstream pool lives; outlives the request.
            const auto here = co_await net::this_coro::executor;
            net::co_spawn(here, std::move(cancel), net::detached);
        } else {
            r.log.set("replaces_ignored", sessions::open_error_name(old.error));
        }
    }
    co_return r;
}

namespace {

net::awaitable<bool> cancelled_for_store(gateway_services* s, std::string user,
                                         std::string session_id) {
    auto cancel =
        cancel_upstream(s, std::move(session_id), std::move(user), observability::trace_context{});
    co_return !(co_await std::move(cancel)).has_value();
}

}  // namespace

// A plain function object (not a coroutine lambda, whose frame would refer
// to the closure): the coroutine holds its own copies of the arguments.
store::session_canceller session_canceller_for(gateway_services& s) {
    return [s = &s](std::string user, std::string session_id) {
        return cancelled_for_store(s, std::move(user), std::move(session_id));
    };
}

net::awaitable<reply> cancel_session(http_server::request_context& ctx, gateway_services& s) {
    auto user = co_await authenticate_request(ctx, s);
    if (!user) co_return error_reply(ctx, {user.error().code, user.error().detail, {}, {}});
    // Tampered, foreign, other user's and expired handles all look the same: 404.
    auto opened =
        s.handles.open(ctx.param("session_handle"), (*user)->upstream_user_id, unix_now());
    if (!opened.contents)
        co_return error_reply(
            ctx,
            {errc::not_found,
             std::string("handle ") + std::string(sessions::open_error_name(opened.error)),
             {},
             {},
             "Session handle not found: it is malformed, expired or not yours."},
            *user);
    const auto started = steady::now();
    auto up = co_await s.chatkit.cancel_session(opened.contents->session_id, ctx.trace);
    auto failed = upstream_failure(up, (*user)->upstream_user_id);
    if (failed && up && up->status == 404)
        failed.reset();  // already gone: cancelled all the same
    else if (!failed && !is_reply_about(up->body, opened.contents->session_id))
        failed =
            unusable_reply(s.metrics, "cancel_session",
                           {errc::upstream_error, "cancel reply not for this session", {}, {}});
    if (!failed)
        co_await s.state.remove_session((*user)->upstream_user_id, opened.contents->session_id);
    reply r = failed ? error_reply(ctx, *failed, *user)
                     : reply{http_server::make_json_response(
                           http::status::ok, {{"cancelled", true}}, ctx.req.version())};
    r.log.set("user", (*user)->log_id);
    note_upstream(r, up, started);
    co_return r;
}

}  // namespace ckg::api
