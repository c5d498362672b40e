#include "chatkit_gateway/auth/verification_key.hpp"

#include "chatkit_gateway/auth/jws_signature.hpp"

#include "chatkit_gateway/core/base64.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

namespace ckg::auth {
namespace {

constexpr int min_rsa_bits = 2048;  // RFC 7518, section 3.3
// A key's owner (a JWKS host) chooses its size, and each signature check
// costs in proportion: a 3,071-bit exponent makes every check of a forged
// token as dear as making a signature (docs/auth.md, key bounds).
constexpr int max_rsa_bits = 8192;
constexpr int max_rsa_exponent_bits = 32;

failure bad_key(std::string why) {
    return failure{errc::internal_error, std::move(why)};
}

std::shared_ptr<EVP_PKEY> own(EVP_PKEY* p) {
    return std::shared_ptr<EVP_PKEY>(p, EVP_PKEY_free);
}

std::optional<std::string> b64_member(const boost::json::object& jwk, const char* name) {
    const auto* v = jwk.if_contains(name);
    if (v == nullptr || !v->is_string()) return std::nullopt;
    return base64url_decode(v->get_string());
}

// Builds a public EVP_PKEY of `type` ("RSA", "EC") from OSSL params.
std::shared_ptr<EVP_PKEY> pkey_from_params(const char* type, OSSL_PARAM_BLD* bld) {
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
    EVP_PKEY* pkey = nullptr;
    if (ctx && params && EVP_PKEY_fromdata_init(ctx) == 1)
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey ? own(pkey) : nullptr;
}

// Why an RSA public key is refused, if it is: a modulus outside 2048-8192
// bits, or a public exponent that is even, below 3 or over 32 bits.
std::optional<failure> rsa_key_problem(const EVP_PKEY* pkey) {
    const int bits = EVP_PKEY_get_bits(pkey);
    if (bits < min_rsa_bits) return bad_key("RSA key shorter than 2048 bits");
    if (bits > max_rsa_bits) return bad_key("RSA key longer than 8192 bits");
    BIGNUM* e = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
        return bad_key("RSA key has no public exponent");
    const bool fits = BN_num_bits(e) <= max_rsa_exponent_bits && BN_is_odd(e) && !BN_is_one(e);
    BN_free(e);
    if (!fits) return bad_key("RSA public exponent not odd, 3 or more, and at most 32 bits");
    return std::nullopt;
}

result<verification_key> rsa_from_jwk(const boost::json::object& jwk) {
    auto n = b64_member(jwk, "n");
    auto e = b64_member(jwk, "e");
    if (!n || !e || n->empty() || e->empty()) return bad_key("RSA JWK needs base64url n and e");
    BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                             static_cast<int>(n->size()), nullptr);
    BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                             static_cast<int>(e->size()), nullptr);
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    std::shared_ptr<EVP_PKEY> pkey;
    if (bn_n && bn_e && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1)
        pkey = pkey_from_params("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    if (!pkey) return bad_key("RSA JWK does not form a public key");
    if (auto problem = rsa_key_problem(pkey.get())) return *problem;
    verification_key k;
    k.family = key_family::rsa;
    k.pkey = std::move(pkey);
    return k;
}

result<verification_key> ec_from_jwk(const boost::json::object& jwk) {
    const auto* crv = jwk.if_contains("crv");
    if (crv == nullptr || !crv->is_string()) return bad_key("EC JWK needs crv");
    const bool p256 = crv->get_string() == "P-256";
    const bool p384 = crv->get_string() == "P-384";
    if (!p256 && !p384) return bad_key("unsupported EC curve");
    const std::size_t size = p256 ? 32 : 48;
    auto x = b64_member(jwk, "x");
    auto y = b64_member(jwk, "y");
    if (!x || !y || x->size() != size || y->size() != size)
        return bad_key("EC JWK x/y have the wrong size");
    std::string point = "\x04" + *x + *y;  // uncompressed SEC1 point
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    std::shared_ptr<EVP_PKEY> pkey;
    if (bld &&
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                        p256 ? "prime256v1" : "secp384r1", 0) == 1 &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) == 1)
        pkey = pkey_from_params("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    if (!pkey) return bad_key("EC JWK point is not on the curve");
    verification_key k;
    k.family = p256 ? key_family::ec_p256 : key_family::ec_p384;
    k.pkey = std::move(pkey);
    return k;
}

