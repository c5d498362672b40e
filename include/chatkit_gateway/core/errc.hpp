// The single list of failures a request can end in. Every room reports its
// failures as one of these; http/error_response.cpp is the one place that
// turns them into a status code and a public message.
#pragma once

#include <string_view>
#include <system_error>

namespace ckg {

enum class errc {
    invalid_request = 1,     // 400
    missing_token,           // 401
    invalid_token,           // 401
    origin_not_allowed,      // 403
    user_blocked,            // 403 (admin API block, docs/operations.md)
    not_found,               // 404
    method_not_allowed,      // 405
    request_timeout,         // 408
    body_too_large,          // 413
    unsupported_media_type,  // 415
    rate_limited,            // 429
    quota_exceeded,          // 429 (daily mint quota)
    headers_too_large,       // 431
    internal_error,          // 500
    upstream_error,          // 502
    overloaded,              // 503
    upstream_unavailable,    // 503
    upstream_timeout,        // 504
    store_unavailable,       // 503 (shared store failed, redis.on_error "refuse")
};

const std::error_category& gateway_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), gateway_category()};
}

// The stable machine-readable code of docs/api.md ("invalid_request", ...).
std::string_view errc_code(errc e) noexcept;

}  // namespace ckg

template <>
struct std::is_error_code_enum<ckg::errc> : std::true_type {};
