// libFuzzer target: any byte string as an end-user token, through the parser,
// the header rules, key selection, signature verification and the claim
// checks (dates, audience claims). It must never crash, hang or leak, and
// must never accept a token it did not sign. The same bytes, as an
// Authorization value and as a Cookie header, go through locating the
// token (auth/credentials): what it finds lies inside them, and a cookie
// is refused as given twice only when its name is there twice.
#include "chatkit_gateway/auth/credentials.hpp"
#include "chatkit_gateway/auth/key_set.hpp"
#include "chatkit_gateway/auth/token_verifier.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace {

using namespace ckg;
using auth::jws_algorithm;

// An HMAC issuer (a kid-less key: a candidate whatever the token's kid), an
// EC issuer whose JWKS is the RFC 7515 A.3 public key with kid "k1", and an
// HMAC issuer that checks client_id (Cognito access tokens) instead of aud.
struct fixture {
    config::issuer_config hs, ec, cid;
    std::vector<auth::issuer_entry> issuers;
    fixture() {
        hs.issuer = "https://hs.fuzz/";
        hs.algorithms = {jws_algorithm::hs256, jws_algorithm::hs512};
        hs.hmac_secret = secret("fuzz-hmac-secret");
        ec.issuer = "https://ec.fuzz/";
        ec.algorithms = {jws_algorithm::es256, jws_algorithm::rs256, jws_algorithm::eddsa};
        cid.issuer = "https://cid.fuzz/";
        cid.algorithms = {jws_algorithm::hs256};
        cid.audience_claim = "client_id";
        cid.hmac_secret = secret("fuzz-client-id-secret");
        auto keys = auth::key_set_from_jwks(
            R"({"keys":[{"kty":"EC","crv":"P-256","kid":"k1","x5t":"ignored","key_ops":["sign"],"x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})");
        issuers.push_back({&hs,
                           std::make_shared<const auth::key_set>(
                               auth::key_set({auth::key_from_hmac_secret(hs.hmac_secret)})),
                           0});
        issuers.push_back({&ec, std::make_shared<const auth::key_set>(std::move(*keys)), 0});
        issuers.push_back({&cid,
                           std::make_shared<const auth::key_set>(
                               auth::key_set({auth::key_from_hmac_secret(cid.hmac_secret)})),
                           0});
    }
};

bool inside(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() &&
                            part.data() + part.size() <= whole.data() + whole.size());
}

std::size_t occurrences(std::string_view text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

void locate(std::string_view bytes) {
    static const std::optional<std::string> cookie_name = "ckg";
    auth::located_token t;
    if (auth::locate_token(bytes, true, {}, cookie_name, t) == auth::auth_status::ok &&
        !inside(t.token, bytes))
        __builtin_trap();
    const auto s = auth::locate_token({}, false, bytes, cookie_name, t);
    if (s == auth::auth_status::ok && !inside(t.token, bytes)) __builtin_trap();
    if (s == auth::auth_status::ambiguous_token && occurrences(bytes, "ckg=") < 2) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const fixture f;
    const std::string_view token(reinterpret_cast<const char*>(data), size);
    locate(token);
    for (auto leeway : {std::chrono::seconds(60), std::chrono::seconds::max()}) {
        auto r = auth::verify_token(token, f.issuers, 1'700'000'000, leeway);
        if (r && r.who.issuer.empty())
            __builtin_trap();  // an accepted token always names its issuer
        if (r && (r.who.expires_at < 0 || r.who.expires_at > auth::max_numeric_date))
            __builtin_trap();
        if (r.status == auth::auth_status::unknown_kid && !r.issuer_index) __builtin_trap();
    }
    return 0;
}
