#include "chatkit_gateway/core/errc.hpp"

#include <string>

namespace ckg {

std::string_view errc_code(errc e) noexcept {
    switch (e) {
        case errc::invalid_request:
            return "invalid_request";
        case errc::missing_token:
            return "missing_token";
        case errc::invalid_token:
            return "invalid_token";
        case errc::origin_not_allowed:
            return "origin_not_allowed";
        case errc::not_found:
            return "not_found";
        case errc::method_not_allowed:
            return "method_not_allowed";
        case errc::request_timeout:
            return "request_timeout";
        case errc::body_too_large:
            return "body_too_large";
        case errc::unsupported_media_type:
            return "unsupported_media_type";
        case errc::rate_limited:
            return "rate_limited";
        case errc::headers_too_large:
            return "headers_too_large";
        case errc::internal_error:
            return "internal_error";
        case errc::upstream_error:
            return "upstream_error";
        case errc::overloaded:
            return "overloaded";
        case errc::upstream_unavailable:
            return "upstream_unavailable";
        case errc::upstream_timeout:
            return "upstream_timeout";
        case errc::user_blocked:
            return "user_blocked";
        case errc::quota_exceeded:
            return "quota_exceeded";
        case errc::store_unavailable:
            return "store_unavailable";
    }
    return "internal_error";
}

namespace {

class gateway_error_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "chatkit_gateway"; }
    std::string message(int ev) const override {
        return std::string(errc_code(static_cast<errc>(ev)));
    }
};

}  // namespace

const std::error_category& gateway_category() noexcept {
    static const gateway_error_category category;
    return category;
}

}  // namespace ckg
