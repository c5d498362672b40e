// CORS and the CSRF rule (docs/api.md, "CORS"), as pure decisions: an Origin
// that an entry of cors.allowed_origins matches (config/origin_pattern.hpp)
// gets Access-Control-Allow-Origin, -Expose-Headers (and -Credentials when
// cookie auth is on); a present, unmatched Origin gets no
// CORS headers, and its state-changing requests (POST, DELETE) and
// preflights are refused with 403 origin_not_allowed.
#pragma once

#include "chatkit_gateway/config/config.hpp"
#include "chatkit_gateway/http/handler.hpp"

#include <optional>
#include <string_view>

namespace ckg::api {

class cors_policy {
public:
    cors_policy(const config::cors_config& cors, bool cookie_auth)
        : cors_(cors), cookie_auth_(cookie_auth) {}

    // True when the request must be refused with 403 (before the token is looked at).
    bool refuses(const http_server::request_header& req) const;
    // Adds the CORS headers every answer to this request's Origin gets,
    // errors and preflights included: the public listener calls it for each
    // reply it writes (http_server::server_options::decorate).
    void decorate(const http_server::request_header& req, http_server::response& res) const;
    // The answer to OPTIONS on a known path whose methods are `allow`
    // (without the headers decorate() adds).
    http_server::reply preflight(const http_server::request_header& req,
                                 std::string_view allow) const;

private:
    std::optional<std::string_view> allowed_origin(const http_server::request_header& req) const;

    const config::cors_config& cors_;
    bool cookie_auth_;
};

}  // namespace ckg::api
