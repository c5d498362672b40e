// The "auth" and "users" sections: issuers, their key sources and algorithms,
// and how the upstream user id is derived (docs/auth.md, docs/operations.md).
#include "chatkit_gateway/config/config_checks.hpp"
#include "chatkit_gateway/config/config_error.hpp"
#include "config_sections.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace ckg::config {
namespace {

std::vector<jws_algorithm> parse_algorithms(json_object_reader& r) {
    const auto names = r.string_array_or("algorithms", {"RS256"});
    if (names.empty()) r.fail("algorithms", "must list at least one algorithm");
    std::vector<jws_algorithm> out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        auto alg = algorithm_from_name(names[i]);
        if (!alg)
            throw config_error(r.path_of("algorithms") + "[" + std::to_string(i) + "]",
                               "unsupported algorithm \"" + names[i] +
                                   "\" (allowed: RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 "
                                   "EdDSA HS256 HS384 HS512)");
        out.push_back(*alg);
    }
    return out;
}

void check_key_sources(json_object_reader& r, const issuer_config& i) {
    static constexpr std::string_view all =
        "jwks_url, discovery: true, jwks_file, public_key_file or hmac_secret_env";
    std::vector<std::string_view> given;
    if (i.jwks_url) given.push_back("jwks_url");
    if (i.discovery) given.push_back("discovery");
    if (i.jwks_file) given.push_back("jwks_file");
    if (i.public_key_file) given.push_back("public_key_file");
    if (i.hmac_secret_env) given.push_back("hmac_secret_env");
    // None: the issuer is at fault, not a key it lacks; two: the second is named.
    if (given.empty())
        throw config_error(r.path(),
                           "needs exactly one key source (" + std::string(all) + "); found none");
    if (given.size() > 1)
        r.fail(given[1], "is a second key source besides " + std::string(given[0]) +
                             ": an issuer takes exactly one (" + std::string(all) + ")");
    if (i.jwks_ca_file && !i.fetches_keys())
        r.fail("jwks_ca_file", "is only valid with jwks_url or discovery");
    // RFC 8725 section 3.1: a key is used with one algorithm family only, so
    // an RSA public key can never be used as an HMAC secret.
    for (auto alg : i.algorithms) {
        if (is_hmac_algorithm(alg) && !i.hmac_secret_env)
            r.fail("algorithms",
                   "HS* algorithms need hmac_secret_env, not an asymmetric key source");
        if (!is_hmac_algorithm(alg) && i.hmac_secret_env)
            r.fail("algorithms", std::string("hmac_secret_env allows only HS256, HS384 or HS512") +
                                     (r.has("algorithms") ? ""
                                                          : " (algorithms is not set: it defaults "
                                                            "to [\"RS256\"]; set [\"HS256\"])"));
    }
}

// The issuer is matched against tokens' "iss" and, in "hmac" mode, joined
// to the user's claim with "\n" before hashing: a control character in it
// could make users of two issuers one upstream user (docs/operations.md).
bool has_control_character(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
    });
}

issuer_config parse_issuer(json_object_reader r, const environment& env) {
    issuer_config i;
    i.issuer = r.required_string("issuer");
    if (has_control_character(i.issuer)) r.fail("issuer", "must not contain control characters");
    i.audiences = r.string_array_or("audiences", i.audiences);
    if (i.audiences.empty()) r.fail("audiences", "must list at least one audience");
    i.jwks_file = readable_file(r, "jwks_file");
    if (r.has("jwks_url"))
        i.jwks_url = https_url(r, "jwks_url", "");
    else
        r.find("jwks_url");
    i.public_key_file = readable_file(r, "public_key_file");
    i.hmac_secret_env = r.optional_string("hmac_secret_env");
    i.discovery = r.optional_bool("discovery").value_or(false);
    // Discovery fetches <issuer>/.well-known/openid-configuration: over HTTPS only.
    if (i.discovery) https_url(r, "issuer", "");
    i.jwks_ca_file = readable_file(r, "jwks_ca_file");
    i.algorithms = parse_algorithms(r);
    i.audience_claim = r.string_or("audience_claim", i.audience_claim);
    if (i.audience_claim.empty()) r.fail("audience_claim", "must not be empty");
    i.user_claim = r.string_or("user_claim", i.user_claim);
    if (i.user_claim.empty()) r.fail("user_claim", "must not be empty");
    i.jwks_min_refresh =
        std::chrono::seconds(r.integer_or("jwks_min_refresh_seconds", 30, 0, 86400));
    check_key_sources(r, i);
    if (i.hmac_secret_env)
        i.hmac_secret = secret_from_env(r, "hmac_secret_env", *i.hmac_secret_env, env);
    r.finish();
    return i;
}

// A cookie name is an RFC 6265 token.
bool is_cookie_name(const std::string& name) {
    if (name.empty()) return false;
    for (unsigned char c : name) {
        if (c <= 32 || c >= 127 ||
            std::string_view("()<>@,;:\\\"/[]?={}").find(static_cast<char>(c)) !=
                std::string_view::npos)
            return false;
    }
    return true;
}

}  // namespace

auth_config parse_auth(json_object_reader r, const environment& env) {
    auth_config a;
    a.leeway = std::chrono::seconds(r.integer_or("leeway_seconds", 60, 0, 3600));
    a.cookie_name = r.optional_string("cookie_name");
    if (a.cookie_name && !is_cookie_name(*a.cookie_name))
        r.fail("cookie_name", "must be a valid cookie name");
    const auto* issuers = r.find("issuers");
    if (issuers == nullptr) r.fail("issuers", "at least one issuer is required");
    if (!issuers->is_array()) r.fail("issuers", "must be an array of objects");
    const auto& list = issuers->get_array();
    if (list.empty()) r.fail("issuers", "at least one issuer is required");
    std::set<std::string> seen;
    for (std::size_t n = 0; n < list.size(); ++n) {
        const std::string path = r.path_of("issuers") + "[" + std::to_string(n) + "]";
        a.issuers.push_back(parse_issuer(json_object_reader(list[n], path), env));
        if (!seen.insert(a.issuers.back().issuer).second)
            throw config_error(path + ".issuer",
                               "duplicate issuer \"" + a.issuers.back().issuer + "\"");
    }
    r.finish();
    return a;
}

users_config parse_users(json_object_reader r, const environment& env) {
    users_config u;
    const auto mode = r.string_or("id_mode", "plain");
    if (mode == "plain")
        u.id_mode = user_id_mode::plain;
    else if (mode == "hmac")
        u.id_mode = user_id_mode::hmac;
    else
        r.fail("id_mode", "must be \"plain\" or \"hmac\"");
    u.prefix = r.string_or("prefix", "");
    u.hmac_key_env = r.optional_string("hmac_key_env");
    if (u.id_mode == user_id_mode::hmac) {
        if (!u.hmac_key_env) r.fail("hmac_key_env", "is required when id_mode is \"hmac\"");
        u.hmac_key = secret_from_env(r, "hmac_key_env", *u.hmac_key_env, env);
    }
    r.finish();
    return u;
}

}  // namespace ckg::config
