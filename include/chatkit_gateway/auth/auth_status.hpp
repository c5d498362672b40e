// Why an end user's token was refused: one typed value from the credential
// look-up through parsing and verification to the authenticator, like
// jwt_verify_lib's Status. Log reasons and the auth-failure metric label are
// its names (a bounded set); nothing parses a message back to learn it.
#pragma once

#include "chatkit_gateway/core/errc.hpp"

#include <cstdint>
#include <string_view>

namespace ckg::auth {

enum class auth_status : std::uint8_t {
    ok,               // every check passed
    missing_token,    // no Authorization header and no auth cookie
    not_bearer,       // an Authorization header that is not "Bearer <token>"
    ambiguous_token,  // two Authorization headers, or the auth cookie given twice: which one
                      // counts would depend on who reads the request, so neither does
    malformed,  // not token68, over 8 KiB, not three segments, bad base64url or JSON, a non-string
                // kid
    unsupported_alg,   // "alg" missing, "none", or outside the algorithms of docs/auth.md
    forbidden_header,  // "crit", or a key-carrying/locating header (jku, x5u, jwk, x5c): never
                       // honoured
    unknown_issuer,    // "iss" missing, not a string, or not a configured issuer
    alg_not_allowed,   // "alg" not in the issuer's algorithms list
    unknown_kid,  // no key of the issuer can verify this token: its kid names none, and no kid-less
                  // key fits alg
    bad_signature,       // candidate keys exist, and none verifies the signature
    missing_exp,         // no "exp" claim
    invalid_date,        // exp, nbf or iat not a JSON number from 0 to 2^53 - 1
    expired,             // exp + leeway is in the past
    not_yet_valid,       // nbf - leeway is in the future
    issued_in_future,    // iat - leeway is in the future
    wrong_audience,      // the audience claim is absent or matches no configured audience
    missing_user_claim,  // the user claim is absent, not a string, or empty
};

// The stable snake_case name, for logs and the reason label of
// chatkit_gateway_auth_failures_total.
std::string_view status_name(auth_status s) noexcept;

// The error class the HTTP layer maps to a status: missing_token for
// missing_token, invalid_token for every other refusal.
errc error_code_of(auth_status s) noexcept;

}  // namespace ckg::auth
