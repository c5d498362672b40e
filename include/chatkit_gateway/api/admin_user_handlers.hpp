// The admin API on the admin listener (docs/operations.md, "Admin API"):
// POST /admin/v1/users/revoke, POST /admin/v1/users/unblock and
// GET /admin/v1/users/status. Added only when admin.token_env is set (the
// routes are otherwise unknown: 404); every request needs the token as
// `Authorization: Bearer`, compared in constant time, and is logged with
// the hashed user, never the token.
#pragma once

#include "chatkit_gateway/api/gateway_services.hpp"
#include "chatkit_gateway/http/router.hpp"

namespace ckg::api {

// `services` must outlive the router; does nothing without an admin token.
void add_admin_user_routes(http_server::router& r, gateway_services& services);

// True when `authorization` is exactly "Bearer <token>" (constant time in
// the token's bytes: both sides are hashed and compared with CRYPTO_memcmp).
bool admin_token_matches(std::string_view authorization, std::string_view token);

}  // namespace ckg::api
