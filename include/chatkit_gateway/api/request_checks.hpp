// Checks every authenticated public handler makes, in docs/api.md's
// order: the caller's token (401), the user's block (403), then the body's
// media type (415).
#pragma once

#include "chatkit_gateway/api/gateway_services.hpp"
#include "chatkit_gateway/api/media_type.hpp"
#include "chatkit_gateway/http/error_response.hpp"
#include "chatkit_gateway/http/handler.hpp"

#include <memory>

namespace ckg::api {

using user_ptr = std::shared_ptr<const auth::authenticated_user>;

// The caller, or the failure: 401 (with the reason in its log fields), or
// 403 user_blocked for a user blocked through the admin API, checked from
// memory without a store round trip (docs/operations.md).
net::awaitable<result<user_ptr>> authenticate_request(const http_server::request_context& ctx,
                                                      gateway_services& s);

// A non-empty body must be application/json (parameters allowed, any case).
bool has_json_or_no_body(const http_server::request& req);

// Seconds since the epoch, for token and handle expiry (the shared
// state's decisions take the store's clock: shared_state::now()).
std::int64_t unix_now();

// The error reply for `e`, with the user's hash in the log line when known.
http_server::reply error_reply(const http_server::request_context& ctx,
                               const http_server::api_error& e, const user_ptr& user = nullptr);

}  // namespace ckg::api
