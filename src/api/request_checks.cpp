#include "chatkit_gateway/api/request_checks.hpp"

#include <chrono>
#include <iterator>

namespace ckg::api {

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

namespace {

// Every Cookie field of the request as one list ("; " between fields), so
// that the auth cookie is seen whichever field carries it, and seen twice
// when two do (auth/credentials.hpp). `joined` holds the text when there is
// more than one field.
std::string_view cookies_of(const http_server::request& req, std::string& joined) {
    const auto [first, last] = req.equal_range(http::field::cookie);
    if (first == last) return {};
    if (std::next(first) == last) return first->value();
    for (auto it = first; it != last; ++it) {
        if (!joined.empty()) joined += "; ";
        joined += it->value();
    }
    return joined;
}

}  // namespace

net::awaitable<result<user_ptr>> authenticate_request(const http_server::request_context& ctx,
                                                      gateway_services& s) {
    const auto& req = ctx.req;
    const auto found = req.find(http::field::authorization);
    const bool has_authorization = found != req.end();
    std::string_view authorization;
    if (has_authorization) authorization = found->value();
    std::string joined_cookies;
    const std::string_view cookie = cookies_of(req, joined_cookies);
    // Two Authorization fields: which one counts would depend on who reads
    // the request, so neither does.
    auto now =
        req.count(http::field::authorization) > 1
            ? std::optional(auth::authentication{auth::auth_status::ambiguous_token, {}, {}, 0})
            : s.auth.authenticate_now(authorization, has_authorization, cookie, unix_now());
    if (!now) {
        // Named locals, not temporaries: g++ 12 destroys temporaries of a
        // conditional expression twice when the statement also co_awaits.
        std::string authorization_copy(authorization), cookie_copy(cookie);
        now = co_await s.auth.authenticate(std::move(authorization_copy), has_authorization,
                                           std::move(cookie_copy), unix_now());
    }
    // The reason label comes from the typed outcome (auth/auth_status.hpp).
    if (!*now) s.metrics.record_auth_failure(auth::status_name(now->status));
    auto user = now->as_result();
    if (user && s.state.blocked_until((*user)->upstream_user_id, s.state.now())) {
        s.metrics.record_blocked_request();
        co_return failure{errc::user_blocked, "user " + (*user)->log_id + " is blocked"};
    }
    co_return user;
}

bool has_json_or_no_body(const http_server::request& req) {
    if (req.body().empty()) return true;
    // Content-Type is a singleton (RFC 9110, 8.3): given twice, the body
    // has no one media type, whichever a reader would pick.
    if (req.count(http::field::content_type) != 1) return false;
    return is_json_media_type(req[http::field::content_type]);
}

http_server::reply error_reply(const http_server::request_context& ctx,
                               const http_server::api_error& e, const user_ptr& user) {
    auto r = http_server::make_error_reply(e, ctx.req.version());
    if (user) r.log.set("user", user->log_id);
    return r;
}

}  // namespace ckg::api
