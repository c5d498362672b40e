// A key that can verify JWS signatures, built from a JWK (RFC 7517/7518/8037),
// a PEM public key, or an HMAC secret. Each key belongs to exactly one
// family, and an algorithm is only ever used with a key of its family
// (RFC 8725 section 3.1: no RSA-public-key-as-HMAC-secret confusion).
#pragma once

#include "chatkit_gateway/auth/jws_algorithm.hpp"
#include "chatkit_gateway/core/result.hpp"
#include "chatkit_gateway/core/secret.hpp"

#include <boost/json/object.hpp>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

typedef struct evp_pkey_st EVP_PKEY;
typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace ckg::auth {

enum class key_family { rsa, ec_p256, ec_p384, ed25519, hmac };

struct verification_key {
    key_family family = key_family::rsa;
    std::shared_ptr<EVP_PKEY> pkey;  // null for HMAC keys
    ckg::secret hmac_secret;         // HMAC keys only
    std::optional<std::string> kid;
    std::optional<jws_algorithm> alg;  // a JWK's "alg" pins the key to one algorithm
    // Ready-made verification contexts by algorithm (see prepare_verifiers); read-only once built.
    std::array<std::shared_ptr<EVP_MD_CTX>, jws_algorithm_count> prepared;

    // True when this key may verify `a`: same family, and the pinned alg if any.
    bool accepts(jws_algorithm a) const noexcept;
};

key_family family_of(jws_algorithm alg) noexcept;

// From one JWK object. Fails (with a reason) for unsupported kty/crv, a
// "use" other than "sig", bad base64url, a point not on its curve, or an RSA
// modulus under 2048 bits. Members the gateway does not use (x5c, x5t,
// x5t#S256, issuer, key_ops, ...) are ignored: never fetched, parsed or trusted.
result<verification_key> key_from_jwk(const boost::json::object& jwk);

// From a PEM "PUBLIC KEY" (SubjectPublicKeyInfo) of a supported type.
result<verification_key> key_from_pem(std::string_view pem);

verification_key key_from_hmac_secret(const ckg::secret& secret);

}  // namespace ckg::auth
