#include "chatkit_gateway/api/request_checks.hpp"

#include "chatkit_gateway/observability/redaction.hpp"

#include <chrono>

namespace ckg::api {

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

net::awaitable<result<user_ptr>> authenticate_request(const http_server::request_context& ctx, gateway_services& s) {
    const auto& req = ctx.req;
    const auto authorization = req.find(http::field::authorization);
    const bool has_authorization = authorization != req.end();
    co_return co_await s.auth.authenticate(has_authorization ? std::string(authorization->value()) : std::string(),
                                           has_authorization, std::string(req[http::field::cookie]), unix_now());
}

bool has_json_or_no_body(const http_server::request& req) {
    if (req.body().empty()) return true;
    std::string_view type = req[http::field::content_type];
    type = type.substr(0, type.find(';'));
    while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
    return beast::iequals(type, "application/json");
}

http_server::reply error_reply(const http_server::request_context& ctx, const http_server::api_error& e,
                               const user_ptr& user) {
    auto r = http_server::make_error_reply(e, ctx.req.version());
    if (user) r.log["user"] = observability::user_hash(user->upstream_user_id);
    return r;
}

}  // namespace ckg::api
