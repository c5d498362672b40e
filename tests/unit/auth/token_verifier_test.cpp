// Tokens minted at test time by PyJWT (tests/support/make_tokens.py): every
// algorithm verifies, and each rejection rule of SPEC section 4 refuses its
// token with the expected reason. Plus the authenticator around the
// verifier: credentials, cache, user ids and key reloads.
#include "chatkit_gateway/auth/authenticator.hpp"
#include "chatkit_gateway/auth/user_id.hpp"
#include "chatkit_gateway/config/config_error.hpp"
#include "chatkit_gateway/config/config_loader.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

using namespace ckg;
namespace json = boost::json;

namespace {

const std::string dir = CKG_TEST_TOKENS_DIR;

json::value manifest() {
    std::ifstream in(dir + "/manifest.json");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return json::parse(text);
}

config::gateway_config make_config(const std::string& users = R"({"id_mode": "plain"})",
                                   const std::string& rsa_pem_file = dir + "/rsa.pem") {
    const std::string text = R"({
      "auth": {"cookie_name": "session_token", "issuers": [
        {"issuer": "https://rsa.test/", "jwks_file": ")" +
                             dir + R"(/jwks_rsa.json",
         "audiences": ["chatkit-gateway", "other-app"],
         "algorithms": ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]},
        {"issuer": "https://ec.test/", "jwks_file": ")" +
                             dir + R"(/jwks_ec.json", "algorithms": ["ES256", "ES384"]},
        {"issuer": "https://ed.test/", "public_key_file": ")" +
                             dir +
                             R"(/ed25519.pem", "algorithms": ["EdDSA"], "user_claim": "email"},
        {"issuer": "https://hs.test/", "hmac_secret_env": "HS", "algorithms": ["HS256", "HS384", "HS512"]},
        {"issuer": "https://rsapem.test/", "public_key_file": ")" +
                             rsa_pem_file + R"(", "algorithms": ["RS256"]}]},
      "users": )" + users + R"(,
      "sessions": {"workflows": {"default": {"id": "wf"}}}})";
    const std::string hs = std::string(manifest().at("hs_secret").as_string());
    const config::environment env = [hs](const std::string& name) -> std::optional<std::string> {
        if (name == "HS") return hs;
        if (name == "OPENAI_API_KEY") return "sk-test";
        if (name == "USER_KEY") return "user-id-key";
        if (name == "CHATKIT_GATEWAY_HANDLE_KEY")
            return "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        return std::nullopt;
    };
    return config::load_config_text(text, "test.json", env);
}

std::int64_t manifest_now() {
    return manifest().at("now").as_int64();
}

