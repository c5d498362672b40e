// Finds the end user's token in a request (SPEC section 7): the
// Authorization header wins; the auth cookie is used only when there is no
// header. No header and no cookie is missing_token; anything else that is not
// "Bearer <token68>" is invalid_token.
#pragma once

#include "chatkit_gateway/core/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace ckg::auth {

result<std::string_view> extract_token(std::string_view authorization, bool has_authorization,
                                       std::string_view cookie_header,
                                       const std::optional<std::string>& cookie_name);

// The value of one cookie in a Cookie header (RFC 6265 section 5.4), if present.
std::optional<std::string_view> find_cookie(std::string_view cookie_header, std::string_view name);

}  // namespace ckg::auth
