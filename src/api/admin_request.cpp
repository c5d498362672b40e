#include "chatkit_gateway/api/admin_request.hpp"

#include "chatkit_gateway/auth/jwt_parser.hpp"
#include "chatkit_gateway/core/top_level_scalars.hpp"
#include "chatkit_gateway/core/utf8.hpp"
#include "chatkit_gateway/http/query_params.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <cmath>

namespace ckg::api {
namespace {

failure bad(std::string message) {
    return failure{errc::invalid_request, std::move(message)};
}

std::optional<failure> check_user(const admin_user_request& r, const config::auth_config& auth) {
    const bool known =
        std::any_of(auth.issuers.begin(), auth.issuers.end(),
                    [&](const config::issuer_config& i) { return i.issuer == r.issuer; });
    if (r.issuer.empty()) return bad("issuer is required");
    if (!known) return bad("issuer is not one of the configured issuers (auth.issuers)");
    if (r.user.empty()) return bad("user must be a non-empty string");
    return std::nullopt;
}

std::optional<failure> read_block_seconds(const boost::json::value& v, admin_user_request& r) {
    constexpr const char* range = "block_seconds must be an integer from 0 to 31536000";
    if (v.is_int64())
        r.block_seconds = v.get_int64();
    else if (v.is_uint64())
        return bad(range);
    // A whole number written as one (1.0, 1e2) is taken. Its size is checked
    // before any cast: casting 1e300 to an integer is undefined behaviour.
    else if (v.is_double() && std::abs(v.get_double()) <= 1e15 &&
             v.get_double() == std::trunc(v.get_double()))
        r.block_seconds = static_cast<std::int64_t>(v.get_double());
    else
        return bad(range);
    if (r.block_seconds < 0 || r.block_seconds > max_block_seconds) return bad(range);
    return std::nullopt;
}

// The bytes an admin request names a user with, unescaped: the user id
// and its issuer.
std::size_t longest_user_naming(const config::auth_config& auth) {
    std::size_t issuer = 0;
    for (const auto& i : auth.issuers) issuer = std::max(issuer, i.issuer.size());
    return auth::max_token_bytes + issuer;
}

// Room for the rest: the names, block_seconds, whitespace, "&", "=".
constexpr std::size_t framing_bytes = 1024;

}  // namespace

std::size_t longest_admin_body(const config::auth_config& auth) {
    return 6 * longest_user_naming(auth) + framing_bytes;
}

std::size_t longest_admin_query(const config::auth_config& auth) {
    return 3 * longest_user_naming(auth) + framing_bytes;
}

result<admin_user_request> parse_admin_body(std::string_view body, admin_body_kind kind,
                                            const config::auth_config& auth) {
    boost::system::error_code ec;
    const auto doc = boost::json::parse(body, ec);
    if (ec) return bad("the body is not valid JSON (" + ec.message() + ")");
    if (!doc.is_object()) return bad("the body must be a JSON object");
    // The parsed object keeps one occurrence of a repeated name; a proxy or
    // an audit log in front may have read the other.
    top_level_scalars names{"issuer", "user", "block_seconds"};
    if (names.parse(body))
        if (const auto name = names.repeated()) return bad(std::string(*name) + " is repeated");
    admin_user_request r;
    for (const auto& [key, value] : doc.get_object()) {
        if (key == "issuer" || key == "user") {
            if (!value.is_string()) return bad(std::string(key) + " must be a string");
            (key == "issuer" ? r.issuer : r.user) = std::string(value.get_string());
        } else if (key == "block_seconds" && kind == admin_body_kind::revoke) {
            if (auto f = read_block_seconds(value, r)) return *f;
        } else {
            return bad(kind == admin_body_kind::revoke
                           ? "unknown field: the body takes issuer, user and block_seconds"
                           : "unknown field: the body takes issuer and user");
        }
    }
    if (auto f = check_user(r, auth)) return *f;
    return r;
}

result<admin_user_request> parse_admin_query(std::string_view raw_query,
                                             const config::auth_config& auth) {
    auto params = http_server::parse_query_params(raw_query);
    if (!params) return bad("the query string is malformed");
    admin_user_request r;
    bool seen_issuer = false, seen_user = false;
    for (auto& p : *params) {
        const bool is_issuer = p.key == "issuer";
        if (!is_issuer && p.key != "user")
            return bad("unknown query parameter: the query takes issuer and user");
        bool& seen = is_issuer ? seen_issuer : seen_user;
        if (seen) return bad(p.key + " is repeated");
        // JSON bodies are UTF-8 by construction; a decoded query may not be.
        if (!is_valid_utf8(p.value)) return bad(p.key + " must be valid UTF-8");
        seen = true;
        (is_issuer ? r.issuer : r.user) = std::move(p.value);
    }
    if (auto f = check_user(r, auth)) return *f;
    return r;
}

}  // namespace ckg::api
