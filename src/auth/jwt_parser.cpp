#include "chatkit_gateway/auth/jwt_parser.hpp"

#include "chatkit_gateway/core/base64.hpp"

#include <boost/json/parser.hpp>

namespace ckg::auth {
namespace {

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

// RFC 8725 section 3.1 and RFC 7515 section 4.1.11: the header rules that
// hold before any key is touched.
auth_status check_header(parsed_jwt& jwt) {
    const auto* alg = jwt.header.if_contains("alg");
    if (alg == nullptr || !alg->is_string()) return auth_status::unsupported_alg;
    auto known = algorithm_from_name(alg->get_string());
    if (!known) return auth_status::unsupported_alg;  // "none" included
    jwt.alg = *known;
    if (jwt.header.contains("crit")) return auth_status::forbidden_header;
    for (const char* h : {"jku", "x5u", "jwk", "x5c"})
        if (jwt.header.contains(h)) return auth_status::forbidden_header;
    if (const auto* kid = jwt.header.if_contains("kid")) {
        if (!kid->is_string()) return auth_status::malformed;
        jwt.kid = std::string(kid->get_string());
    }
    return auth_status::ok;
}

}  // namespace

auth_status parse_jwt(std::string_view token, parsed_jwt& jwt) {
    if (token.size() > max_token_bytes) return auth_status::malformed;
    const auto dot1 = token.find('.');
    const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return auth_status::malformed;
    auto header = decode_object(token.substr(0, dot1));
    if (!header) return auth_status::malformed;
    jwt.header = std::move(*header);
    if (auto s = check_header(jwt); s != auth_status::ok) return s;
    auto claims = decode_object(token.substr(dot1 + 1, dot2 - dot1 - 1));
    if (!claims) return auth_status::malformed;
    jwt.claims = std::move(*claims);
    auto signature = base64url_decode(token.substr(dot2 + 1));
    if (!signature || signature->empty()) return auth_status::malformed;
    jwt.signature = std::move(*signature);
    jwt.signing_input = token.substr(0, dot2);
    return auth_status::ok;
}

}  // namespace ckg::auth
