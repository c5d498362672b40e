// An issuer's verification keys: an immutable snapshot, replaced whole when a
// JWKS is refetched or a file reloaded, so readers never lock.
#pragma once

#include "chatkit_gateway/auth/verification_key.hpp"

#include <string_view>
#include <vector>

namespace ckg::auth {

class key_set {
public:
    key_set() = default;
    explicit key_set(std::vector<verification_key> keys) : keys_(std::move(keys)) {}

    // Keys that may verify `alg` (docs/auth.md, key selection): a token's
    // `kid` narrows the choice only among keys that carry a kid; a key without
    // one (PEM key, HMAC secret, JWKS key without kid) is a candidate whatever
    // the kid says. Keys whose kid matches come first. Empty: an unknown kid.
    // At most max_candidates: each costs a signature check, and a forged
    // token without kid would otherwise be checked against every key.
    std::vector<const verification_key*> candidates(jws_algorithm alg,
                                                    const std::string* kid) const;
    static constexpr std::size_t max_candidates = 8;
    std::size_t size() const noexcept { return keys_.size(); }

private:
    std::vector<verification_key> keys_;
};

// Parses a JWKS document ({"keys": [...]}). Keys of unsupported types or not
// meant for signatures are skipped (a JWKS often also lists encryption keys);
// fails when the document is malformed, lists more than max_jwks_keys keys
// (identity providers publish a handful), or no usable key remains.
inline constexpr std::size_t max_jwks_keys = 100;
result<key_set> key_set_from_jwks(std::string_view json_text);

}  // namespace ckg::auth
