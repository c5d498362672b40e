#include "chatkit_gateway/http/error_response.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace ckg::http_server {
namespace {

struct error_entry {
    http::status status;
    std::string_view message;
};

error_entry entry_of(errc code) noexcept {
    using s = http::status;
    switch (code) {
        case errc::invalid_request:
            return {s::bad_request,
                    "The request is not well-formed HTTP/1.1: check its request line, framing "
                    "headers and line ends (CRLF)."};
        case errc::missing_token:
            return {s::unauthorized,
                    "This request needs a token: send \"Authorization: Bearer <JWT>\"."};
        case errc::invalid_token:
            return {s::unauthorized,
                    "The token was not accepted (malformed, expired or not issued for this "
                    "gateway); sign in again."};
        case errc::origin_not_allowed:
            return {s::forbidden,
                    "This page's origin is not in the gateway's cors.allowed_origins."};
        case errc::not_found:
            return {s::not_found,
                    "Not found: no route has this path, or the resource does not exist or is not "
                    "yours."};
        case errc::method_not_allowed:
            return {s::method_not_allowed,
                    "This method is not allowed on this path; the Allow header lists the methods "
                    "it supports."};
        case errc::request_timeout:
            return {s::request_timeout, "The request was not received in time."};
        case errc::body_too_large:
            return {s::payload_too_large,
                    "The request body is larger than the gateway accepts (on the public API: "
                    "server.max_body_bytes)."};
        case errc::unsupported_media_type:
            return {s::unsupported_media_type,
                    "The request body must be JSON, sent with \"Content-Type: application/json\"."};
        case errc::rate_limited:
            return {
                s::too_many_requests,
                "Too many sessions were requested for this user; retry after Retry-After seconds."};
        case errc::headers_too_large:
            return {s::request_header_fields_too_large,
                    "The request headers are larger than the gateway accepts."};
        case errc::internal_error:
            return {s::internal_server_error,
                    "An internal error occurred; the gateway's log names it under this response's "
                    "X-Request-Id."};
        case errc::upstream_error:
            return {s::bad_gateway,
                    "The ChatKit API returned an error or a reply the gateway could not read."};
        case errc::overloaded:
            return {s::service_unavailable,
                    "The gateway is overloaded; retry after Retry-After seconds."};
        case errc::upstream_unavailable:
            return {s::service_unavailable,
                    "The ChatKit API is unavailable; retry after Retry-After seconds."};
        case errc::upstream_timeout:
            return {s::gateway_timeout, "The ChatKit API did not answer in time."};
        case errc::user_blocked:
            return {s::forbidden, "This user is blocked."};
        case errc::quota_exceeded:
            return {s::too_many_requests,
                    "The daily session quota is used up; retry after midnight UTC."};
        case errc::store_unavailable:
            return {s::service_unavailable, "The shared state store is unavailable; retry later."};
    }
    return {s::internal_server_error,
            "An internal error occurred; the gateway's log names it under this response's "
            "X-Request-Id."};
}

}  // namespace

http::status status_of(errc code) noexcept {
    return entry_of(code).status;
}

response make_json_response(http::status status, const boost::json::value& body,
                            unsigned http_version) {
    return make_json_response(status, boost::json::serialize(body), http_version);
}

response make_json_response(http::status status, std::string json_text, unsigned http_version) {
    response res{status, http_version};
    res.set(http::field::content_type, "application/json; charset=utf-8");
    res.body() = std::move(json_text);
    res.prepare_payload();
    return res;
}

api_error api_error_of(const failure& f) {
    api_error e{f.code, f.detail};
    e.message = f.message;
    e.param = f.param;
    return e;
}

response make_error_response(const api_error& error, unsigned http_version) {
    const auto entry = entry_of(error.code);
    boost::json::object inner{{"code", errc_code(error.code)},
                              {"message", error.message.empty() ? entry.message : error.message}};
    // "param" only on a 400 that one field, query parameter or path segment caused.
    if (error.code == errc::invalid_request && !error.param.empty()) inner["param"] = error.param;
    boost::json::value body = {{"error", std::move(inner)}};
    auto res = make_json_response(entry.status, body, http_version);
    if (error.code == errc::missing_token) res.set(http::field::www_authenticate, "Bearer");
    if (error.code == errc::invalid_token)
        res.set(http::field::www_authenticate, "Bearer error=\"invalid_token\"");
    if (error.code == errc::method_not_allowed) res.set(http::field::allow, error.allow);
    if (entry.status == http::status::service_unavailable || error.code == errc::rate_limited ||
        error.code == errc::quota_exceeded) {
        const auto seconds = std::max<std::chrono::seconds::rep>(
            1, error.retry_after.value_or(std::chrono::seconds(1)).count());
        res.set(http::field::retry_after, std::to_string(seconds));
    }
    return res;
}

reply make_error_reply(const api_error& error, unsigned http_version) {
    reply r{make_error_response(error, http_version), after_reply::keep_alive, {}};
    r.log.set("error", errc_code(error.code));
    if (!error.log_detail.empty()) r.log.set("reason", error.log_detail);
    return r;
}

}  // namespace ckg::http_server
