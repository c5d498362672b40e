// Every configuration failure class of docs/operations.md is refused with
// the exact key path; a valid file loads with every documented default.
#include "chatkit_gateway/config/config_loader.hpp"
#include "chatkit_gateway/config/config_error.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <vector>

namespace json = boost::json;
using namespace ckg::config;

namespace {

const std::string handle_key_b64 =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";  // 32 bytes 0..31

// One file per process: ctest runs several unit_tests processes at once, and
// each removes its file when it exits.
struct fixture_files {
    std::string pem = "/tmp/ckg-config-test-readable-" + std::to_string(::getpid()) + ".pem";
    fixture_files() { std::ofstream(pem) << "not checked by the loader\n"; }
    ~fixture_files() { std::remove(pem.c_str()); }
};
const fixture_files files;

environment env_with(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
    };
}

environment default_env() {
    return env_with({{"OPENAI_API_KEY", "sk-test"},
                     {"CHATKIT_GATEWAY_HANDLE_KEY", handle_key_b64},
                     {"HS_SECRET", "hmac-secret"},
                     {"USER_KEY", "user-key"},
                     {"BROKEN_KEY", "sk-first\r\nX-Evil: sk-second"},
                     {"KEY_FROM_FILE", handle_key_b64 + "\n"},
                     {"HEX_KEY", std::string(64, 'a')}});
}

json::value minimal_config() {
    return json::parse(R"({
      "auth": {"issuers": [{"issuer": "https://id.example.com/", "hmac_secret_env": "HS_SECRET", "algorithms": ["HS256"]}]},
      "sessions": {"workflows": {"default": {"id": "wf_123"}}}
    })");
}

// Sets (or, with a null optional, removes) the member at a dotted path with
// [n] indexes, creating objects on the way.
void patch(json::value& doc, const std::string& path, std::optional<json::value> v) {
    json::value* cur = &doc;
    std::size_t pos = 0;
    while (true) {
        auto dot = path.find('.', pos);
        std::string part =
            path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
        std::optional<std::size_t> index;
        if (auto br = part.find('['); br != std::string::npos) {
            index = std::stoul(part.substr(br + 1));
            part = part.substr(0, br);
        }
        if (cur->is_null()) *cur = json::object();
        auto& obj = cur->as_object();
        const bool last = dot == std::string::npos;
        if (last && !index) {
            if (v)
                obj[part] = *v;
            else
                obj.erase(part);
            return;
        }
        cur = &obj[part];
        if (index) cur = &cur->as_array().at(*index);
        if (last) {
            *cur = *v;
            return;
        }
        pos = dot + 1;
    }
}

gateway_config load(const json::value& doc, const environment& env = default_env()) {
    return load_config_text(json::serialize(doc), "test.json", env);
}

struct failure_case {
    std::string name;
    std::string path;
    std::optional<json::value> value;  // nullopt: remove the key
    std::string expected_path;
    std::string expected_problem;  // a substring of the problem
};

}  // namespace

BOOST_AUTO_TEST_SUITE(config_loader)

