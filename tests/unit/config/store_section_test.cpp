// The "redis" section, rate_limit.sessions_per_day and admin.token_env:
// valid values load, every rule of docs/operations.md is refused with the
// exact key path.
#include "chatkit_gateway/config/config_error.hpp"
#include "chatkit_gateway/config/config_loader.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace json = boost::json;
using namespace ckg::config;

namespace {

environment env() {
    return [](const std::string& name) -> std::optional<std::string> {
        if (name == "OPENAI_API_KEY") return "sk-test";
        if (name == "CHATKIT_GATEWAY_HANDLE_KEY")
            return "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        if (name == "HS_SECRET") return "hmac-secret";
        if (name == "REDIS_PW") return "redis-password";
        if (name == "ADMIN_TOKEN") return std::string(32, 't');
        if (name == "SHORT_TOKEN") return std::string(31, 't');
        return std::nullopt;
    };
}

gateway_config load_with(const std::string& extra) {
    const std::string text = R"({
      "auth": {"issuers": [{"issuer": "https://id.example.com/", "hmac_secret_env": "HS_SECRET", "algorithms": ["HS256"]}]},
      "sessions": {"workflows": {"default": {"id": "wf_123"}}})" +
                             (extra.empty() ? "" : "," + extra) + "}";
    return load_config_text(text, "gw.json", env());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_config)

BOOST_AUTO_TEST_CASE(defaults_have_no_redis_no_quota_and_no_admin_api) {
    const auto c = load_with("");
    BOOST_TEST(!c.redis);
    BOOST_TEST(!c.rate_limit.sessions_per_day);
    BOOST_TEST(!c.admin.token);
}

BOOST_AUTO_TEST_CASE(a_full_redis_section_loads) {
    const auto c =
        load_with(R"("redis": {"url": "rediss://redis.internal:6380/3", "password_env": "REDIS_PW",
                                         "key_prefix": "gw:", "timeout_ms": 100, "on_error": "refuse"},
                                "rate_limit": {"sessions_per_day": 50},
                                "admin": {"token_env": "ADMIN_TOKEN"})");
    BOOST_REQUIRE(c.redis);
    BOOST_TEST(c.redis->tls);
    BOOST_TEST(c.redis->host == "redis.internal");
    BOOST_TEST(c.redis->port == 6380);
    BOOST_TEST(c.redis->db == 3u);
    BOOST_TEST(c.redis->password->reveal() == "redis-password");
    BOOST_TEST(c.redis->key_prefix == "gw:");
    BOOST_TEST(c.redis->timeout.count() == 100);
    BOOST_TEST((c.redis->on_error == store_error_policy::refuse));
    BOOST_TEST(*c.rate_limit.sessions_per_day == 50u);
    BOOST_TEST(c.admin.token->reveal().size() == 32u);
    const auto d = load_with(R"("redis": {"url": "redis://10.0.0.7"})");
    BOOST_TEST(d.redis->port == 6379);
    BOOST_TEST(d.redis->db == 0u);
    BOOST_TEST(d.redis->timeout.count() == 250);
    BOOST_TEST(d.redis->key_prefix == "chatkit-gateway:");
    BOOST_TEST((d.redis->on_error == store_error_policy::local));
}

BOOST_AUTO_TEST_CASE(every_bad_value_names_its_key) {
    const std::pair<std::string, std::string> cases[] = {
        {R"("redis": {"url": "http://redis:6379"})", "redis.url"},
        {R"("redis": {"url": "redis://user:pw@redis:6379"})", "redis.url"},
        {R"("redis": {"url": "redis://:pw@redis"})", "redis.url"},
        {R"("redis": {"url": "redis://"})", "redis.url"},
        {R"("redis": {"url": "redis://redis/abc"})", "redis.url"},
        {R"("redis": {"url": "redis://redis:65536"})", "redis.url"},  // would wrap to 0
        {R"("redis": {"url": "redis://redis:71115"})", "redis.url"},  // would wrap to 5579
        {R"("redis": {"url": "redis://redis:0"})", "redis.url"},
        {R"("redis": {"url": "redis://re%64is"})", "redis.url"},
        {R"("redis": {"url": "redis://redis", "key_prefix": "a{b}:"})", "redis.key_prefix"},
        {R"("redis": {})", "redis.url"},
        {R"("redis": {"url": "redis://redis", "on_error": "ignore"})", "redis.on_error"},
        {R"("redis": {"url": "redis://redis", "timeout_ms": 0})", "redis.timeout_ms"},
        {R"("redis": {"url": "redis://redis", "timeout_ms": 60001})", "redis.timeout_ms"},
        {R"("redis": {"url": "redis://redis", "password_env": "MISSING"})", "redis.password_env"},
        {R"("redis": {"url": "rediss://redis", "ca_file": "/nonexistent"})", "redis.ca_file"},
        {R"("redis": {"url": "redis://redis", "ca_file": "/etc/passwd"})", "redis.ca_file"},
        {R"("redis": {"url": "redis://redis", "colour": 1})", "redis.colour"},
        {R"("rate_limit": {"sessions_per_day": 0})", "rate_limit.sessions_per_day"},
        {R"("admin": {"token_env": "MISSING"})", "admin.token_env"},
        {R"("admin": {"token_env": "SHORT_TOKEN"})", "admin.token_env"},
    };
    for (const auto& [extra, path] : cases) {
        BOOST_TEST_CONTEXT(extra) {
            BOOST_CHECK_EXCEPTION(load_with(extra), config_error,
                                  [&](const config_error& e) { return e.path() == path; });
        }
    }
}

BOOST_AUTO_TEST_CASE(the_admin_token_and_redis_password_never_appear_in_errors) {
    try {
        load_with(R"("admin": {"token_env": "SHORT_TOKEN"})");
        BOOST_FAIL("accepted a short token");
    } catch (const config_error& e) {
        BOOST_TEST(std::string(e.what()).find(std::string(31, 't')) == std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()
