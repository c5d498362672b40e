#include "chatkit_gateway/core/random.hpp"

#include <openssl/rand.h>

#include <stdexcept>
#include <string_view>

namespace ckg {

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (n != 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
        throw std::runtime_error("RAND_bytes failed");
    return out;
}

std::string random_alnum(std::size_t n) {
    constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string out;
    out.reserve(n);
    // Rejection sampling keeps the distribution uniform: 248 = 4 * 62.
    while (out.size() < n) {
        for (unsigned char b : random_bytes(n - out.size() + 8)) {
            if (b < 248 && out.size() < n) out.push_back(alphabet[b % alphabet.size()]);
        }
    }
    return out;
}

}  // namespace ckg