BOOST_AUTO_TEST_CASE(minimal_file_gets_every_default) {
    const auto c = load(minimal_config());
    BOOST_TEST(c.server.listen.host == "0.0.0.0");
    BOOST_TEST(c.server.listen.port == 8443);
    BOOST_TEST(!c.server.tls.has_value());
    BOOST_TEST(c.server.threads == 0u);
    BOOST_TEST(c.server.max_body_bytes == 16384u);
    BOOST_TEST(c.server.max_connections == 10000u);
    BOOST_TEST(c.server.header_timeout.count() == 10000);
    BOOST_TEST(c.server.idle_timeout.count() == 60000);
    BOOST_TEST(c.server.drain.count() == 5);
    BOOST_TEST(c.server.shutdown_grace.count() == 25);
    BOOST_TEST(c.admin.listen.host == "127.0.0.1");
    BOOST_TEST(c.admin.listen.port == 9090);
    BOOST_TEST(c.upstream.base_url == "https://api.openai.com/v1");
    BOOST_TEST(c.upstream.api_key.reveal() == "sk-test");
    BOOST_TEST(c.upstream.connect_timeout.count() == 3000);
    BOOST_TEST(c.upstream.request_timeout.count() == 10000);
    BOOST_TEST(c.upstream.max_connections == 64u);
    BOOST_TEST(c.upstream.max_retries == 2u);
    BOOST_TEST(!c.upstream.proxy_url.has_value());
    BOOST_TEST(c.auth.leeway.count() == 60);
    BOOST_TEST(!c.auth.cookie_name.has_value());
    BOOST_REQUIRE(c.auth.issuers.size() == 1u);
    BOOST_TEST(c.auth.issuers[0].audiences == std::vector<std::string>{"chatkit-gateway"});
    BOOST_TEST(c.auth.issuers[0].user_claim == "sub");
    BOOST_TEST(c.auth.issuers[0].jwks_min_refresh.count() == 30);
    BOOST_TEST(c.auth.issuers[0].hmac_secret.reveal() == "hmac-secret");
    BOOST_TEST((c.users.id_mode == user_id_mode::plain));
    BOOST_TEST(c.sessions.handle_key.size() == 32u);
    BOOST_TEST(c.sessions.default_workflow == "default");
    BOOST_TEST(c.sessions.workflows.at("default").id == "wf_123");
    BOOST_TEST(c.rate_limit.sessions_per_minute == 10u);
    BOOST_TEST(c.rate_limit.burst == 5u);
    BOOST_TEST(c.cors.allowed_origins.empty());
    BOOST_TEST(c.cors.max_age.count() == 600);
}

BOOST_AUTO_TEST_CASE(a_proxy_url_loads_as_host_and_port) {
    auto doc = minimal_config();
    patch(doc, "upstream.proxy_url", json::value("http://egress.internal:3128"));
    const auto c = load(doc);
    BOOST_REQUIRE(c.upstream.proxy_url.has_value());
    BOOST_TEST(c.upstream.proxy_url->host == "egress.internal");
    BOOST_TEST(c.upstream.proxy_url->port == "3128");
}

