#include "chatkit_gateway/core/random.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace ckg {
namespace {

// A per-thread reserve of CSPRNG output. RAND_bytes checks for a fork
// (getpid) and takes locks on every call; a request needs two small draws
// (request id, handle nonce), so drawing 4 KiB at a time makes that cost
// vanish. Every byte is handed out once and wiped as it leaves; the process
// never forks without exec, so no two processes share a reserve.
class random_reserve {
public:
    ~random_reserve() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

    void take(unsigned char* out, std::size_t n) {
        while (n > 0) {
            if (used_ == bytes_.size()) refill();
            const auto k = std::min(n, bytes_.size() - used_);
            std::memcpy(out, bytes_.data() + used_, k);
            OPENSSL_cleanse(bytes_.data() + used_, k);
            used_ += k;
            out += k;
            n -= k;
        }
    }

private:
    void refill() {
        if (RAND_bytes(bytes_.data(), static_cast<int>(bytes_.size())) != 1)
            throw std::runtime_error("RAND_bytes failed");
        used_ = 0;
    }

    std::array<unsigned char, 4096> bytes_{};
    std::size_t used_ = bytes_.size();
};

thread_local random_reserve reserve;

}  // namespace

void random_fill(unsigned char* out, std::size_t n) {
    reserve.take(out, n);
}

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    random_fill(reinterpret_cast<unsigned char*>(out.data()), n);
    return out;
}

std::string random_alnum(std::size_t n) {
    constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string out(n, '\0');
    std::size_t filled = 0;
    // Rejection sampling keeps the distribution uniform: 248 = 4 * 62.
    unsigned char draw[64];
    while (filled < n) {
        const auto k = std::min(sizeof draw, n - filled + 8);
        reserve.take(draw, k);
        for (std::size_t i = 0; i < k && filled < n; ++i)
            if (draw[i] < 248) out[filled++] = alphabet[draw[i] % alphabet.size()];
    }
    OPENSSL_cleanse(draw, sizeof draw);
    return out;
}

}  // namespace ckg
