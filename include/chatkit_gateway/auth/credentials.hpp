// Finds the end user's token in a request (docs/auth.md): the
// Authorization header wins; the auth cookie is used only when there is no
// header. No header and no cookie is missing_token; the cookie named twice
// is ambiguous_token; anything else that is not "Bearer <token68>" is
// invalid_token.
#pragma once

#include "chatkit_gateway/auth/auth_status.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace ckg::auth {

// Finds the token: locate_token fills `out` (or returns missing_token, or
// not_bearer for a non-Bearer header), check_token_syntax then requires
// token68 (malformed otherwise). Two steps, so that a token already verified
// (and cached) skips the byte-by-byte syntax check.
struct located_token {
    std::string_view token;
    bool from_cookie = false;
};
auth_status locate_token(std::string_view authorization, bool has_authorization,
                         std::string_view cookie_header,
                         const std::optional<std::string>& cookie_name, located_token& out);
auth_status check_token_syntax(const located_token& t);

// The value of one cookie in a Cookie header (RFC 6265 section 5.4), if present.
std::optional<std::string_view> find_cookie(std::string_view cookie_header, std::string_view name);

}  // namespace ckg::auth
