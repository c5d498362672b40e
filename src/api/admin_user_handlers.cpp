#include "chatkit_gateway/api/admin_user_handlers.hpp"

#include "chatkit_gateway/api/admin_request.hpp"
#include "chatkit_gateway/api/request_checks.hpp"
#include "chatkit_gateway/api/upstream_errors.hpp"
#include "chatkit_gateway/auth/credentials.hpp"
#include "chatkit_gateway/auth/user_id.hpp"
#include "chatkit_gateway/observability/logger.hpp"
#include "chatkit_gateway/observability/redaction.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace ckg::api {
namespace {

using http_server::api_error;
using http_server::reply;
using http_server::request_context;
using namespace net::experimental::awaitable_operators;

// Cancels run a few at a time: a user with many sessions must not take the
// whole upstream pool of this context (docs/operations.md).
constexpr int revoke_parallelism = 4;

std::array<unsigned char, 32> sha256(std::string_view text) {
    std::array<unsigned char, 32> digest{};
    unsigned int len = 0;
    EVP_Digest(text.data(), text.size(), digest.data(), &len, EVP_sha256(), nullptr);
    return digest;
}

reply answer(const request_context& ctx, const boost::json::object& body) {
    return reply{http_server::make_json_response(http::status::ok, body, ctx.req.version())};
}

reply refuse(const request_context& ctx, const failure& f) {
    api_error e{f.code, f.detail, std::nullopt, {}};
    if (f.code == errc::invalid_request) e.message = f.detail;
    if (f.code == errc::store_unavailable) e.retry_after = std::chrono::seconds(1);
    return http_server::make_error_reply(e, ctx.req.version());
}

// A revocation whose time Redis would not note (it refuses writes): the
// sessions a replica recorded while it could not write to Redis reach the
// registry later, and only a revocation noted meanwhile cancels them. The
// cancels it could make are made (a retry finds them gone, 404 counting
// as cancelled); the answer says what is left to do.
reply refuse_unnoted(const request_context& ctx, std::size_t cancelled, std::size_t failed) {
    api_error e{errc::store_unavailable, "revocation time not noted", std::chrono::seconds(1), {}};
    e.message = std::string("Redis refused to note the revocation; ");
    e.message += std::to_string(cancelled) + " listed sessions were cancelled and " +
                 std::to_string(failed) +
                 " could not be, but sessions a replica recorded while it could not write to "
                 "Redis may stay live. Revoke again once Redis accepts writes.";
    return http_server::make_error_reply(e, ctx.req.version());
}

// A revoke past the bounds of gateway_services::revocations: refused at
// once, so that it holds no admin connection while others run.
reply refuse_busy(const request_context& ctx, const user_slots& slots, user_slots::refusal why) {
    api_error e{errc::overloaded, "revocations busy", std::chrono::seconds(1), {}};
    e.message = why == user_slots::refusal::per_user
                    ? "A revocation of this user is already running on this replica; its "
                      "answer says what it cancelled."
                    : std::to_string(slots.total()) +
                          " revocations are already running on this replica; retry after "
                          "Retry-After seconds.";
    return http_server::make_error_reply(e, ctx.req.version());
}

boost::json::value until_json(std::optional<std::int64_t> until) {
    return until ? boost::json::value(*until) : boost::json::value(nullptr);
}

// The shared state of one revocation: the sessions to cancel and the tallies.
struct revocation {
    gateway_services& s;
    std::string user;
    std::vector<store::live_session> sessions;
    std::size_t next = 0, cancelled = 0, failed = 0;
};

// Takes sessions from the list until none is left; each cancel runs with the
// upstream client's deadlines and retries. A 404 means already gone.
net::awaitable<void> cancel_worker(std::shared_ptr<revocation> job) {
    while (job->next < job->sessions.size()) {
        const auto id = job->sessions[job->next++].session_id;
        auto up = co_await job->s.chatkit.cancel_session(id);
        const auto e = upstream_failure(up, job->user);
        if (e && !(up && up->status == 404)) {
            ++job->failed;
            continue;
        }
        ++job->cancelled;
        co_await job->s.state.remove_session(job->user, id);
    }
}

net::awaitable<void> cancel_all(std::shared_ptr<revocation> job) {
    static_assert(revoke_parallelism == 4);
    co_await (cancel_worker(job) && cancel_worker(job) && cancel_worker(job) && cancel_worker(job));
}

// Every admin request leaves one line: method, route, status, hashed user.
reply logged(const request_context& ctx, std::string_view route, const std::string& user, reply r) {
    boost::json::object fields{{"method", std::string(ctx.req.method_string())},
                               {"route", std::string(route)},
                               {"status", static_cast<unsigned>(r.res.result_int())}};
    if (!user.empty()) fields["user"] = observability::user_hash(user);
    if (const auto* reason = r.log.text("reason")) fields["reason"] = *reason;
    observability::log_info("admin request", std::move(fields));
    return r;
}

std::string upstream_id(const gateway_services& s, const admin_user_request& r) {
    return auth::upstream_user_id(s.config.users, r.issuer, r.user);
}

net::awaitable<reply> revoke(request_context& ctx, gateway_services& s, std::string& user) {
    auto req = parse_admin_body(ctx.req.body(), admin_body_kind::revoke, s.config.auth);
    if (!req) co_return refuse(ctx, req.error());
    user = upstream_id(s, *req);
    auto running = s.revocations.take(user);
    if (!running.held) co_return refuse_busy(ctx, s.revocations, running.why);
    // The block goes first: a mint still in flight then either is in the
    // list below or finds the block when it records its session, and
    // cancels it itself (store/shared_state.hpp, add_session).
    std::optional<std::int64_t> until;
    if (req->block_seconds > 0) {
        auto blocked = co_await s.state.block(user, req->block_seconds, s.state.now());
        if (!blocked) co_return refuse(ctx, blocked.error());
        until = *blocked;
    }
    // Noted before the list is read: a replica that recorded sessions in
    // process while Redis failed cancels those minted before now when it
    // writes them back (docs/operations.md, "When Redis fails"). A Redis
    // that refuses writes (full, OOM) does not stop the cancels the list
    // allows, but the revocation is then not whole: answered 503 after them
    // where replicas record sessions in process (on_error local; under
    // refuse none does, and the list is whole).
    auto noted = co_await s.state.note_revocation(user, s.state.now());
    if (!noted)
        observability::log_warn(
            "revocation time not noted; cancelling what the registry lists",
            {{"user", observability::user_hash(user)}, {"reason", noted.error().detail}});
    auto sessions = co_await s.state.sessions_of(user, s.state.now());
    if (!sessions) co_return refuse(ctx, sessions.error());
    auto job = std::make_shared<revocation>(revocation{s, user, std::move(*sessions)});
    co_await cancel_all(job);
    s.metrics.record_revocation(job->cancelled, job->failed);
    const bool recorded_in_process =
        s.config.redis && s.config.redis->on_error == config::store_error_policy::local;
    if (!noted && recorded_in_process) co_return refuse_unnoted(ctx, job->cancelled, job->failed);
    co_return answer(ctx, {{"user", user},
                           {"cancelled", job->cancelled},
                           {"failed", job->failed},
                           {"blocked_until", until_json(until)}});
}

net::awaitable<reply> unblock(request_context& ctx, gateway_services& s, std::string& user) {
    auto req = parse_admin_body(ctx.req.body(), admin_body_kind::unblock, s.config.auth);
    if (!req) co_return refuse(ctx, req.error());
    user = upstream_id(s, *req);
    auto cleared = co_await s.state.unblock(user, s.state.now());
    if (!cleared) co_return refuse(ctx, cleared.error());
    co_return answer(ctx, {{"user", user}, {"blocked_until", nullptr}});
}

net::awaitable<reply> status(request_context& ctx, gateway_services& s, std::string& user) {
    auto req = parse_admin_query(ctx.query, s.config.auth);
    if (!req) co_return refuse(ctx, req.error());
    user = upstream_id(s, *req);
    auto st = co_await s.state.status(user, s.state.now());
    if (!st) co_return refuse(ctx, st.error());
    co_return answer(ctx, {{"user", user},
                           {"blocked_until", until_json(st->blocked_until)},
                           {"live_sessions", st->live_sessions},
                           {"sessions_today", st->sessions_today}});
}

// `user` receives the upstream user id once known, for the log line.
using admin_endpoint = net::awaitable<reply> (*)(request_context&, gateway_services&,
                                                 std::string& user);

// The token first: without it nothing about the request is looked at. Two
// Authorization fields are refused, as on the public API: which one counts
// would depend on who reads them (a proxy in front may read the other).
net::awaitable<reply> guarded(request_context& ctx, gateway_services& s, admin_endpoint handler,
                              std::string_view route) {
    const auto found = ctx.req.find(http::field::authorization);
    if (found == ctx.req.end() || ctx.req.count(http::field::authorization) > 1 ||
        !admin_token_matches(found->value(), s.config.admin.token->reveal()))
        co_return logged(
            ctx, route, {},
            http_server::make_error_reply(
                {errc::invalid_token, "admin token missing or wrong", {}, {}}, ctx.req.version()));
    std::string user;
    reply r = co_await handler(ctx, s, user);
    co_return logged(ctx, route, user, std::move(r));
}

}  // namespace

bool admin_token_matches(std::string_view authorization, std::string_view token) {
    // The same "Bearer <token>" reading as the public API's (the scheme is
    // case-insensitive, RFC 9110 section 11.1).
    auth::located_token found;
    if (auth::locate_token(authorization, true, {}, std::nullopt, found) != auth::auth_status::ok ||
        found.token.empty())
        return false;
    const auto given = sha256(found.token);
    const auto expected = sha256(token);
    return CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

void add_admin_user_routes(http_server::router& r, gateway_services& services) {
    if (!services.config.admin.token) return;
    auto* s = &services;
    struct entry {
        http::verb method;
        const char* path;
        admin_endpoint handler;
    };
    static constexpr entry routes[] = {{http::verb::post, "/admin/v1/users/revoke", &revoke},
                                       {http::verb::post, "/admin/v1/users/unblock", &unblock},
                                       {http::verb::get, "/admin/v1/users/status", &status}};
    for (const auto& e : routes) {
        auto handler = e.handler;
        std::string_view route = e.path;
        r.add(e.method, e.path, [s, handler, route](request_context& ctx) {
            return guarded(ctx, *s, handler, route);
        });
    }
}

}  // namespace ckg::api
