// Tokens minted at test time by PyJWT (tests/support/make_tokens.py): every
// algorithm verifies, and each rejection rule of docs/auth.md refuses its
// token with the expected reason. Plus the authenticator around the
// verifier: credentials, cache, user ids and key reloads.
#include "chatkit_gateway/auth/authenticator.hpp"
#include "chatkit_gateway/auth/user_id.hpp"
#include "chatkit_gateway/config/config_error.hpp"
#include "chatkit_gateway/config/config_loader.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>

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
            BOOST_TEST(auth::status_name(r.status) == expect);
            if (expect == "ok") {
                BOOST_TEST((r.user != nullptr));
                accepted += r.status == auth::auth_status::ok;
            } else {
                BOOST_TEST((r.user == nullptr));
                BOOST_TEST((r.as_result().error().code == errc::invalid_token));
                BOOST_TEST(r.as_result().error().detail == expect);
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
    BOOST_REQUIRE(r.user);
    BOOST_TEST(r.user->who.issuer == "https://ed.test/");
    BOOST_TEST(r.user->who.user == "someone@example.com");
    BOOST_TEST(r.user->upstream_user_id == "someone@example.com");
    BOOST_TEST(r.user->who.claims.at("sub").as_string() == "user-42");
}

BOOST_AUTO_TEST_CASE(credentials_header_wins_over_cookie) {
    const auto cfg = make_config();
    auth::authenticator authn(cfg.auth, cfg.users);
    const auto now = manifest_now();
    const auto good = token_named("HS256");
    using auth::auth_status;
    auto status = [&](std::string_view authorization, bool has, std::string_view cookie) {
        return authn.authenticate(authorization, has, cookie, now).status;
    };
    BOOST_TEST((status("", false, "") == auth_status::missing_token));
    BOOST_TEST((status("", false, "other=1") == auth_status::missing_token));
    BOOST_TEST((status("Basic dXNlcjpwYXNz", true, "") == auth_status::not_bearer));
    BOOST_TEST((status("Bearer", true, "") == auth_status::not_bearer));
    BOOST_TEST((status("Bearer a b", true, "") == auth_status::malformed));
    BOOST_TEST((status("", true, "session_token=" + good) == auth_status::not_bearer));
    BOOST_TEST((status("bearer " + good, true, "") == auth_status::ok));
    BOOST_TEST((status("", false, "a=b; session_token=" + good + "; c=d") == auth_status::ok));
    BOOST_TEST((status("Bearer nope", true, "session_token=" + good) == auth_status::malformed));
    BOOST_TEST((auth::error_code_of(auth_status::missing_token) == errc::missing_token));
    BOOST_TEST((auth::error_code_of(auth_status::not_bearer) == errc::invalid_token));
}

BOOST_AUTO_TEST_CASE(verified_tokens_are_cached_until_they_expire) {
    const auto cfg = make_config();
    auth::authenticator authn(cfg.auth, cfg.users);
    const auto now = manifest_now();
    const auto token = "Bearer " + token_named("RS256 with kid");
    auto first = authn.authenticate(token, true, "", now);
    auto second = authn.authenticate(token, true, "", now);
    BOOST_REQUIRE(first.user);
    BOOST_REQUIRE(second.user);
    BOOST_TEST((first.user.get() == second.user.get()));  // the cached object itself
    // exp is now + 600 and leeway 60: at now + 661 the cache no longer answers.
    auto late = authn.authenticate(token, true, "", now + 661);
    BOOST_TEST((late.status == auth::auth_status::expired));
}

