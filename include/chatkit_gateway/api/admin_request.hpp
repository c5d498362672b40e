// The inputs of the admin API's user routes (docs/operations.md, "Admin
// API"), checked without I/O: the configured issuer, a non-empty user, and
// block_seconds from 0 to 31,536,000. A failure's detail is the sentence
// the 400 answer and the admin log line carry: it names the field and what
// is wrong, and quotes nothing from the request, neither a value nor an
// unknown name: an operator's paste (the admin token, a key) in the wrong
// place must not reach the log.
#pragma once

#include "chatkit_gateway/config/config.hpp"
#include "chatkit_gateway/core/result.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ckg::api {

struct admin_user_request {
    std::string issuer;
    std::string user;
    std::int64_t block_seconds = 0;
};

enum class admin_body_kind { revoke, unblock };

constexpr std::int64_t max_block_seconds = 31'536'000;

// A JSON body {"issuer", "user"} (+ "block_seconds" for revoke).
result<admin_user_request> parse_admin_body(std::string_view body, admin_body_kind kind,
                                            const config::auth_config& auth);
// A query issuer=...&user=... (status).
result<admin_user_request> parse_admin_query(std::string_view raw_query,
                                             const config::auth_config& auth);

// The admin listener's limits (app/app.cpp): the longest body, and the
// longest query, that name a user the public API accepts. A user id is at
// most as long as the token carrying it (8 KiB), an issuer as long as the
// longest configured, and JSON may write each byte in 6 (\u00XX), a query
// in 3 (%XX); a fixed 1 KiB left such users unrevocable.
std::size_t longest_admin_body(const config::auth_config& auth);
std::size_t longest_admin_query(const config::auth_config& auth);

}  // namespace ckg::api
