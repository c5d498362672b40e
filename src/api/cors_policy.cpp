#include "chatkit_gateway/api/cors_policy.hpp"

#include "chatkit_gateway/http/error_response.hpp"

#include <algorithm>

namespace ckg::api {

std::optional<std::string_view> cors_policy::allowed_origin(
    const http_server::request_header& req) const {
    const auto it = req.find(http::field::origin);
    // A browser sends one; two are no origin this gateway allows.
    if (it == req.end() || req.count(http::field::origin) != 1) return std::nullopt;
    const std::string_view origin = it->value();
    const auto& list = cors_.allowed_origins;
    const bool allowed =
        std::any_of(list.begin(), list.end(), [&](const auto& p) { return p.matches(origin); });
    if (!allowed) return std::nullopt;
    return origin;
}

bool cors_policy::refuses(const http_server::request_header& req) const {
    const bool has_origin = req.find(http::field::origin) != req.end();
    const bool state_changing =
        req.method() == http::verb::post || req.method() == http::verb::delete_;
    return has_origin && state_changing && !allowed_origin(req);
}

void cors_policy::decorate(const http_server::request_header& req,
                           http_server::response& res) const {
    const auto origin = allowed_origin(req);
    if (!origin) return;
    res.set(http::field::access_control_allow_origin, *origin);
    // So that a page can read them (docs/api.md, "CORS"): a 429/503's wait and the id to quote.
    res.set(http::field::access_control_expose_headers, "Retry-After, X-Request-Id");
    if (cookie_auth_) res.set(http::field::access_control_allow_credentials, "true");
}

http_server::reply cors_policy::preflight(const http_server::request_header& req,
                                          std::string_view allow) const {
    http_server::response res{http::status::no_content, req.version()};
    if (req.find(http::field::origin) == req.end()) {
        // A plain OPTIONS: what the path supports, OPTIONS included, as its 405 says.
        res.set(http::field::allow, std::string(allow).append(", OPTIONS"));
        return http_server::reply{std::move(res)};
    }
    if (!allowed_origin(req))
        return http_server::make_error_reply(
            {errc::origin_not_allowed, "preflight from a disallowed origin", {}, {}},
            req.version());
    res.set(http::field::access_control_allow_methods, allow);
    res.set(http::field::access_control_allow_headers, "Authorization, Content-Type, X-Request-Id");
    res.set(http::field::access_control_max_age, std::to_string(cors_.max_age.count()));
    return http_server::reply{std::move(res)};
}

}  // namespace ckg::api
