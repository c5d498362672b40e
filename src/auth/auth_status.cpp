#include "chatkit_gateway/auth/auth_status.hpp"

namespace ckg::auth {

std::string_view status_name(auth_status s) noexcept {
    switch (s) {
        case auth_status::ok:
            return "ok";
        case auth_status::missing_token:
            return "missing_token";
        case auth_status::not_bearer:
            return "not_bearer";
        case auth_status::ambiguous_token:
            return "ambiguous_token";
        case auth_status::malformed:
            return "malformed";
        case auth_status::unsupported_alg:
            return "unsupported_alg";
        case auth_status::forbidden_header:
            return "forbidden_header";
        case auth_status::unknown_issuer:
            return "unknown_issuer";
        case auth_status::alg_not_allowed:
            return "alg_not_allowed";
        case auth_status::unknown_kid:
            return "unknown_kid";
        case auth_status::bad_signature:
            return "bad_signature";
        case auth_status::missing_exp:
            return "missing_exp";
        case auth_status::invalid_date:
            return "invalid_date";
        case auth_status::expired:
            return "expired";
        case auth_status::not_yet_valid:
            return "not_yet_valid";
        case auth_status::issued_in_future:
            return "issued_in_future";
        case auth_status::wrong_audience:
            return "wrong_audience";
        case auth_status::missing_user_claim:
            return "missing_user_claim";
    }
    return "unknown";
}

errc error_code_of(auth_status s) noexcept {
    return s == auth_status::missing_token ? errc::missing_token : errc::invalid_token;
}

}  // namespace ckg::auth
