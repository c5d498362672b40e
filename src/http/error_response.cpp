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
        case errc::invalid_request: return {s::bad_request, "The request is malformed or has an invalid parameter."};
        case errc::missing_token: return {s::unauthorized, "A bearer token is required."};
        case errc::invalid_token: return {s::unauthorized, "The bearer token is invalid or expired."};
        case errc::origin_not_allowed: return {s::forbidden, "This origin is not allowed."};
        case errc::not_found: return {s::not_found, "The requested resource was not found."};
        case errc::method_not_allowed: return {s::method_not_allowed, "This method is not allowed on this resource."};
        case errc::request_timeout: return {s::request_timeout, "The request was not received in time."};
        case errc::body_too_large: return {s::payload_too_large, "The request body is too large."};
        case errc::unsupported_media_type: return {s::unsupported_media_type, "The request body must be application/json."};
        case errc::rate_limited: return {s::too_many_requests, "Too many sessions were requested; retry later."};
        case errc::headers_too_large: return {s::request_header_fields_too_large, "The request headers are too large."};
        case errc::internal_error: return {s::internal_server_error, "An internal error occurred."};
        case errc::upstream_error: return {s::bad_gateway, "The upstream service returned an error."};
        case errc::overloaded: return {s::service_unavailable, "The service is overloaded; retry later."};
        case errc::upstream_unavailable: return {s::service_unavailable, "The upstream service is unavailable; retry later."};
        case errc::upstream_timeout: return {s::gateway_timeout, "The upstream service did not answer in time."};
        case errc::user_blocked: return {s::forbidden, "This user is blocked."};
        case errc::quota_exceeded: return {s::too_many_requests, "The daily session quota is used up; retry after midnight UTC."};
        case errc::store_unavailable: return {s::service_unavailable, "The shared state store is unavailable; retry later."};
    }
    return {s::internal_server_error, "An internal error occurred."};
}

}  // namespace

http::status status_of(errc code) noexcept { return entry_of(code).status; }

response make_json_response(http::status status, const boost::json::value& body, unsigned http_version) {
    return make_json_response(status, boost::json::serialize(body), http_version);
}

response make_json_response(http::status status, std::string json_text, unsigned http_version) {
    response res{status, http_version};
    res.set(http::field::content_type, "application/json; charset=utf-8");
    res.body() = std::move(json_text);
    res.prepare_payload();
    return res;
}

response make_error_response(const api_error& error, unsigned http_version) {
    const auto entry = entry_of(error.code);
    const std::string_view message = error.public_message.empty() ? entry.message : std::string_view(error.public_message);
    boost::json::value body = {{"error", {{"code", errc_code(error.code)}, {"message", message}}}};
    auto res = make_json_response(entry.status, body, http_version);
    if (error.code == errc::missing_token) res.set(http::field::www_authenticate, "Bearer");
    if (error.code == errc::invalid_token)
        res.set(http::field::www_authenticate, "Bearer error=\"invalid_token\"");
    if (error.code == errc::method_not_allowed) res.set(http::field::allow, error.allow);
    if (entry.status == http::status::service_unavailable || error.code == errc::rate_limited ||
        error.code == errc::quota_exceeded) {
        const auto seconds = std::max<std::chrono::seconds::rep>(1, error.retry_after.value_or(std::chrono::seconds(1)).count());
        res.set(http::field::retry_after, std::to_string(seconds));
    }
    return res;
}

reply make_error_reply(const api_error& error, unsigned http_version) {
    reply r{make_error_response(error, http_version), after_reply::keep_alive, {}};
    r.log["error"] = errc_code(error.code);
    if (!error.log_detail.empty()) r.log["reason"] = error.log_detail;
    return r;
}

}  // namespace ckg::http_server
