// The upstream user id of docs/api.md: "plain" sends prefix + the user
// claim; "hmac" sends prefix + lowercase hex HMAC-SHA256(key, issuer "\n"
// claim), so no personal data goes upstream and two issuers never collide.
#pragma once

#include "chatkit_gateway/config/config.hpp"

#include <string>
#include <string_view>

namespace ckg::auth {

std::string upstream_user_id(const config::users_config& users, std::string_view issuer,
                             std::string_view user);

// Lowercase hex of HMAC-SHA256(key, message).
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

}  // namespace ckg::auth
