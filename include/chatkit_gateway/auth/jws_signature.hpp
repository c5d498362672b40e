// Verifies one JWS signature (RFC 7515/7518/8037) with OpenSSL 3's EVP API.
// Pure: no I/O, no allocation beyond OpenSSL's own.
#pragma once

#include "chatkit_gateway/auth/verification_key.hpp"

#include <string_view>

namespace ckg::auth {

// True when `signature` over `signing_input` verifies under `key` with `alg`.
// False for every failure, including a key of the wrong family, an ECDSA
// signature that is not exactly R||S of the curve's size, or a short HMAC.
// Prepares one verification context per algorithm the key accepts, so that
// each verification copies it instead of initialising from scratch.
void prepare_verifiers(verification_key& key);

bool verify_signature(jws_algorithm alg, const verification_key& key,
                      std::string_view signing_input, std::string_view signature) noexcept;

}  // namespace ckg::auth
