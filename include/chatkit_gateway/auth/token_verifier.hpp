// Verifies an end-user token against the configured issuers: every check of
// docs/auth.md, as a pure function of the token, the issuers' current keys
// and `now` (jwt_verify_lib's verifyJwt(jwt, jwks, now) shape). The outcome
// is typed (auth_status), and names the issuer when the token got that far.
#pragma once

#include "chatkit_gateway/auth/auth_status.hpp"
#include "chatkit_gateway/auth/key_set.hpp"
#include "chatkit_gateway/config/config.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckg::auth {

struct issuer_entry {
    const config::issuer_config* config = nullptr;
    std::shared_ptr<const key_set> keys;
    std::uint64_t generation = 0;  // bumped each time this issuer's keys are replaced
};

// The largest exp, nbf or iat accepted: 2^53 - 1, the largest integer a
// JSON number carries exactly everywhere (RFC 8259 section 6). Any sum with
// the leeway (itself clamped to this) stays far from int64 overflow.
inline constexpr std::int64_t max_numeric_date = (std::int64_t{1} << 53) - 1;

// Who the caller is, once every check passed.
struct principal {
    std::string issuer;
    std::string user;  // the configured user claim's value
    boost::json::object claims;
    std::int64_t expires_at = 0;
};

struct verification {
    auth_status status = auth_status::ok;
    principal who;  // when ok
    // Index into `issuers` of the configured issuer the token names, once
    // found: the unknown-kid refetch acts on it without parsing again.
    std::optional<std::size_t> issuer_index;

    explicit operator bool() const noexcept { return status == auth_status::ok; }
};

verification verify_token(std::string_view token, const std::vector<issuer_entry>& issuers,
                          std::int64_t now, std::chrono::seconds leeway);

}  // namespace ckg::auth
