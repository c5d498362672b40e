// RSA JWKs a hostile JWKS host may publish: public parameters are never
// checked for primality, so any number of any size passes as a modulus or
// an exponent (docs/auth.md, key bounds).
#pragma once

#include "chatkit_gateway/core/base64.hpp"

#include <boost/json.hpp>

#include <random>
#include <string>

namespace ckg::test {

// `bits` random bits with the top one set; odd when `odd`.
inline std::string random_number(int bits, bool odd, std::mt19937& rng) {
    std::string out(static_cast<std::size_t>((bits + 7) / 8), '\0');
    for (auto& c : out) c = static_cast<char>(rng());
    const int top = (bits - 1) % 8;
    out[0] =
        static_cast<char>((static_cast<unsigned char>(out[0]) & ((2u << top) - 1)) | (1u << top));
    if (odd) out.back() = static_cast<char>(out.back() | 1);
    return out;
}

// An RSA JWK (no kid) with a random odd modulus of `modulus_bits` and the
// exponent `exponent` (big-endian bytes).
inline boost::json::object rsa_jwk(int modulus_bits, const std::string& exponent,
                                   std::mt19937& rng) {
    return boost::json::object{{"kty", "RSA"},
                               {"n", base64url_encode(random_number(modulus_bits, true, rng))},
                               {"e", base64url_encode(exponent)}};
}

}  // namespace ckg::test