BOOST_AUTO_TEST_CASE(asymmetric_issuer_defaults_to_rs256) {
    auto doc = minimal_config();
    patch(doc, "auth.issuers[0]",
          json::parse(R"({"issuer": "https://x/", "public_key_file": ")" + files.pem + R"("})"));
    const auto c = load(doc);
    BOOST_TEST((c.auth.issuers[0].algorithms == std::vector<jws_algorithm>{jws_algorithm::rs256}));
}

BOOST_AUTO_TEST_CASE(discovery_and_audience_claim_load) {
    auto doc = minimal_config();
    BOOST_TEST(load(doc).auth.issuers[0].audience_claim == "aud");
    BOOST_TEST(!load(doc).auth.issuers[0].discovery);
    patch(doc, "auth.issuers[0]",
          json::parse(R"({"issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X",
        "discovery": true, "audience_claim": "client_id", "jwks_ca_file": ")" +
                      files.pem + R"("})"));
    const auto c = load(doc);
    BOOST_TEST(c.auth.issuers[0].discovery);
    BOOST_TEST(c.auth.issuers[0].fetches_keys());
    BOOST_TEST(c.auth.issuers[0].audience_claim == "client_id");
}

BOOST_AUTO_TEST_CASE(every_bad_input_names_its_key) {
    const std::vector<failure_case> cases = {
        {"unknown top-level key", "serverz", json::value(1), "serverz", "unknown key"},
        {"unknown nested key", "server.tls",
         json::parse(R"({"cert_file": ")" + files.pem + R"(", "key_file": ")" + files.pem +
                     R"(", "ciphers": "x"})"),
         "server.tls.ciphers", "unknown key"},
        {"unknown key in issuer", "auth.issuers[0].jku", json::value("x"), "auth.issuers[0].jku",
         "unknown key"},
        {"a line break in an issuer (HMAC user ids join it with one)", "auth.issuers[0].issuer",
         json::value("https://id.example.com/\nx"), "auth.issuers[0].issuer",
         "must not contain control characters"},
        {"unknown key in workflow", "sessions.workflows.default.model", json::value("x"),
         "sessions.workflows.default.model", "unknown key"},
        {"chatkit_configuration typo", "sessions.workflows.default.chatkit_configuration",
         json::parse(R"({"history": {"enabeld": true}})"),
         "sessions.workflows.default.chatkit_configuration.history.enabeld", "unknown key"},
        {"chatkit_configuration unknown member", "sessions.workflows.default.chatkit_configuration",
         json::parse(R"({"theme": "dark"})"),
         "sessions.workflows.default.chatkit_configuration.theme", "unknown key"},
        {"chatkit_configuration file size over the upstream's 512",
         "sessions.workflows.default.chatkit_configuration",
         json::parse(R"({"file_upload": {"enabled": true, "max_file_size": 513}})"),
         "sessions.workflows.default.chatkit_configuration.file_upload.max_file_size",
         "from 1 to 512"},
        {"chatkit_configuration not an object", "sessions.workflows.default.chatkit_configuration",
         json::value(true), "sessions.workflows.default.chatkit_configuration",
         "must be an object"},
        {"wrong type: string for int", "server.max_body_bytes", json::value("big"),
         "server.max_body_bytes", "must be an integer"},
        {"wrong type: number for string", "upstream.base_url", json::value(5), "upstream.base_url",
         "must be a string"},
        {"wrong type: section not object", "server", json::value("x"), "server",
         "must be an object"},
        {"wrong type: bool", "sessions.workflows.default.tracing", json::value("yes"),
         "sessions.workflows.default.tracing", "true or false"},
        {"out of range: zero body", "server.max_body_bytes", json::value(0),
         "server.max_body_bytes", "from 1 to"},
        {"out of range: negative timeout", "server.header_timeout_ms", json::value(-5),
         "server.header_timeout_ms", "from 1 to"},
        {"out of range: huge", "upstream.max_retries", json::value(std::uint64_t(1) << 63),
         "upstream.max_retries", "from 0 to 10"},
        {"out of range: expires_after", "sessions.workflows.default.expires_after_seconds",
         json::value(601), "sessions.workflows.default.expires_after_seconds", "from 1 to 600"},
        {"out of range: max_requests", "sessions.workflows.default.max_requests_per_1_minute",
         json::value(0), "sessions.workflows.default.max_requests_per_1_minute", "from 1 to"},
        {"out of range: burst", "rate_limit.burst", json::value(0), "rate_limit.burst",
         "from 1 to"},
        {"out of range: sessions_per_minute", "rate_limit.sessions_per_minute", json::value(0),
         "rate_limit.sessions_per_minute", "from 1 to"},
        {"malformed listen: no port", "server.listen", json::value("0.0.0.0"), "server.listen",
         "host:port"},
        {"malformed listen: name", "server.listen", json::value("localhost:80"), "server.listen",
         "host:port"},
        {"malformed listen: port", "admin.listen", json::value("127.0.0.1:99999"), "admin.listen",
         "host:port"},
        {"malformed listen: ipv6 without brackets", "admin.listen", json::value("::1:80"),
         "admin.listen", "host:port"},
        {"unreadable certificate", "server.tls",
         json::parse(
             R"({"cert_file": "/nonexistent/cert.pem", "key_file": "/nonexistent/key.pem"})"),
         "server.tls.cert_file", "cannot read /nonexistent/cert.pem: No such file or directory"},
        {"unreadable key", "server.tls",
         json::parse(R"({"cert_file": ")" + files.pem +
                     R"(", "key_file": "/nonexistent/key.pem"})"),
         "server.tls.key_file", "cannot read /nonexistent/key.pem"},
        {"directory as file", "upstream.ca_file", json::value("/tmp"), "upstream.ca_file",
         "/tmp is not a regular file"},
        {"tls without key", "server.tls", json::parse(R"({"cert_file": ")" + files.pem + R"("})"),
         "server.tls.key_file", "is required"},
        {"missing api key variable", "upstream.api_key_env", json::value("NOT_SET_ANYWHERE"),
         "upstream.api_key_env", "NOT_SET_ANYWHERE is not set"},
        {"missing handle key variable", "sessions.handle_key_env", json::value("NOPE"),
         "sessions.handle_key_env", "NOPE is not set"},
        {"missing hmac secret variable", "auth.issuers[0].hmac_secret_env", json::value("NOPE"),
         "auth.issuers[0].hmac_secret_env", "NOPE is not set"},
        {"handle key wrong size", "sessions.handle_key_env", json::value("HS_SECRET"),
         "sessions.handle_key_env", "32 bytes"},
        {"handle key with a trailing newline", "sessions.handle_key_env",
         json::value("KEY_FROM_FILE"), "sessions.handle_key_env",
         "KEY_FROM_FILE holds a space or a line break (a file's trailing newline?); it must hold "
         "32 bytes, base64-encoded"},
        {"handle key in hex", "sessions.handle_key_env", json::value("HEX_KEY"),
         "sessions.handle_key_env", "HEX_KEY decodes to 48 bytes (a hex key?)"},
        {"workflow without id", "sessions.workflows.default.id", std::nullopt,
         "sessions.workflows.default.id", "is required"},
        {"workflow with empty id", "sessions.workflows.default.id", json::value(""),
         "sessions.workflows.default.id", "must not be empty"},
        {"default workflow missing", "sessions.default_workflow", json::value("other"),
         "sessions.default_workflow", "no workflow profile named"},
        {"id_mode invalid", "users.id_mode", json::value("sha1"), "users.id_mode",
         "\"plain\" or \"hmac\""},
        {"hmac mode without key env", "users.id_mode", json::value("hmac"), "users.hmac_key_env",
         "is required"},
        {"algorithm none", "auth.issuers[0].algorithms", json::parse(R"(["HS256", "none"])"),
         "auth.issuers[0].algorithms[1]", "unsupported algorithm \"none\""},
        {"algorithm unknown", "auth.issuers[0].algorithms", json::parse(R"(["RS1"])"),
         "auth.issuers[0].algorithms[0]", "unsupported algorithm"},
        {"asymmetric algorithm with hmac secret", "auth.issuers[0].algorithms",
         json::parse(R"(["RS256"])"), "auth.issuers[0].algorithms", "hmac_secret_env allows only"},
        {"no key source", "auth.issuers[0].hmac_secret_env", std::nullopt, "auth.issuers[0]",
         "needs exactly one key source (jwks_url, discovery: true, jwks_file, public_key_file or "
         "hmac_secret_env); found none"},
        {"two key sources", "auth.issuers[0].jwks_url", json::value("https://id.example.com/jwks"),
         "auth.issuers[0].hmac_secret_env", "is a second key source besides jwks_url"},
        {"discovery with a second key source", "auth.issuers[0].discovery", json::value(true),
         "auth.issuers[0].hmac_secret_env", "is a second key source besides discovery"},
        {"discovery not a boolean", "auth.issuers[0].discovery", json::value("yes"),
         "auth.issuers[0].discovery", "true or false"},
        {"empty audience_claim", "auth.issuers[0].audience_claim", json::value(""),
         "auth.issuers[0].audience_claim", "must not be empty"},
        {"audience_claim not a string", "auth.issuers[0].audience_claim", json::value(1),
         "auth.issuers[0].audience_claim", "must be a string"},
        {"jwks_url not https", "auth.issuers[0].jwks_url",
         json::value("http://id.example.com/jwks"), "auth.issuers[0].jwks_url", "https://"},
        {"base_url not https", "upstream.base_url", json::value("http://api.openai.com/v1"),
         "upstream.base_url", "https://"},
        {"base_url host percent-encoded", "upstream.base_url",
         json::value("https://localhost%0d%0aX-Inj:%201/v1"), "upstream.base_url",
         "no percent-encoding"},
        {"base_url port percent-encoded into the host", "upstream.base_url",
         json::value("https://127.0.0.1%3a8787/v1"), "upstream.base_url", "no percent-encoding"},
        {"base_url port zero", "upstream.base_url", json::value("https://api.openai.com:0/v1"),
         "upstream.base_url", "https://"},
        {"base_url port above 65535 (would wrap to 443)", "upstream.base_url",
         json::value("https://api.openai.com:65979/v1"), "upstream.base_url", "https://"},
        {"jwks_url host percent-encoded", "auth.issuers[0].jwks_url",
         json::value("https://id%2eexample.com/jwks"), "auth.issuers[0].jwks_url",
         "no percent-encoding"},
        {"issuer missing", "auth.issuers[0].issuer", std::nullopt, "auth.issuers[0].issuer",
         "is required"},
        {"no issuers", "auth.issuers", json::array(), "auth.issuers", "at least one issuer"},
        {"empty audiences", "auth.issuers[0].audiences", json::array(), "auth.issuers[0].audiences",
         "at least one audience"},
        {"cors origin with a path", "cors.allowed_origins",
         json::parse(R"(["https://app.example.com/"])"), "cors.allowed_origins[0]",
         "without a path"},
        {"state variable not primitive", "sessions.workflows.default.state_variables",
         json::parse(R"({"a": {"b": 1}})"), "sessions.workflows.default.state_variables.a",
         "string, a boolean or a number"},
        {"state variable name too long", "sessions.workflows.default.allowed_state_variables",
         json::value(json::array{json::value(std::string(65, 'k'))}),
         "sessions.workflows.default.allowed_state_variables", "1 to 64 characters"},
        {"bad cookie name", "auth.cookie_name", json::value("a b"), "auth.cookie_name",
         "valid cookie name"},
        {"header injection in organization", "upstream.organization",
         json::value("org_1\r\nX-Evil: 1"), "upstream.organization", "visible ASCII"},
        {"control character in project", "upstream.project", json::value("proj\t1"),
         "upstream.project", "visible ASCII"},
        {"empty project", "upstream.project", json::value(""), "upstream.project", "visible ASCII"},
        {"api key with a line break", "upstream.api_key_env", json::value("BROKEN_KEY"),
         "upstream.api_key_env", "BROKEN_KEY holds characters not allowed"},
        {"https proxy", "upstream.proxy_url", json::value("https://proxy:3128"),
         "upstream.proxy_url", "must be http://host:port"},
        {"proxy with a password", "upstream.proxy_url", json::value("http://user:pw@proxy:3128"),
         "upstream.proxy_url", "must be http://host:port"},
        {"proxy without a scheme", "upstream.proxy_url", json::value("proxy:3128"),
         "upstream.proxy_url", "must be http://host:port"},
        {"proxy without a port", "upstream.proxy_url", json::value("http://proxy"),
         "upstream.proxy_url", "must be http://host:port"},
        {"proxy as a number", "upstream.proxy_url", json::value(3128), "upstream.proxy_url",
         "must be a string"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            auto doc = minimal_config();
            patch(doc, c.path, c.value);
            try {
                load(doc);
                BOOST_ERROR("accepted a bad configuration");
            } catch (const config_error& e) {
                BOOST_TEST(e.path() == c.expected_path);
                BOOST_TEST(e.problem().find(c.expected_problem) != std::string::npos,
                           "problem: " << e.problem());
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(rule_violations_across_keys) {
    struct rule {
        std::string name;
        std::string issuer_or_workflow;
        std::string expected_path;
        std::string expected;
    };
    const std::vector<rule> cases = {
        {"hmac algorithm with asymmetric key",
         R"({"issuer": "i", "public_key_file": ")" + files.pem + R"(", "algorithms": ["HS256"]})",
         "auth.issuers[0].algorithms", "HS* algorithms need hmac_secret_env"},
        {"jwks_ca_file without jwks_url",
         R"({"issuer": "i", "public_key_file": ")" + files.pem + R"(", "jwks_ca_file": ")" +
             files.pem + R"("})",
         "auth.issuers[0].jwks_ca_file", "only valid with jwks_url or discovery"},
        {"jwks_ca_file with an HMAC secret",
         R"({"issuer": "i", "hmac_secret_env": "HS_SECRET", "algorithms": ["HS256"], "jwks_ca_file": ")" +
             files.pem + R"("})",
         "auth.issuers[0].jwks_ca_file", "only valid with jwks_url or discovery"},
        {"hmac secret with the default algorithms",
         R"({"issuer": "i", "hmac_secret_env": "HS_SECRET"})", "auth.issuers[0].algorithms",
         "hmac_secret_env allows only HS256, HS384 or HS512 (algorithms is not set: it defaults "
         "to [\"RS256\"]; set [\"HS256\"])"},
        {"discovery with an http:// issuer",
         R"({"issuer": "http://id.example.com", "discovery": true})", "auth.issuers[0].issuer",
         "https://"},
        {"discovery with HS256",
         R"({"issuer": "https://id.example.com", "discovery": true, "algorithms": ["HS256"]})",
         "auth.issuers[0].algorithms", "HS* algorithms need hmac_secret_env"},
        {"discovery and jwks_url",
         R"({"issuer": "https://id.example.com", "discovery": true, "jwks_url": "https://id.example.com/k"})",
         "auth.issuers[0].discovery", "is a second key source besides jwks_url"},
        {"no key source at all", R"({"issuer": "https://id.example.com", "discovery": false})",
         "auth.issuers[0]", "found none"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            auto doc = minimal_config();
            patch(doc, "auth.issuers[0]", json::parse(c.issuer_or_workflow));
            BOOST_CHECK_EXCEPTION(load(doc), config_error, [&](const config_error& e) {
                BOOST_TEST_INFO("problem: " << e.problem());
                return e.path() == c.expected_path &&
                       e.problem().find(c.expected) != std::string::npos;
            });
        }
    }
}

