#include "chatkit_gateway/auth/jwt_parser.hpp"

#include "chatkit_gateway/config/config_checks.hpp"
#include "chatkit_gateway/core/base64.hpp"

#include <boost/json/parser.hpp>

namespace ckg::auth {
namespace {

failure rejected(std::string why) {
    return failure{errc::invalid_token, std::move(why)};
}

// Decodes one base64url JSON object segment, with a depth limit so a hostile
// token cannot make the parser recurse deeply.
std::optional<boost::json::object> decode_object(std::string_view segment) {
    auto raw = base64url_decode(segment);
    if (!raw) return std::nullopt;
    boost::json::parse_options opts;
    opts.max_depth = 16;
    boost::json::parser p({}, opts);
    boost::system::error_code ec;
    p.write(raw->data(), raw->size(), ec);
    if (ec) return std::nullopt;
    auto v = p.release();
    if (!v.is_object()) return std::nullopt;
    return std::move(v.get_object());
}

}  // namespace

result<parsed_jwt> parse_jwt(std::string_view token) {
    if (token.size() > max_token_bytes) return rejected("token over 8 KiB");
    const auto dot1 = token.find('.');
    const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return rejected("not a compact JWS (three segments)");
    parsed_jwt jwt;
    auto header = decode_object(token.substr(0, dot1));
    if (!header) return rejected("malformed header");
    jwt.header = std::move(*header);
    const auto* alg = jwt.header.if_contains("alg");
    if (alg == nullptr || !alg->is_string()) return rejected("header has no alg");
    auto known = config::algorithm_from_name(alg->get_string());
    if (!known) return rejected("unsupported alg");  // "none" included
    jwt.alg = *known;
    if (jwt.header.contains("crit")) return rejected("crit header not supported");
    for (const char* h : {"jku", "x5u", "jwk", "x5c"})
        if (jwt.header.contains(h)) return rejected(std::string(h) + " header not allowed");
    if (const auto* kid = jwt.header.if_contains("kid")) {
        if (!kid->is_string()) return rejected("kid is not a string");
        jwt.kid = std::string(kid->get_string());
    }
    auto claims = decode_object(token.substr(dot1 + 1, dot2 - dot1 - 1));
    if (!claims) return rejected("malformed payload");
    jwt.claims = std::move(*claims);
    auto signature = base64url_decode(token.substr(dot2 + 1));
    if (!signature || signature->empty()) return rejected("malformed signature");
    jwt.signature = std::move(*signature);
    jwt.signing_input = token.substr(0, dot2);
    return jwt;
}

}  // namespace ckg::auth
