// libFuzzer target: any byte string as a JWKS document from a hostile JWKS
// host (auth/key_set, auth/verification_key). It must never crash, hang or
// leak; a document it takes holds at most max_jwks_keys keys, and no token,
// whatever its alg and kid, is checked against more than max_candidates of
// them (docs/auth.md, key bounds).
#include "chatkit_gateway/auth/key_set.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace ckg;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto keys = auth::key_set_from_jwks(text);
    if (!keys) return 0;
    if (keys->size() == 0 || keys->size() > auth::max_jwks_keys) std::abort();
    const std::string kids[] = {"", "k1", "k2"};
    for (std::size_t a = 0; a < auth::jws_algorithm_count; ++a) {
        const auto alg = static_cast<auth::jws_algorithm>(a);
        if (keys->candidates(alg, nullptr).size() > auth::key_set::max_candidates) std::abort();
        for (const auto& kid : kids)
            if (keys->candidates(alg, &kid).size() > auth::key_set::max_candidates) std::abort();
    }
    return 0;
}
