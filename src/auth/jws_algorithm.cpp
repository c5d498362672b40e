#include "chatkit_gateway/auth/jws_algorithm.hpp"

#include <array>

namespace ckg::auth {
namespace {

// Indexed by the enum's value.
constexpr std::array<std::string_view, jws_algorithm_count> names = {
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
    "ES256", "ES384", "EdDSA", "HS256", "HS384", "HS512"};

}  // namespace

std::optional<jws_algorithm> algorithm_from_name(std::string_view name) noexcept {
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) return static_cast<jws_algorithm>(i);
    return std::nullopt;
}

std::string_view algorithm_name(jws_algorithm alg) noexcept {
    return names[static_cast<std::size_t>(alg)];
}

bool is_hmac_algorithm(jws_algorithm alg) noexcept {
    return alg == jws_algorithm::hs256 || alg == jws_algorithm::hs384 ||
           alg == jws_algorithm::hs512;
}

}  // namespace ckg::auth
