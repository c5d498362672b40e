// The inputs of the admin API's user routes (docs/operations.md, "Admin
// API"), checked without I/O: the configured issuer, a non-empty user, and
// block_seconds from 0 to 31,536,000. A failure's detail is the sentence
// the 400 answer carries: it names the field, never the user's value; a
// name it quotes is shown as core/request_name shows it, and as
// [redacted] when it holds the admin token (`admin_token`) or a long piece
// of it, pasted into the wrong place.
#pragma once

#include "chatkit_gateway/config/config.hpp"
#include "chatkit_gateway/core/result.hpp"

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
                                            const config::auth_config& auth,
                                            std::string_view admin_token);
// A query issuer=...&user=... (status).
result<admin_user_request> parse_admin_query(std::string_view raw_query,
                                             const config::auth_config& auth,
                                             std::string_view admin_token);

}  // namespace ckg::api
