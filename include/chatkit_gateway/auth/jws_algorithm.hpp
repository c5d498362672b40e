// The JWS algorithms the gateway verifies (docs/auth.md): their names as
// they appear in a token's "alg" header and in the configuration. Pure and
// dependency-free, so the JWT parser and the configuration loader share it.
#pragma once

#include <optional>
#include <string_view>

namespace ckg::auth {

enum class jws_algorithm {
    rs256,
    rs384,
    rs512,
    ps256,
    ps384,
    ps512,
    es256,
    es384,
    eddsa,
    hs256,
    hs384,
    hs512
};

inline constexpr std::size_t jws_algorithm_count = 12;

// The enum for a JOSE "alg" name; nullopt for anything else ("none" included).
std::optional<jws_algorithm> algorithm_from_name(std::string_view name) noexcept;
std::string_view algorithm_name(jws_algorithm alg) noexcept;
bool is_hmac_algorithm(jws_algorithm alg) noexcept;

}  // namespace ckg::auth