std::string token_named(const std::string& name) {
    const auto m = manifest();
    for (const auto& c : m.at("cases").as_array())
        if (c.at("name").as_string() == name) return std::string(c.at("token").as_string());
    throw std::runtime_error("no case " + name);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(token_verification)

BOOST_AUTO_TEST_CASE(every_pyjwt_token_gets_its_expected_outcome) {
    const auto cfg = make_config();
    auth::authenticator authn(cfg.auth, cfg.users);
    const auto m = manifest();
    const auto now = m.at("now").as_int64();
    std::size_t accepted = 0, refused = 0;
    for (const auto& c : m.at("cases").as_array()) {
        const std::string name(c.at("name").as_string());
        const std::string token(c.at("token").as_string());
        const std::string expect(c.at("expect").as_string());
        BOOST_TEST_CONTEXT(name) {
            auto r = authn.authenticate("Bearer " + token, true, "", now);
            if (expect == "ok") {
                BOOST_TEST(r.ok(), (r.ok() ? "" : r.error().detail));
                accepted += r.ok();
            } else {
                BOOST_REQUIRE(!r.ok());
                BOOST_TEST((r.error().code == errc::invalid_token));
                BOOST_TEST(r.error().detail.starts_with(expect), r.error().detail);
                BOOST_TEST(r.error().detail.find(token) == std::string::npos);
                ++refused;
            }
        }
    }
    BOOST_TEST(accepted >= 20u);
    BOOST_TEST(refused >= 30u);
}

BOOST_AUTO_TEST_CASE(principal_carries_issuer_user_and_claims) {
    const auto cfg = make_config();
    auth::authenticator authn(cfg.auth, cfg.users);
    auto r =
        authn.authenticate("Bearer " + token_named("EdDSA from a PEM key, email as user claim"),
                           true, "", manifest_now());
    BOOST_REQUIRE(r.ok());
    BOOST_TEST((*r)->who.issuer == "https://ed.test/");
    BOOST_TEST((*r)->who.user == "someone@example.com");
    BOOST_TEST((*r)->upstream_user_id == "someone@example.com");
    BOOST_TEST((*r)->who.claims.at("sub").as_string() == "user-42");
}

BOOST_AUTO_TEST_CASE(credentials_header_wins_over_cookie) {
    const auto cfg = make_config();
    auth::authenticator authn(cfg.auth, cfg.users);
    const auto now = manifest_now();
    const auto good = token_named("HS256");
    BOOST_TEST((authn.authenticate("", false, "", now).error().code == errc::missing_token));
    BOOST_TEST((authn.authenticate("", false, "other=1", now).error().code == errc::missing_token));
    BOOST_TEST((authn.authenticate("Basic dXNlcjpwYXNz", true, "", now).error().code ==
                errc::invalid_token));
    BOOST_TEST((authn.authenticate("Bearer", true, "", now).error().code == errc::invalid_token));
    BOOST_TEST(
        (authn.authenticate("Bearer a b", true, "", now).error().code == errc::invalid_token));
    BOOST_TEST((authn.authenticate("", true, "session_token=" + good, now).error().code ==
                errc::invalid_token));
    BOOST_TEST(authn.authenticate("bearer " + good, true, "", now).ok());
    BOOST_TEST(authn.authenticate("", false, "a=b; session_token=" + good + "; c=d", now).ok());
    BOOST_TEST(
        (authn.authenticate("Bearer nope", true, "session_token=" + good, now).error().code ==
         errc::invalid_token));
}

BOOST_AUTO_TEST_CASE(verified_tokens_are_cached_until_they_expire) {
    const auto cfg = make_config();
    auth::authenticator authn(cfg.auth, cfg.users);
    const auto now = manifest_now();
    const auto token = "Bearer " + token_named("RS256 with kid");
    auto first = authn.authenticate(token, true, "", now);
    auto second = authn.authenticate(token, true, "", now);
    BOOST_REQUIRE(first.ok());
    BOOST_REQUIRE(second.ok());
    BOOST_TEST((first->get() == second->get()));  // the cached object itself
    // exp is now + 600 and leeway 60: at now + 661 the cache no longer answers.
    auto late = authn.authenticate(token, true, "", now + 661);
    BOOST_REQUIRE(!late.ok());
    BOOST_TEST(late.error().detail == "expired");
}

BOOST_AUTO_TEST_CASE(hmac_user_ids_are_keyed_and_issuer_bound) {
    const auto cfg =
        make_config(R"({"id_mode": "hmac", "prefix": "app_", "hmac_key_env": "USER_KEY"})");
    auth::authenticator authn(cfg.auth, cfg.users);
    auto r = authn.authenticate("Bearer " + token_named("HS256"), true, "", manifest_now());
    BOOST_REQUIRE(r.ok());
    // Known answer from Python's hmac module: HMAC-SHA256("user-id-key",
    // "https://hs.test/\nuser-42").
    BOOST_TEST((*r)->upstream_user_id ==
               "app_f3e651983eec73ad7526c2d3e87f0504c1d7534e2f197ed9bc216f2fd7d1c492");
    BOOST_TEST(auth::upstream_user_id(cfg.users, "https://other.test/", "user-42") !=
               (*r)->upstream_user_id);
    const auto plain = make_config(R"({"id_mode": "plain", "prefix": "p:"})");
    BOOST_TEST(auth::upstream_user_id(plain.users, "https://hs.test/", "user-42") == "p:user-42");
}

BOOST_AUTO_TEST_CASE(reload_keeps_old_keys_when_the_new_file_is_bad) {
    const auto pem = std::filesystem::temp_directory_path() / "ckg-reload-test.pem";
    std::filesystem::copy_file(dir + "/rsa.pem", pem,
                               std::filesystem::copy_options::overwrite_existing);
    const auto cfg = make_config(R"({"id_mode": "plain"})", pem.string());
    auth::authenticator authn(cfg.auth, cfg.users);
    const auto now = manifest_now();
    const auto token = "Bearer " + token_named("RS256 from a PEM key");
    BOOST_TEST(authn.authenticate(token, true, "", now).ok());
    std::ofstream(pem) << "garbage\n";
    const auto problems = authn.reload_local_keys();
    BOOST_REQUIRE(problems.size() == 1u);
    BOOST_TEST(problems[0].find("auth.issuers[4].public_key_file") == 0u);
    BOOST_TEST(authn.authenticate(token, true, "", now).ok());
    // A valid new key replaces the old one, and cached tokens stop working at once.
    std::filesystem::copy_file(dir + "/ed25519.pem", pem,
                               std::filesystem::copy_options::overwrite_existing);
    BOOST_TEST(authn.reload_local_keys().empty());
    auto after = authn.authenticate(token, true, "", now);
    BOOST_REQUIRE(!after.ok());
    BOOST_TEST(after.error().detail == "unknown_kid");
    std::filesystem::remove(pem);
}

BOOST_AUTO_TEST_CASE(an_unloadable_key_file_is_a_config_error) {
    const auto pem = std::filesystem::temp_directory_path() / "ckg-bad-key.pem";
    std::ofstream(pem) << "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    const auto cfg = make_config(R"({"id_mode": "plain"})", pem.string());
    BOOST_CHECK_EXCEPTION(auth::authenticator(cfg.auth, cfg.users), config::config_error,
                          [](const config::config_error& e) {
                              return e.path() == "auth.issuers[4].public_key_file";
                          });
    std::filesystem::remove(pem);
}

BOOST_AUTO_TEST_SUITE_END()
