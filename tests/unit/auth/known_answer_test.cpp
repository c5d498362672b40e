// Known-answer tests: the signatures printed in RFC 7515 appendix A.1-A.3
// and RFC 8037 appendix A.4 verify, and any change to them does not.
#include "chatkit_gateway/auth/jws_signature.hpp"
#include "chatkit_gateway/auth/jwt_parser.hpp"
#include "chatkit_gateway/core/base64.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

using namespace ckg;
using namespace ckg::auth;

namespace {

const std::string rfc7515_payload =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q";

const char* rfc7515_rsa_jwk = R"({"kty":"RSA",
  "n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
  "e":"AQAB"})";

const char* rfc7515_ec_jwk = R"({"kty":"EC","crv":"P-256",
  "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
  "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";

const char* rfc8037_okp_jwk =
    R"({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";

verification_key jwk(const char* text) {
    auto k = key_from_jwk(boost::json::parse(text).as_object());
    BOOST_REQUIRE_MESSAGE(k.ok(), (k.ok() ? "" : k.error().detail));
    return *k;
}

struct vector_case {
    const char* name;
    std::string token;
    verification_key key;
};

// Flips one bit in the middle of the signature.
std::string tampered(std::string token) {
    const auto i = token.rfind('.') + 10;
    token[i] = token[i] == 'A' ? 'B' : 'A';
    return token;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(known_answers)

BOOST_AUTO_TEST_CASE(rfc_vectors_verify_and_tampered_ones_do_not) {
    secret hmac_key(*base64url_decode(
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"));
    const std::vector<vector_case> cases = {
        {"RFC 7515 A.1 HS256",
         "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." + rfc7515_payload +
             ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
         key_from_hmac_secret(hmac_key)},
        {"RFC 7515 A.2 RS256",
         "eyJhbGciOiJSUzI1NiJ9." + rfc7515_payload +
             ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_"
             "lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_"
             "nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--"
             "xi12jzDwusC-"
             "eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVm"
             "tVrBp0igcN_IoypGlUPQGe77Rw",
         jwk(rfc7515_rsa_jwk)},
        {"RFC 7515 A.3 ES256",
         "eyJhbGciOiJFUzI1NiJ9." + rfc7515_payload +
             ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-"
             "Kg6NU1Q",
         jwk(rfc7515_ec_jwk)},
        {"RFC 8037 A.4 Ed25519",
         "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
         "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg",
         jwk(rfc8037_okp_jwk)},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            parsed_jwt jwt;
            const bool parsed = parse_jwt(c.token, jwt) == auth_status::ok;
            // The Ed25519 vector's payload is not JSON: check its signature directly.
            const auto dot = c.token.rfind('.');
            const auto input = std::string_view(c.token).substr(0, dot);
            const auto sig = *base64url_decode(std::string_view(c.token).substr(dot + 1));
            const auto alg = parsed ? jwt.alg : jws_algorithm::eddsa;
            BOOST_TEST(verify_signature(alg, c.key, input, sig));
            const auto bad = tampered(c.token);
            const auto bad_sig = *base64url_decode(std::string_view(bad).substr(dot + 1));
            BOOST_TEST(!verify_signature(alg, c.key, input, bad_sig));
            BOOST_TEST(!verify_signature(alg, c.key, std::string(input) + "x", sig));
        }
    }
}

BOOST_AUTO_TEST_CASE(algorithm_confusion_is_impossible) {
    const auto rsa = jwk(rfc7515_rsa_jwk);
    // The RFC's HS256 MAC, presented against an RSA key: never verified.
    const std::string input = "eyJhbGciOiJIUzI1NiJ9." + rfc7515_payload;
    const auto mac = *base64url_decode("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    BOOST_TEST(!verify_signature(jws_algorithm::hs256, rsa, input, mac));
    BOOST_TEST(!rsa.accepts(jws_algorithm::hs256));
    BOOST_TEST(!rsa.accepts(jws_algorithm::es256));
    BOOST_TEST(rsa.accepts(jws_algorithm::ps512));
    const auto ec = jwk(rfc7515_ec_jwk);
    BOOST_TEST(!ec.accepts(jws_algorithm::es384));
    BOOST_TEST(!ec.accepts(jws_algorithm::rs256));
}

BOOST_AUTO_TEST_CASE(es256_accepts_only_raw_r_s_of_the_right_size) {
    const auto ec = jwk(rfc7515_ec_jwk);
    const std::string input = "eyJhbGciOiJFUzI1NiJ9." + rfc7515_payload;
    const auto sig = *base64url_decode(
        "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q");
    BOOST_TEST(verify_signature(jws_algorithm::es256, ec, input, sig));
    BOOST_TEST(!verify_signature(jws_algorithm::es256, ec, input, sig.substr(0, 63)));
    BOOST_TEST(!verify_signature(jws_algorithm::es256, ec, input, sig + '\0'));
}

BOOST_AUTO_TEST_CASE(bad_jwks_are_refused_with_a_reason) {
    const char* bad[] = {
        R"({"kty":"RSA","n":"AQAB","e":"AQAB"})",               // 17-bit modulus
        R"({"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"})",  // wrong size
        R"({"kty":"EC","crv":"P-521","x":"AA","y":"AA"})",      // unsupported curve
        R"({"kty":"OKP","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})",
        R"({"kty":"oct","k":"AAAA"})",  // symmetric keys never come from a JWKS
        R"({"kty":"EC","crv":"P-256","use":"enc","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})",
        R"({"kty":"EC","crv":"P-256","alg":"RS256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})",
        R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FFzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})",  // off the curve
    };
    for (const char* text : bad) {
        BOOST_TEST_CONTEXT(text) {
            BOOST_TEST(!key_from_jwk(boost::json::parse(text).as_object()).ok());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
