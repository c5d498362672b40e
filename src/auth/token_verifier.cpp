#include "chatkit_gateway/auth/token_verifier.hpp"

#include "chatkit_gateway/auth/jws_signature.hpp"
#include "chatkit_gateway/auth/jwt_parser.hpp"

#include <algorithm>
#include <cmath>

namespace ckg::auth {
namespace {

enum class rounding { down, up };

// A NumericDate (RFC 7519 section 2) as docs/auth.md bounds it: a JSON
// number from 0 to 2^53 - 1 as sent, fractions allowed (rounded so that
// comparing with a whole `now` gives the fractional answer). Anything else
// (a string, a negative or huge number, 1e300) is nullopt: never cast to an
// integer it does not fit.
std::optional<std::int64_t> numeric_date(const boost::json::value& v, rounding r) {
    if (v.is_int64()) {
        const auto n = v.get_int64();
        if (n >= 0 && n <= max_numeric_date) return n;
    } else if (v.is_uint64()) {
        if (v.get_uint64() <= static_cast<std::uint64_t>(max_numeric_date))
            return static_cast<std::int64_t>(v.get_uint64());
    } else if (v.is_double()) {
        const double d = v.get_double();
        if (std::isfinite(d) && d >= 0 && d <= static_cast<double>(max_numeric_date))
            return static_cast<std::int64_t>(r == rounding::down ? std::floor(d) : std::ceil(d));
    }
    return std::nullopt;
}

// "aud" may be a string or an array of strings (RFC 7519 section 4.1.3);
// any other audience claim (Cognito's client_id) must be a string.
bool audience_matches(const boost::json::object& claims, const config::issuer_config& issuer) {
    const auto* aud = claims.if_contains(issuer.audience_claim);
    if (aud == nullptr) return false;
    const auto& accepted = issuer.audiences;
    auto ok = [&](const boost::json::value& v) {
        return v.is_string() &&
               std::find(accepted.begin(), accepted.end(), v.get_string()) != accepted.end();
    };
    if (aud->is_array() && issuer.audience_claim == "aud")
        return std::any_of(aud->get_array().begin(), aud->get_array().end(), ok);
    return ok(*aud);
}

std::optional<std::size_t> find_issuer(const std::vector<issuer_entry>& issuers,
                                       const boost::json::object& claims) {
    const auto* iss = claims.if_contains("iss");
    if (iss == nullptr || !iss->is_string()) return std::nullopt;
    for (std::size_t i = 0; i < issuers.size(); ++i)
        if (issuers[i].config->issuer == iss->get_string()) return i;
    return std::nullopt;
}

auth_status check_signature(const parsed_jwt& jwt, const issuer_entry& issuer) {
    const auto& allowed = issuer.config->algorithms;
    if (std::find(allowed.begin(), allowed.end(), jwt.alg) == allowed.end())
        return auth_status::alg_not_allowed;
    const auto candidates = issuer.keys
                                ? issuer.keys->candidates(jwt.alg, jwt.kid ? &*jwt.kid : nullptr)
                                : std::vector<const verification_key*>{};
    if (candidates.empty()) return auth_status::unknown_kid;
    for (const auto* key : candidates)
        if (verify_signature(jwt.alg, *key, jwt.signing_input, jwt.signature))
            return auth_status::ok;
    return auth_status::bad_signature;
}

// nbf and iat: optional, but when present a valid date not beyond now + leeway.
auth_status check_not_after_now(const boost::json::object& claims, std::string_view name,
                                std::int64_t now, std::int64_t leeway, auth_status future) {
    const auto* v = claims.if_contains(name);
    if (v == nullptr) return auth_status::ok;
    const auto date = numeric_date(*v, rounding::up);
    if (!date) return auth_status::invalid_date;
    // Subtracting keeps both sides in range: date and leeway are 0 .. 2^53 - 1.
    return *date - leeway > now ? future : auth_status::ok;
}

auth_status check_claims(const boost::json::object& claims, const config::issuer_config& issuer,
                         std::int64_t now, std::int64_t leeway, std::int64_t& expires_at) {
    const auto* exp_value = claims.if_contains("exp");
    if (exp_value == nullptr) return auth_status::missing_exp;
    const auto exp = numeric_date(*exp_value, rounding::down);
    if (!exp) return auth_status::invalid_date;
    if (now > *exp + leeway) return auth_status::expired;
    if (auto s = check_not_after_now(claims, "nbf", now, leeway, auth_status::not_yet_valid);
        s != auth_status::ok)
        return s;
    if (auto s = check_not_after_now(claims, "iat", now, leeway, auth_status::issued_in_future);
        s != auth_status::ok)
        return s;
    if (!audience_matches(claims, issuer)) return auth_status::wrong_audience;
    const auto* user = claims.if_contains(issuer.user_claim);
    if (user == nullptr || !user->is_string() || user->get_string().empty())
        return auth_status::missing_user_claim;
    expires_at = *exp;
    return auth_status::ok;
}

}  // namespace

verification verify_token(std::string_view token, const std::vector<issuer_entry>& issuers,
                          std::int64_t now, std::chrono::seconds leeway) {
    verification out;
    parsed_jwt jwt;
    out.status = parse_jwt(token, jwt);
    if (!out) return out;
    out.issuer_index = find_issuer(issuers, jwt.claims);
    if (!out.issuer_index) {
        out.status = auth_status::unknown_issuer;
        return out;
    }
    const auto& issuer = issuers[*out.issuer_index];
    // The signature first: nothing in an unverified payload is trusted.
    out.status = check_signature(jwt, issuer);
    if (!out) return out;
    const auto lw = std::clamp<std::int64_t>(leeway.count(), 0, max_numeric_date);
    out.status = check_claims(jwt.claims, *issuer.config, now, lw, out.who.expires_at);
    if (!out) return out;
    out.who.issuer = issuer.config->issuer;
    out.who.user = std::string(jwt.claims.at(issuer.config->user_claim).get_string());
    out.who.claims = std::move(jwt.claims);
    return out;
}

}  // namespace ckg::auth
