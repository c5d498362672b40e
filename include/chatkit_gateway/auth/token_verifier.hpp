// Verifies an end-user token against the configured issuers: every check of
// SPEC section 4, as a pure function of the token, the issuers' current keys
// and `now` (jwt_verify_lib's verifyJwt(jwt, jwks, now) shape). On failure
// the detail is one of the stable reason names below, for logs and metrics.
#pragma once

#include "chatkit_gateway/auth/key_set.hpp"
#include "chatkit_gateway/config/config.hpp"
#include "chatkit_gateway/core/result.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ckg::auth {

// Reasons (failure::detail) a token is refused; a bounded set of labels.
namespace reason {
inline constexpr std::string_view malformed =
    "malformed";  // parse_jwt's reasons are folded into this
inline constexpr std::string_view unknown_issuer = "unknown_issuer";
inline constexpr std::string_view alg_not_allowed = "alg_not_allowed";
inline constexpr std::string_view unknown_kid = "unknown_kid";
inline constexpr std::string_view bad_signature = "bad_signature";
inline constexpr std::string_view missing_exp = "missing_exp";
inline constexpr std::string_view expired = "expired";
inline constexpr std::string_view not_yet_valid = "not_yet_valid";
inline constexpr std::string_view issued_in_future = "issued_in_future";
inline constexpr std::string_view wrong_audience = "wrong_audience";
inline constexpr std::string_view missing_user_claim = "missing_user_claim";
inline constexpr std::string_view not_bearer =
    "not_bearer";  // credentials.cpp: Authorization without "Bearer "
}  // namespace reason

struct issuer_entry {
    const config::issuer_config* config = nullptr;
    std::shared_ptr<const key_set> keys;
};

// Who the caller is, once every check passed.
struct principal {
    std::string issuer;
    std::string user;  // the configured user claim's value
    boost::json::object claims;
    std::int64_t expires_at = 0;
};

result<principal> verify_token(std::string_view token, const std::vector<issuer_entry>& issuers,
                               std::int64_t now, std::chrono::seconds leeway);

}  // namespace ckg::auth