BOOST_AUTO_TEST_CASE(hmac_user_ids_are_keyed_and_issuer_bound) {
    const auto cfg =
        make_config(R"({"id_mode": "hmac", "prefix": "app_", "hmac_key_env": "USER_KEY"})");
    auth::authenticator authn(cfg.auth, cfg.users);
    auto r = authn.authenticate("Bearer " + token_named("HS256"), true, "", manifest_now());
    BOOST_REQUIRE(r.user);
    // Known answer from Python's hmac module: HMAC-SHA256("user-id-key",
    // "https://hs.test/\nuser-42").
    BOOST_TEST(r.user->upstream_user_id ==
               "app_f3e651983eec73ad7526c2d3e87f0504c1d7534e2f197ed9bc216f2fd7d1c492");
    BOOST_TEST(auth::upstream_user_id(cfg.users, "https://other.test/", "user-42") !=
               r.user->upstream_user_id);
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
    BOOST_TEST((authn.authenticate(token, true, "", now).status == auth::auth_status::ok));
    std::ofstream(pem) << "garbage\n";
    const auto problems = authn.reload_local_keys();
    BOOST_REQUIRE(problems.size() == 1u);
    BOOST_TEST(problems[0].find("auth.issuers[4].public_key_file") == 0u);
    BOOST_TEST((authn.authenticate(token, true, "", now).status == auth::auth_status::ok));
    // A valid new key replaces the old one, and cached tokens stop working at once.
    std::filesystem::copy_file(dir + "/ed25519.pem", pem,
                               std::filesystem::copy_options::overwrite_existing);
    BOOST_TEST(authn.reload_local_keys().empty());
    auto after = authn.authenticate(token, true, "", now);
    BOOST_TEST((after.status == auth::auth_status::unknown_kid));
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

BOOST_AUTO_TEST_CASE(a_huge_leeway_neither_overflows_nor_refuses) {
    // Before: now + leeway and exp + leeway were int64 sums that could overflow.
    const auto cfg = make_config();
    auth::key_set keys({auth::key_from_hmac_secret(cfg.auth.issuers[3].hmac_secret)});
    std::vector<auth::issuer_entry> issuers{
        {&cfg.auth.issuers[3], std::make_shared<const auth::key_set>(std::move(keys)), 0}};
    const auto now = manifest_now();
    const auto token = token_named("nbf within leeway");
    using limits = std::numeric_limits<std::int64_t>;
    for (auto leeway : {std::chrono::seconds::max(), std::chrono::seconds(limits::max() - 5)}) {
        BOOST_TEST(
            (auth::verify_token(token, issuers, now, leeway).status == auth::auth_status::ok));
        BOOST_TEST((auth::verify_token(token, issuers, now - 1'000'000'000, leeway).status ==
                    auth::auth_status::ok));
        // The leeway is clamped to 2^53 - 1: the extremes of int64 stay out of reach, with no
        // wrap-around.
        BOOST_TEST((auth::verify_token(token, issuers, limits::max(), leeway).status ==
                    auth::auth_status::expired));
        BOOST_TEST((auth::verify_token(token, issuers, limits::min(), leeway).status ==
                    auth::auth_status::not_yet_valid));
    }
    // A negative leeway counts as none.
    BOOST_TEST((auth::verify_token(token, issuers, now, std::chrono::seconds(-100)).status ==
                auth::auth_status::not_yet_valid));
}

BOOST_AUTO_TEST_CASE(a_removed_key_stops_working_at_once_while_verifications_are_in_flight) {
    // Four threads verify 64 distinct rsa-1 tokens (mostly cache misses, so
    // verifications are always in flight) while the JWKS alternates between
    // {rsa-1, rsa-2} and {rsa-2}. A call that starts after rsa-1's removal
    // returned, and ends before it comes back, must be refused: before the
    // fix, a verification that read the old keys re-cached its token.
    const auto cfg = make_config();
    auth::authenticator authn(cfg.auth, cfg.users);
    const auto m = manifest();
    std::vector<std::string> tokens;
    for (const auto& t : m.at("rotation_rs256").as_array())
        tokens.push_back("Bearer " + std::string(t.as_string()));
    std::ifstream in(dir + "/jwks_rsa.json");
    auto jwks = json::parse(
        std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
    auto only = [&](std::vector<std::string> kids) {
        json::array keys;
        for (const auto& k : jwks.at("keys").as_array())
            if (std::find(kids.begin(), kids.end(), k.at("kid").as_string()) != kids.end())
                keys.push_back(k);
        return std::make_shared<const auth::key_set>(
            *auth::key_set_from_jwks(json::serialize(json::object{{"keys", keys}})));
    };
    const auto with = only({"rsa-1", "rsa-2"}), without = only({"rsa-2"});
    const auto now = manifest_now();
    std::atomic<std::uint64_t> epoch{0};  // odd: rsa-1 removed
    std::atomic<bool> stop{false};
    std::atomic<int> violations{0}, checked{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (std::size_t i = static_cast<std::size_t>(t); !stop.load(); i += 7) {
                const auto before = epoch.load();
                const auto r = authn.authenticate(tokens[i % tokens.size()], true, "", now);
                const auto after = epoch.load();
                if (before == after && before % 2 == 1) {
                    ++checked;
                    if (r.status == auth::auth_status::ok) ++violations;
                }
            }
        });
    for (int round = 0; round < 150; ++round) {
        authn.replace_keys(0, with);
        std::this_thread::sleep_for(std::chrono::microseconds(300));
        authn.replace_keys(0, without);
        ++epoch;
        std::this_thread::sleep_for(std::chrono::microseconds(700));
        ++epoch;
    }
    stop = true;
    for (auto& th : threads) th.join();
    BOOST_TEST(violations.load() == 0);
    BOOST_TEST(checked.load() > 100);
    authn.replace_keys(0, without);
    for (const auto& t : tokens)
        BOOST_TEST((authn.authenticate(t, true, "", now).status == auth::auth_status::unknown_kid));
}

BOOST_AUTO_TEST_CASE(reload_and_refresh_never_drop_each_others_keys) {
    // Before: each updater copied the snapshot, changed it and swapped it in,
    // so a concurrent SIGHUP reload could put back the JWKS keys a refresh
    // had just replaced (or the reverse).
    const auto cfg = make_config();
    auth::authenticator authn(cfg.auth, cfg.users);
    std::ifstream in(dir + "/jwks_rsa.json");
    const auto text =
        std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto keys = std::make_shared<const auth::key_set>(*auth::key_set_from_jwks(text));
    std::atomic<bool> stop{false};
    std::thread reloader([&] {
        while (!stop.load()) BOOST_TEST(authn.reload_local_keys().empty());
    });
    for (int i = 0; i < 300; ++i) {
        const auto before = authn.keys_generation(0);
        authn.replace_keys(0, keys);
        BOOST_TEST(authn.keys_generation(0) > before);  // a reload never undoes it
    }
    stop = true;
    reloader.join();
    BOOST_TEST(
        (authn.authenticate("Bearer " + token_named("RS256 with kid"), true, "", manifest_now())
             .status == auth::auth_status::ok));
}

BOOST_AUTO_TEST_CASE(the_cache_is_bounded_in_bytes_and_refuses_stale_generations) {
    // 1 MiB, and 2,000 users with about 8 KiB of claims each: at most 1 MiB
    // is kept (before: bounded by entries only, about 14 KiB an entry).
    auth::token_cache cache(16384, std::chrono::seconds(60), std::size_t{1} << 20);
    for (int i = 0; i < 2000; ++i) {
        auto user = std::make_shared<auth::authenticated_user>();
        user->who.expires_at = 2'000'000'000;
        user->who.claims["pad"] = std::string(8000, 'x');
        const std::string token = std::string(100, 'y') + "token-" + std::to_string(i);
        BOOST_TEST(cache.insert(token, user, 0));
        BOOST_TEST((cache.find(token, 1'000'000'000) == user));
    }
    BOOST_TEST(cache.bytes() <= (std::size_t{1} << 20));
    BOOST_TEST(cache.size() < 130u);
    BOOST_TEST(cache.size() > 60u);
    BOOST_TEST(auth::token_cache_max_bytes == std::size_t{32} << 20);
    // After clear(1), an insert by a verification that read generation 0 is refused.
    auto user = std::make_shared<auth::authenticated_user>();
    user->who.expires_at = 2'000'000'000;
    cache.clear(1);
    BOOST_TEST(cache.size() == 0u);
    BOOST_TEST(cache.bytes() == 0u);
    BOOST_TEST(!cache.insert("late", user, 0));
    BOOST_TEST(!cache.find("late", 1'000'000'000));
    BOOST_TEST(cache.insert("fresh", user, 1));
    // An entry bigger than a shard's share is not cached at all.
    auto huge = std::make_shared<auth::authenticated_user>();
    huge->who.claims["pad"] = std::string(200'000, 'x');
    BOOST_TEST(!cache.insert("huge", huge, 1));
}

BOOST_AUTO_TEST_SUITE_END()