result<verification_key> okp_from_jwk(const boost::json::object& jwk) {
    const auto* crv = jwk.if_contains("crv");
    if (crv == nullptr || !crv->is_string() || crv->get_string() != "Ed25519")
        return bad_key("unsupported OKP curve");
    auto x = b64_member(jwk, "x");
    if (!x || x->size() != 32) return bad_key("Ed25519 JWK x must be 32 bytes");
    EVP_PKEY* p = EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size());
    if (p == nullptr) return bad_key("Ed25519 JWK is not a public key");
    verification_key k;
    k.family = key_family::ed25519;
    k.pkey = own(p);
    return k;
}

// "use" (RFC 7517 section 4.2), when present, must be "sig": a JWKS often
// lists encryption keys too. key_ops is ignored (docs/auth.md): providers
// fill it inconsistently, and "use" already says what a key is for.
bool usable_for_signatures(const boost::json::object& jwk) {
    const auto* use = jwk.if_contains("use");
    return use == nullptr || (use->is_string() && use->get_string() == "sig");
}

}  // namespace

key_family family_of(jws_algorithm alg) noexcept {
    switch (alg) {
        case jws_algorithm::rs256:
        case jws_algorithm::rs384:
        case jws_algorithm::rs512:
        case jws_algorithm::ps256:
        case jws_algorithm::ps384:
        case jws_algorithm::ps512:
            return key_family::rsa;
        case jws_algorithm::es256:
            return key_family::ec_p256;
        case jws_algorithm::es384:
            return key_family::ec_p384;
        case jws_algorithm::eddsa:
            return key_family::ed25519;
        case jws_algorithm::hs256:
        case jws_algorithm::hs384:
        case jws_algorithm::hs512:
            return key_family::hmac;
    }
    return key_family::hmac;
}

bool verification_key::accepts(jws_algorithm a) const noexcept {
    return family_of(a) == family && (!alg || *alg == a);
}

result<verification_key> key_from_jwk(const boost::json::object& jwk) {
    const auto* kty = jwk.if_contains("kty");
    if (kty == nullptr || !kty->is_string()) return bad_key("JWK without kty");
    if (!usable_for_signatures(jwk)) return bad_key("JWK not for signature verification (use)");
    result<verification_key> key = bad_key("unsupported kty");
    if (kty->get_string() == "RSA")
        key = rsa_from_jwk(jwk);
    else if (kty->get_string() == "EC")
        key = ec_from_jwk(jwk);
    else if (kty->get_string() == "OKP")
        key = okp_from_jwk(jwk);
    if (!key) return key;
    if (const auto* kid = jwk.if_contains("kid"); kid && kid->is_string())
        key->kid = std::string(kid->get_string());
    if (const auto* alg = jwk.if_contains("alg"); alg && alg->is_string()) {
        auto a = algorithm_from_name(alg->get_string());
        if (!a || family_of(*a) != key->family) return bad_key("JWK alg does not fit its key type");
        key->alg = a;
    }
    prepare_verifiers(*key);
    return key;
}

result<verification_key> key_from_pem(std::string_view pem) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* p = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
    if (p == nullptr)
        return bad_key(pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos
                           ? "not a PEM public key but a certificate (its key: openssl x509 "
                             "-pubkey -noout -in FILE)"
                           : "not a PEM public key");
    auto pkey = own(p);
    verification_key k;
    k.pkey = pkey;
    if (EVP_PKEY_is_a(p, "RSA")) {
        if (auto problem = rsa_key_problem(p)) return *problem;
        k.family = key_family::rsa;
    } else if (EVP_PKEY_is_a(p, "ED25519")) {
        k.family = key_family::ed25519;
    } else if (EVP_PKEY_is_a(p, "EC")) {
        char group[32] = {};
        EVP_PKEY_get_utf8_string_param(p, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, nullptr);
        const std::string_view g = group;
        if (g == "prime256v1")
            k.family = key_family::ec_p256;
        else if (g == "secp384r1")
            k.family = key_family::ec_p384;
        else
            return bad_key("unsupported EC curve");
    } else {
        return bad_key("unsupported public key type");
    }
    prepare_verifiers(k);
    return k;
}

verification_key key_from_hmac_secret(const ckg::secret& secret) {
    verification_key k;
    k.family = key_family::hmac;
    k.hmac_secret = secret;
    return k;
}

}  // namespace ckg::auth
