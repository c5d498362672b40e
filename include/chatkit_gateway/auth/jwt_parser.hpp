// Splits and decodes a compact JWS (RFC 7515 section 7.1) and applies the
// header rules of RFC 8725 before any key is touched: size limit, a known
// "alg" (never "none"), no "crit" (no extension is understood), and no
// key-carrying or key-locating header ("jku", "x5u", "jwk", "x5c"), which are
// refused rather than ignored so that nobody can think they are honoured.
#pragma once

#include "chatkit_gateway/auth/auth_status.hpp"
#include "chatkit_gateway/auth/jws_algorithm.hpp"

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace ckg::auth {

constexpr std::size_t max_token_bytes = 8192;

struct parsed_jwt {
    jws_algorithm alg = jws_algorithm::rs256;
    std::optional<std::string> kid;
    boost::json::object header;
    boost::json::object claims;
    std::string_view signing_input;  // header.payload, a view into the token
    std::string signature;           // decoded bytes
};

// Fills `out` and returns ok, or returns why the token is refused
// (malformed, unsupported_alg or forbidden_header); `out` is then unspecified.
auth_status parse_jwt(std::string_view token, parsed_jwt& out);

}  // namespace ckg::auth
