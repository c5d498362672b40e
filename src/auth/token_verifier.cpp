#include "chatkit_gateway/auth/token_verifier.hpp"

#include "chatkit_gateway/auth/jws_signature.hpp"
#include "chatkit_gateway/auth/jwt_parser.hpp"

#include <algorithm>
#include <cmath>

namespace ckg::auth {
namespace {

failure refuse(std::string_view why, std::string extra = {}) {
    std::string detail(why);
    if (!extra.empty()) detail += ": " + extra;
    return failure{errc::invalid_token, std::move(detail)};
}

// A NumericDate (RFC 7519 section 2): integer or fractional seconds.
std::optional<std::int64_t> numeric_date(const boost::json::object& claims, std::string_view name) {
    const auto* v = claims.if_contains(name);
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64())
        return static_cast<std::int64_t>(std::min<std::uint64_t>(v->get_uint64(), INT64_MAX));
    if (v->is_double() && std::isfinite(v->get_double()))
        return static_cast<std::int64_t>(v->get_double());
    return std::nullopt;
}

bool audience_matches(const boost::json::object& claims, const std::vector<std::string>& accepted) {
    const auto* aud = claims.if_contains("aud");
    if (aud == nullptr) return false;
    auto ok = [&](const boost::json::value& v) {
        return v.is_string() &&
               std::find(accepted.begin(), accepted.end(), v.get_string()) != accepted.end();
    };
    if (aud->is_array()) return std::any_of(aud->get_array().begin(), aud->get_array().end(), ok);
    return ok(*aud);
}

const issuer_entry* find_issuer(const std::vector<issuer_entry>& issuers,
                                const boost::json::object& claims) {
    const auto* iss = claims.if_contains("iss");
    if (iss == nullptr || !iss->is_string()) return nullptr;
    for (const auto& e : issuers)
        if (e.config->issuer == iss->get_string()) return &e;
    return nullptr;
}

std::optional<failure> check_signature(const parsed_jwt& jwt, const issuer_entry& issuer) {
    const auto& allowed = issuer.config->algorithms;
    if (std::find(allowed.begin(), allowed.end(), jwt.alg) == allowed.end())
        return refuse(reason::alg_not_allowed);
    const auto candidates = issuer.keys
                                ? issuer.keys->candidates(jwt.alg, jwt.kid ? &*jwt.kid : nullptr)
                                : std::vector<const verification_key*>{};
    if (candidates.empty()) return refuse(reason::unknown_kid);
    for (const auto* key : candidates)
        if (verify_signature(jwt.alg, *key, jwt.signing_input, jwt.signature)) return std::nullopt;
    return refuse(reason::bad_signature);
}

std::optional<failure> check_claims(const boost::json::object& claims,
                                    const config::issuer_config& issuer, std::int64_t now,
                                    std::int64_t leeway) {
    const auto exp = numeric_date(claims, "exp");
    if (!exp) return refuse(reason::missing_exp);
    if (now > *exp + leeway) return refuse(reason::expired);
    if (claims.contains("nbf")) {
        const auto nbf = numeric_date(claims, "nbf");
        if (!nbf || *nbf > now + leeway) return refuse(reason::not_yet_valid);
    }
    if (claims.contains("iat")) {
        const auto iat = numeric_date(claims, "iat");
        if (!iat || *iat > now + leeway) return refuse(reason::issued_in_future);
    }
    if (!audience_matches(claims, issuer.audiences)) return refuse(reason::wrong_audience);
    const auto* user = claims.if_contains(issuer.user_claim);
    if (user == nullptr || !user->is_string() || user->get_string().empty())
        return refuse(reason::missing_user_claim);
    return std::nullopt;
}

}  // namespace

result<principal> verify_token(std::string_view token, const std::vector<issuer_entry>& issuers,
                               std::int64_t now, std::chrono::seconds leeway) {
    auto jwt = parse_jwt(token);
    if (!jwt) return refuse(reason::malformed, jwt.error().detail);
    const auto* issuer = find_issuer(issuers, jwt->claims);
    if (issuer == nullptr) return refuse(reason::unknown_issuer);
    // The signature first: nothing in an unverified payload is trusted.
    if (auto f = check_signature(*jwt, *issuer)) return *f;
    if (auto f = check_claims(jwt->claims, *issuer->config, now, leeway.count())) return *f;
    principal p;
    p.issuer = issuer->config->issuer;
    p.user = std::string(jwt->claims.at(issuer->config->user_claim).get_string());
    p.expires_at = *numeric_date(jwt->claims, "exp");
    p.claims = std::move(jwt->claims);
    return p;
}

}  // namespace ckg::auth
