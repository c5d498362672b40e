// Tokens shaped as Auth0, Okta, Cognito, Entra ID, Google, Firebase and
// Keycloak issue them (headers, claims and JWKS members), minted at test time
// by PyJWT (tests/support/make_tokens.py, providers.json), each verified
// under the configuration docs/auth.md recommends for that provider. One
// test case per row of that table.
#include "chatkit_gateway/auth/authenticator.hpp"
#include "chatkit_gateway/config/config_loader.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>

using namespace ckg;
namespace json = boost::json;

namespace {

const std::string dir = CKG_TEST_TOKENS_DIR;

json::value read_json(const std::string& path) {
    std::ifstream in(path);
    return json::parse(
        std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
}

// Loads the provider's issuer configuration through the real loader, then
// checks each of its tokens gets its expected outcome (at least one accepted).
void check_provider(const std::string& name) {
    const auto providers = read_json(dir + "/providers.json");
    const auto& p = providers.at(name);
    const auto now = read_json(dir + "/manifest.json").at("now").as_int64();
    const std::string text = R"({"auth": {"issuers": [)" + json::serialize(p.at("config")) +
                             R"(]}, "sessions": {"workflows": {"default": {"id": "wf"}}}})";
    const auto cfg = config::load_config_text(
        text, "test.json", [](const std::string& n) -> std::optional<std::string> {
            if (n == "OPENAI_API_KEY") return "sk-test";
            if (n == "CHATKIT_GATEWAY_HANDLE_KEY")
                return "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
            return std::nullopt;
        });
    auth::authenticator authn(cfg.auth, cfg.users);
    int accepted = 0;
    for (const auto& t : p.at("tokens").as_array()) {
        BOOST_TEST_CONTEXT(name << ": " << t.at("name").as_string()) {
            const std::string token(t.at("token").as_string());
            const auto r = authn.authenticate("Bearer " + token, true, "", now);
            BOOST_TEST(auth::status_name(r.status) == t.at("expect").as_string());
            if (r.user) {
                ++accepted;
                BOOST_TEST(r.user->who.issuer == p.at("config").at("issuer").as_string());
                BOOST_TEST(!r.user->who.user.empty());
            }
        }
    }
    BOOST_TEST(accepted >= 1);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(provider_tokens)

BOOST_AUTO_TEST_CASE(auth0_access_token) {
    check_provider("auth0");
}
BOOST_AUTO_TEST_CASE(okta_access_token) {
    check_provider("okta");
}
BOOST_AUTO_TEST_CASE(cognito_id_token) {
    check_provider("cognito_id");
}
BOOST_AUTO_TEST_CASE(cognito_access_token_with_client_id) {
    check_provider("cognito_access");
}
BOOST_AUTO_TEST_CASE(entra_id_v2_access_token_with_x5t_and_x5c) {
    check_provider("entra_id");
}
BOOST_AUTO_TEST_CASE(google_id_token) {
    check_provider("google");
}
BOOST_AUTO_TEST_CASE(firebase_id_token) {
    check_provider("firebase");
}
BOOST_AUTO_TEST_CASE(keycloak_access_token_with_azp) {
    check_provider("keycloak");
}

BOOST_AUTO_TEST_SUITE_END()
