#include "chatkit_gateway/auth/key_set.hpp"

#include <boost/json/parse.hpp>

#include <string>

namespace ckg::auth {

std::vector<const verification_key*> key_set::candidates(jws_algorithm alg,
                                                         const std::string* kid) const {
    std::vector<const verification_key*> out;
    const auto add = [&](const verification_key& k) {
        if (out.size() < max_candidates) out.push_back(&k);
    };
    for (const auto& k : keys_)
        if (k.accepts(alg) && (kid == nullptr || k.kid == *kid)) add(k);
    if (kid == nullptr) return out;
    // Then the kid-less keys: a kid the issuer sets on its tokens does not
    // concern a key that was never given one.
    for (const auto& k : keys_)
        if (k.accepts(alg) && !k.kid) add(k);
    return out;
}

result<key_set> key_set_from_jwks(std::string_view json_text) {
    boost::system::error_code ec;
    auto doc = boost::json::parse(json_text, ec);
    if (ec || !doc.is_object())
        return failure{errc::internal_error,
                       json_text.find("-----BEGIN ") != std::string_view::npos
                           ? "JWKS is not a JSON object but PEM (a PEM public key goes in "
                             "public_key_file)"
                           : "JWKS is not a JSON object"};
    const auto* keys = doc.get_object().if_contains("keys");
    if (keys == nullptr || !keys->is_array())
        return failure{errc::internal_error, "JWKS has no \"keys\" array"};
    if (keys->get_array().size() > max_jwks_keys)
        return failure{errc::internal_error, std::string("JWKS has more than ")
                                                 .append(std::to_string(max_jwks_keys))
                                                 .append(" keys")};
    std::vector<verification_key> usable;
    std::string last_problem = "empty";
    for (const auto& jwk : keys->get_array()) {
        if (!jwk.is_object()) continue;
        auto key = key_from_jwk(jwk.get_object());
        if (key)
            usable.push_back(std::move(*key));
        else
            last_problem = key.error().detail;
    }
    if (usable.empty())
        return failure{errc::internal_error,
                       "JWKS has no usable signature key (" + last_problem + ")"};
    return key_set(std::move(usable));
}

}  // namespace ckg::auth
