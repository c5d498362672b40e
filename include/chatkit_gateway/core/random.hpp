// Randomness from OpenSSL's CSPRNG (RAND_bytes, drawn in 4 KiB blocks per
// thread), used for request ids, nonces and anything an attacker must not
// predict.
#pragma once

#include <cstddef>
#include <string>

namespace ckg {

// Returns n random bytes; throws std::runtime_error if the CSPRNG fails
// (which OpenSSL only reports when it cannot be seeded at all).
std::string random_bytes(std::size_t n);
void random_fill(unsigned char* out, std::size_t n);

// Returns n random characters of [A-Za-z0-9].
std::string random_alnum(std::size_t n);

}  // namespace ckg