// A secret pasted where its variable's name belongs is refused without
// being echoed: config errors reach pod and CI logs.
BOOST_AUTO_TEST_CASE(a_secret_in_place_of_a_variable_name_is_not_echoed) {
    const std::string pasted = "pasted-secret-Zx9Qw8-not-a-real-key";
    const std::vector<std::pair<std::string, std::vector<std::pair<std::string, json::value>>>>
        keys = {
            {"upstream.api_key_env", {}},
            {"sessions.handle_key_env", {}},
            {"auth.issuers[0].hmac_secret_env", {}},
            {"users.hmac_key_env", {{"users.id_mode", json::value("hmac")}}},
            {"redis.password_env", {{"redis.url", json::value("redis://127.0.0.1:6379")}}},
            {"admin.token_env", {}},
        };
    for (const auto& [key, also] : keys) {
        BOOST_TEST_CONTEXT(key) {
            auto doc = minimal_config();
            for (const auto& [path, value] : also) patch(doc, path, value);
            patch(doc, key, json::value(pasted));
            try {
                load(doc);
                BOOST_ERROR("accepted a secret as a variable name");
            } catch (const config_error& e) {
                BOOST_TEST(e.path() == key);
                BOOST_TEST(e.problem().find("must name an environment variable") !=
                           std::string::npos);
                BOOST_TEST(std::string(e.what()).find("Zx9Qw8") == std::string::npos);
                BOOST_TEST(e.problem().find("Zx9Qw8") == std::string::npos);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(state_variable_used_twice_is_refused) {
    auto doc = minimal_config();
    patch(doc, "sessions.workflows.default",
          json::parse(R"({"id": "wf", "state_variables": {"plan": "x"},
        "claims_to_state_variables": {"tier": "plan"}})"));
    BOOST_CHECK_EXCEPTION(load(doc), config_error, [](const config_error& e) {
        return e.path() == "sessions.workflows.default.claims_to_state_variables" &&
               e.problem().find("more than one") != std::string::npos;
    });
    patch(doc, "sessions.workflows.default",
          json::parse(R"({"id": "wf", "state_variables": {"plan": "x"},
        "allowed_state_variables": ["plan"]})"));
    BOOST_CHECK_THROW(load(doc), config_error);
}

BOOST_AUTO_TEST_CASE(more_than_64_state_variables_is_refused) {
    auto doc = minimal_config();
    json::array names;
    // Appended, not `"v" + std::to_string(i)`: g++ 12 warns -Wrestrict (wrongly) on that at -O3.
    for (int i = 0; i < 65; ++i) names.emplace_back(std::string("v").append(std::to_string(i)));
    patch(doc, "sessions.workflows.default.allowed_state_variables", json::value(names));
    BOOST_CHECK_EXCEPTION(load(doc), config_error, [](const config_error& e) {
        return e.problem().find("at most 64") != std::string::npos;
    });
}

// Names are counted in characters, as the upstream counts them: 64 é (128
// bytes) are a name, 65 are not.
BOOST_AUTO_TEST_CASE(state_variable_names_are_counted_in_characters) {
    auto doc = minimal_config();
    std::string name;
    for (int i = 0; i < 64; ++i) name += "\xC3\xA9";
    patch(doc, "sessions.workflows.default.allowed_state_variables",
          json::array{json::value(name)});
    BOOST_CHECK_NO_THROW(load(doc));
    name += "\xC3\xA9";
    patch(doc, "sessions.workflows.default.allowed_state_variables",
          json::array{json::value(name)});
    BOOST_CHECK_EXCEPTION(load(doc), config_error, [](const config_error& e) {
        return e.problem().find("1 to 64 characters") != std::string::npos;
    });
}

BOOST_AUTO_TEST_CASE(duplicate_issuers_are_refused) {
    auto doc = minimal_config();
    auto issuer = doc.at("auth").at("issuers").at(0);
    doc.as_object()["auth"].as_object()["issuers"].as_array().push_back(issuer);
    BOOST_CHECK_EXCEPTION(load(doc), config_error, [](const config_error& e) {
        return e.path() == "auth.issuers[1].issuer";
    });
}

// A name given twice in one object means different things to different
// JSON readers (Boost.JSON keeps the last): refused, with its path.
BOOST_AUTO_TEST_CASE(a_name_given_twice_is_refused_with_its_path) {
    // A valid file, with one name given twice at the top, in an object and
    // in an array's element.
    const std::string valid = json::serialize(minimal_config());
    BOOST_REQUIRE_NO_THROW(load_config_text(valid, "twice.json", default_env()));
    const auto with = [&](std::string_view what, std::string_view by) {
        std::string text = valid;
        text.replace(text.find(what), what.size(), by);
        return text;
    };
    const std::pair<std::string, std::string> cases[] = {
        {with("{", R"({"rate_limit": {"burst": 1}, "rate_limit": {"burst": 9}, )"), "rate_limit"},
        {with("{", R"({"server": {"listen": "127.0.0.1:1", "listen": "127.0.0.1:2"}, )"),
         "server.listen"},
        {with(R"("issuer":)", R"("user_claim": "sub", "user_claim": "email", "issuer":)"),
         "auth.issuers[0].user_claim"},
    };
    for (const auto& [text, path] : cases) {
        BOOST_TEST_CONTEXT(text) {
            BOOST_CHECK_EXCEPTION(load_config_text(text, "twice.json", default_env()), config_error,
                                  [&](const config_error& e) {
                                      return e.path() == path &&
                                             e.problem() == "is given more than once";
                                  });
        }
    }
}

BOOST_AUTO_TEST_CASE(invalid_json_names_file_line_and_column) {
    try {
        load_config_text("{\n  \"server\": {\n    \"listen\": ,\n  }\n}", "bad.json",
                         default_env());
        BOOST_ERROR("accepted invalid JSON");
    } catch (const config_error& e) {
        BOOST_TEST(e.path() == "bad.json");
        BOOST_TEST(e.problem().find("line 3, column 15") != std::string::npos, e.problem());
    }
}

BOOST_AUTO_TEST_CASE(unreadable_file_names_the_file) {
    BOOST_CHECK_EXCEPTION(load_config_file("/nonexistent/gw.json", default_env()), config_error,
                          [](const config_error& e) {
                              return e.path() == "/nonexistent/gw.json" &&
                                     e.problem().find("No such file") != std::string::npos;
                          });
}

BOOST_AUTO_TEST_CASE(hmac_user_ids_and_listen_forms_load) {
    auto doc = minimal_config();
    patch(doc, "users",
          json::parse(R"({"id_mode": "hmac", "prefix": "app_", "hmac_key_env": "USER_KEY"})"));
    patch(doc, "server.listen", json::value("[::1]:8443"));
    patch(doc, "upstream.base_url", json::value("https://127.0.0.1:8787/v1/"));
    const auto c = load(doc);
    BOOST_TEST((c.users.id_mode == user_id_mode::hmac));
    BOOST_TEST(c.users.hmac_key.reveal() == "user-key");
    BOOST_TEST(c.server.listen.host == "::1");
    BOOST_TEST(c.upstream.base_url == "https://127.0.0.1:8787/v1");
}

BOOST_AUTO_TEST_CASE(an_ipv6_base_url_loads) {
    auto doc = minimal_config();
    patch(doc, "upstream.base_url", json::value("https://[::1]:8787/v1"));
    BOOST_TEST(load(doc).upstream.base_url == "https://[::1]:8787/v1");
}

// cors.allowed_origins (docs/api.md, "CORS"): any scheme, one-label patterns;
// every refusal names the entry's index.
BOOST_AUTO_TEST_CASE(cors_origins_of_any_scheme_and_patterns_load) {
    auto doc = minimal_config();
    patch(doc, "cors.allowed_origins", json::parse(R"([
        "https://app.example.com", "http://localhost:3000", "capacitor://localhost",
        "ionic://localhost", "https://*.preview.example.com", "http://[::1]:8080",
        "HTTPS://App.Example.COM:8443"])"));
    const auto c = load(doc);
    BOOST_TEST_REQUIRE(c.cors.allowed_origins.size() == 7u);
    BOOST_TEST(c.cors.allowed_origins[2].matches("capacitor://localhost"));
    BOOST_TEST(c.cors.allowed_origins[4].is_wildcard());
    BOOST_TEST(c.cors.allowed_origins[4].matches("https://pr-12.preview.example.com"));
    BOOST_TEST(c.cors.allowed_origins[6].text() == "https://app.example.com:8443");
}

BOOST_AUTO_TEST_CASE(bad_cors_origins_name_their_index) {
    struct bad {
        const char* entry;
        const char* problem;
    };
    const bad cases[] = {
        {"null", "\"null\" cannot be allowed"},
        {"*", "may only stand for the whole first label"},
        {"https://*", "may only stand for the whole first label"},
        {"https://app-*.example.com", "may only stand for the whole first label"},
        {"https://app.*.example.com", "may only stand for the whole first label"},
        {"*://app.example.com", "may only stand for the whole first label"},
        {"https://*.*.example.com", "several \"*\""},
        {"https://*.com", "at least two labels"},
        {"https://app.example.com/path", "without a path"},
        {"https://app.example.com?x=1", "without a path"},
        {"https://user@app.example.com", "user info"},
        {"https://app.example.com:0", "port must be a number from 1 to 65535"},
        {"https://app.example.com:443",
         "names its scheme's default port, which browsers never send in an Origin: write "
         "\"https://app.example.com\""},
        {"HTTP://*.example.com:80", "write \"http://*.example.com\""},
        {"https://app.example.com:99999", "port must be a number from 1 to 65535"},
        {"app.example.com", "must be an origin"},
        {"https://", "must be a DNS name"},
        {"https://app..example.com", "must be a DNS name"},
        {"https://app example.com", "must be a DNS name"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.entry) {
            auto doc = minimal_config();
            patch(doc, "cors.allowed_origins",
                  json::array{json::value("https://ok.example.com"), json::value(c.entry)});
            try {
                load(doc);
                BOOST_ERROR("accepted a bad origin");
            } catch (const config_error& e) {
                BOOST_TEST(e.path() == "cors.allowed_origins[1]");
                BOOST_TEST(e.problem().find(c.problem) != std::string::npos,
                           "problem: " << e.problem());
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
