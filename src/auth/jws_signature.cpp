#include "chatkit_gateway/auth/jws_signature.hpp"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include <memory>

namespace ckg::auth {
namespace {

// Digests fetched from the provider once: OpenSSL 3 otherwise repeats the
// provider look-up (locks and all) inside every EVP_DigestVerifyInit.
const EVP_MD* fetched(const char* name) noexcept {
    return EVP_MD_fetch(nullptr, name, nullptr);
}

const EVP_MD* digest_of(jws_algorithm alg) noexcept {
    static const EVP_MD* sha256 = fetched("SHA2-256");
    static const EVP_MD* sha384 = fetched("SHA2-384");
    static const EVP_MD* sha512 = fetched("SHA2-512");
    switch (alg) {
        case jws_algorithm::rs256:
        case jws_algorithm::ps256:
        case jws_algorithm::es256:
        case jws_algorithm::hs256:
            return sha256;
        case jws_algorithm::rs384:
        case jws_algorithm::ps384:
        case jws_algorithm::es384:
        case jws_algorithm::hs384:
            return sha384;
        case jws_algorithm::rs512:
        case jws_algorithm::ps512:
        case jws_algorithm::hs512:
            return sha512;
        case jws_algorithm::eddsa:
            return nullptr;  // Ed25519 signs the message itself
    }
    return nullptr;
}

bool is_pss(jws_algorithm alg) noexcept {
    return alg == jws_algorithm::ps256 || alg == jws_algorithm::ps384 ||
           alg == jws_algorithm::ps512;
}

const unsigned char* bytes(std::string_view s) noexcept {
    return reinterpret_cast<const unsigned char*>(s.data());
}

// JOSE carries ECDSA signatures as fixed-size R||S (RFC 7518 section 3.4);
// OpenSSL verifies DER. Any other length is refused outright.
std::string jose_to_der(std::string_view sig, std::size_t half) {
    if (sig.size() != 2 * half) return {};
    ECDSA_SIG* s = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(bytes(sig), static_cast<int>(half), nullptr);
    BIGNUM* ss = BN_bin2bn(bytes(sig) + half, static_cast<int>(half), nullptr);
    std::string der;
    if (s && r && ss && ECDSA_SIG_set0(s, r, ss) == 1) {
        r = ss = nullptr;  // owned by s now
        unsigned char* out = nullptr;
        const int len = i2d_ECDSA_SIG(s, &out);
        if (len > 0) der.assign(reinterpret_cast<char*>(out), static_cast<std::size_t>(len));
        OPENSSL_free(out);
    }
    BN_free(r);
    BN_free(ss);
    ECDSA_SIG_free(s);
    return der;
}

bool verify_hmac(jws_algorithm alg, const verification_key& key, std::string_view input,
                 std::string_view sig) noexcept {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const auto secret = key.hmac_secret.reveal();
    if (HMAC(digest_of(alg), secret.data(), static_cast<int>(secret.size()), bytes(input),
             input.size(), mac, &len) == nullptr)
        return false;
    // Constant time, and the full MAC: a truncated signature never matches.
    return sig.size() == len && CRYPTO_memcmp(mac, sig.data(), len) == 0;
}

// Sets up `ctx` to verify `alg` with the key (PSS parameters included).
bool init_verify(EVP_MD_CTX* ctx, jws_algorithm alg, EVP_PKEY* pkey) noexcept {
    EVP_PKEY_CTX* pctx = nullptr;
    if (EVP_DigestVerifyInit(ctx, &pctx, digest_of(alg), nullptr, pkey) != 1) return false;
    if (!is_pss(alg)) return true;
    // RFC 7518 section 3.5: MGF1 with the same hash, salt as long as the hash.
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, digest_of(alg)) == 1;
}

using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

bool verify_asymmetric(jws_algorithm alg, const verification_key& key, std::string_view input,
                       std::string_view sig) noexcept {
    std::string der;
    if (key.family == key_family::ec_p256 || key.family == key_family::ec_p384) {
        der = jose_to_der(sig, key.family == key_family::ec_p256 ? 32 : 48);
        if (der.empty()) return false;
        sig = der;
    }
    md_ctx_ptr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!ctx) return false;
    // Copying a prepared context skips OpenSSL 3's per-init provider look-ups.
    const auto& prepared = key.prepared[static_cast<std::size_t>(alg)];
    const bool ready = prepared && EVP_MD_CTX_copy_ex(ctx.get(), prepared.get()) == 1;
    if (!ready && !init_verify(ctx.get(), alg, key.pkey.get())) return false;
    return EVP_DigestVerify(ctx.get(), bytes(sig), sig.size(), bytes(input), input.size()) == 1;
}

}  // namespace

void prepare_verifiers(verification_key& key) {
    if (!key.pkey) return;
    for (std::size_t i = 0; i < key.prepared.size(); ++i) {
        const auto alg = static_cast<jws_algorithm>(i);
        // Ed25519 contexts cannot be copied in OpenSSL 3.0: those init per call.
        if (!key.accepts(alg) || key.family == key_family::ed25519) continue;
        std::shared_ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
        if (ctx && init_verify(ctx.get(), alg, key.pkey.get())) key.prepared[i] = std::move(ctx);
    }
}

bool verify_signature(jws_algorithm alg, const verification_key& key,
                      std::string_view signing_input, std::string_view signature) noexcept {
    if (!key.accepts(alg)) return false;
    if (key.family == key_family::hmac) return verify_hmac(alg, key, signing_input, signature);
    if (!key.pkey) return false;
    return verify_asymmetric(alg, key, signing_input, signature);
}

}  // namespace ckg::auth
