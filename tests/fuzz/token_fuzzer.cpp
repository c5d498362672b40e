// libFuzzer target: any byte string as an end-user token, through the parser,
// the header rules, signature verification and the claim checks. It must
// never crash, hang or leak, and must never accept a token it did not sign.
#include "chatkit_gateway/auth/key_set.hpp"
#include "chatkit_gateway/auth/token_verifier.hpp"

#include <cstdint>
#include <string_view>

namespace {

using namespace ckg;

// One HMAC issuer and one EC issuer whose JWKS is the RFC 7515 A.3 public key.
struct fixture {
    config::issuer_config hs, ec;
    std::vector<auth::issuer_entry> issuers;
    fixture() {
        hs.issuer = "https://hs.fuzz/";
        hs.algorithms = {config::jws_algorithm::hs256, config::jws_algorithm::hs512};
        hs.hmac_secret = secret("fuzz-hmac-secret");
        ec.issuer = "https://ec.fuzz/";
        ec.algorithms = {config::jws_algorithm::es256, config::jws_algorithm::rs256,
                         config::jws_algorithm::eddsa};
        auto keys = auth::key_set_from_jwks(
            R"({"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})");
        issuers.push_back({&hs, std::make_shared<const auth::key_set>(
                                    auth::key_set({auth::key_from_hmac_secret(hs.hmac_secret)}))});
        issuers.push_back({&ec, std::make_shared<const auth::key_set>(std::move(*keys))});
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const fixture f;
    const std::string_view token(reinterpret_cast<const char*>(data), size);
    auto r = auth::verify_token(token, f.issuers, 1'700'000'000, std::chrono::seconds(60));
    if (r.ok() && r->issuer.empty()) __builtin_trap();  // an accepted token always names its issuer
    return 0;
}
