// The real binary: --check-config, --version, --help, one-line configuration
// errors with exit status 2, and a run that answers probes and stops on SIGTERM.
#include "gateway_process.hpp"
#include "process.hpp"
#include "test_client.hpp"
#include "test_files.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>

#include <sys/stat.h>
#include <thread>

using namespace ckg;
using namespace ckg::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string gateway_binary = CKG_GATEWAY_BINARY;
const std::string source_dir = CKG_SOURCE_DIR;

std::string valid_config(const std::string& extra_server = "") {
    return R"({"server": {"listen": "127.0.0.1:0")" + extra_server + R"(},
      "admin": {"listen": "127.0.0.1:0"},
      "auth": {"issuers": [{"issuer": "https://id/", "hmac_secret_env": "CHATKIT_GATEWAY_DEV_HS256_SECRET", "algorithms": ["HS256"]}]},
      "sessions": {"workflows": {"default": {"id": "wf_1"}}}})";
}

process_result check(const fs::path& config, env_map env = gateway_env(),
                     const std::string& cwd = {}) {
    return run_process({gateway_binary, "--config", config.string(), "--check-config"},
                       std::move(env), cwd);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_AUTO_TEST_CASE(version_help_and_usage_errors) {
    auto v = run_process({gateway_binary, "--version"}, gateway_env());
    BOOST_TEST(v.exit_code == 0);
    BOOST_TEST(v.out.starts_with("chatkit-gateway "));
    auto h = run_process({gateway_binary, "--help"}, gateway_env());
    BOOST_TEST(h.exit_code == 0);
    BOOST_TEST(h.out.find("--check-config") != std::string::npos);
    BOOST_TEST(run_process({gateway_binary, "--frobnicate"}, gateway_env()).exit_code == 2);
    BOOST_TEST(run_process({gateway_binary}, gateway_env()).exit_code == 2);
}

BOOST_AUTO_TEST_CASE(shipped_configurations_pass_check_config) {
    // config/dev.json names .dev/tls/... relative to the working directory.
    const auto dir = temp_dir("cli-dev");
    BOOST_REQUIRE(run_process({"/bin/bash", source_dir + "/tools/make-dev-cert.sh", ".dev/tls"},
                              gateway_env(), dir.string())
                      .exit_code == 0);
    auto dev = check(source_dir + "/config/dev.json", gateway_env(), dir.string());
    BOOST_TEST(dev.exit_code == 0, dev.err);
    // One line says so, and nothing else (no log line of the start-up).
    BOOST_TEST(dev.out == "configuration OK: " + source_dir + "/config/dev.json\n");

    // The production example mounts its certificate under /etc; point that one
    // prefix at test certificates and check everything else as shipped.
    auto prod = read_text(source_dir + "/config/production.example.json");
    prod = std::regex_replace(prod, std::regex("/etc/chatkit-gateway/tls/tls\\.crt"),
                              (dir / ".dev/tls/server.pem").string());
    prod = std::regex_replace(prod, std::regex("/etc/chatkit-gateway/tls/tls\\.key"),
                              (dir / ".dev/tls/server.key").string());
    write_text(dir / "production.json", prod);
    auto p = check(dir / "production.json");
    BOOST_TEST(p.exit_code == 0, p.err);
    fs::remove_all(dir);
}

// Valid but probably not meant: plain user ids with two identity providers
// merge their users who share a claim value, and an HMAC secret shorter than
// its algorithm's hash can be guessed. --check-config says so (still exit
// 0), and so does the log at start-up; hmac ids and long secrets are quiet.
BOOST_AUTO_TEST_CASE(plain_ids_with_two_issuers_and_short_hmac_secrets_are_warned_about) {
    const auto dir = temp_dir("cli-warn");
    auto two_issuers = [](const std::string& users) {
        return R"({"server": {"listen": "127.0.0.1:0"}, "admin": {"listen": "127.0.0.1:0"},
          "auth": {"issuers": [
            {"issuer": "https://a/", "hmac_secret_env": "CHATKIT_GATEWAY_DEV_HS256_SECRET", "algorithms": ["HS256"]},
            {"issuer": "https://b/", "hmac_secret_env": "CHATKIT_GATEWAY_DEV_HS256_SECRET", "algorithms": ["HS256"]}]},
          "sessions": {"workflows": {"default": {"id": "wf_1"}}})" +
               users + "}";
    };
    write_text(dir / "plain.json", two_issuers(""));
    write_text(dir / "hmac.json",
               two_issuers(R"(, "users": {"id_mode": "hmac", "hmac_key_env": "UK"})"));
    auto env = gateway_env();
    env["UK"] = "user-id-key-for-tests-0123456789abcdef";
    env["CHATKIT_GATEWAY_DEV_HS256_SECRET"] = std::string(32, 's');  // long enough for HS256
    const auto plain = check(dir / "plain.json", env);
    BOOST_TEST(plain.exit_code == 0);
    BOOST_TEST(plain.err.find("config warning: users.id_mode is \"plain\" with 2 issuers") !=
               std::string::npos);
    const auto hmac = check(dir / "hmac.json", env);
    BOOST_TEST(hmac.exit_code == 0);
    BOOST_TEST(hmac.err.empty(), hmac.err);
    ckg::test::gateway running(dir / "plain.json", env);
    running.wait_for_log("\"msg\":\"config warning\"");
    // An HS256 secret under 32 bytes (RFC 7518 section 3.2) is warned about too.
    env["CHATKIT_GATEWAY_DEV_HS256_SECRET"] = std::string(31, 's');
    const auto weak = check(dir / "hmac.json", env);
    BOOST_TEST(weak.exit_code == 0);
    BOOST_TEST(weak.err.find("config warning: auth.issuers[0].hmac_secret_env holds 31 bytes; its "
                             "algorithms need at least 32") != std::string::npos,
               weak.err);
    // The upstream's address without /v1: every mint would fail, long after start-up.
    env["CHATKIT_GATEWAY_DEV_HS256_SECRET"] = std::string(32, 's');
    for (const std::string base :
         {"https://api.openai.com", "https://api.openai.com:443/", "https://api.openai.com/v2"}) {
        write_text(dir / "nov1.json",
                   two_issuers(R"(, "users": {"id_mode": "hmac", "hmac_key_env": "UK"},
                      "upstream": {"base_url": ")" +
                               base + R"("})"));
        const auto nov1 = check(dir / "nov1.json", env);
        BOOST_TEST(nov1.exit_code == 0);
        BOOST_TEST(nov1.err.find("config warning: upstream.base_url names api.openai.com without "
                                 "the /v1 path") != std::string::npos,
                   base << ": " << nov1.err);
    }
    write_text(dir / "v1.json", two_issuers(R"(, "users": {"id_mode": "hmac", "hmac_key_env": "UK"},
                      "upstream": {"base_url": "https://api.openai.com/v1/"})"));
    const auto v1 = check(dir / "v1.json", env);
    BOOST_TEST(v1.err.empty(), v1.err);
    fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(each_bad_configuration_class_exits_2_with_one_line) {
    const auto dir = temp_dir("cli-bad");
    const std::string junk = (dir / "junk.pem").string();
    write_text(junk, "this is not PEM\n");
    // Read once at start: a FIFO there must be refused, not block start-up.
    const std::string fifo = (dir / "ca.fifo").string();
    BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    struct bad {
        std::string name;
        std::string text;
        env_map env;
        std::string expected_line;
    };
    auto env_without = [](const std::string& var) {
        auto e = gateway_env();
        e.erase(var);
        return e;
    };
    // The valid file with its issuer's HMAC secret swapped for another key source.
    auto with_key_source = [](const std::string& source) {
        return std::regex_replace(
            valid_config(),
            std::regex(
                R"("hmac_secret_env": "CHATKIT_GATEWAY_DEV_HS256_SECRET", "algorithms": \["HS256"\])"),
            source);
    };
    const std::vector<bad> cases = {
        {"unknown key", valid_config(R"(, "colour": "blue")"), gateway_env(),
         "config error: server.colour: unknown key"},
        {"wrong type", valid_config(R"(, "threads": "four")"), gateway_env(),
         "config error: server.threads: must be an integer"},
        {"out of range", valid_config(R"(, "max_connections": 0)"), gateway_env(),
         "config error: server.max_connections: must be an integer from 1 to 1000000"},
        {"malformed listen", R"({"server": {"listen": "nowhere"}})", gateway_env(),
         "config error: server.listen: must be \"host:port\""},
        {"missing secret", valid_config(), env_without("OPENAI_API_KEY"),
         "config error: upstream.api_key_env: environment variable OPENAI_API_KEY is not set or "
         "empty"},
        {"unreadable certificate",
         valid_config(R"(, "tls": {"cert_file": "/x", "key_file": "/y"})"), gateway_env(),
         "config error: server.tls.cert_file: cannot read /x: No such file or directory"},
        {"not a certificate",
         valid_config(R"(, "tls": {"cert_file": ")" + junk + R"(", "key_file": ")" + junk +
                      R"("})"),
         gateway_env(),
         "config error: server.tls.cert_file: cannot load certificate chain from " + junk},
        {"workflow without id",
         std::regex_replace(valid_config(), std::regex(R"("id": "wf_1")"), R"("version": "1")"),
         gateway_env(), "config error: sessions.workflows.default.id: is required"},
        {"unusable JWKS", with_key_source(R"("jwks_file": ")" + junk + R"(")"), gateway_env(),
         "config error: auth.issuers[0].jwks_file: JWKS is not a JSON object"},
        {"a PEM file as the JWKS",
         with_key_source(R"("jwks_file": ")" + ckg::test::test_pki("server.pem") + R"(")"),
         gateway_env(),
         "config error: auth.issuers[0].jwks_file: JWKS is not a JSON object but PEM (a PEM public "
         "key goes in public_key_file)"},
        {"a certificate as the public key",
         with_key_source(R"("public_key_file": ")" + ckg::test::test_pki("server.pem") + R"(")"),
         gateway_env(),
         "config error: auth.issuers[0].public_key_file: not a PEM public key but a certificate "
         "(its key: openssl x509 -pubkey -noout -in FILE)"},
        {"upstream CA a FIFO",
         valid_config().substr(0, valid_config().size() - 1) + R"(, "upstream": {"ca_file": ")" +
             fifo + R"("}})",
         gateway_env(), "config error: upstream.ca_file: " + fifo + " is not a regular file"},
        {"Redis CA a FIFO",
         valid_config().substr(0, valid_config().size() - 1) +
             R"(, "redis": {"url": "rediss://127.0.0.1:1", "ca_file": ")" + fifo + R"("}})",
         gateway_env(), "config error: redis.ca_file: " + fifo + " is not a regular file"},
        {"listeners on one port",
         std::regex_replace(valid_config(), std::regex(R"(127\.0\.0\.1:0)"), "127.0.0.1:18999"),
         gateway_env(), "config error: admin.listen: must not share server.listen's port 18999"},
        {"admin on the public port of every address",
         std::regex_replace(
             std::regex_replace(valid_config(), std::regex(R"(127\.0\.0\.1:0)"), "127.0.0.1:18999"),
             std::regex(R"(127\.0\.0\.1:18999)"), "0.0.0.0:18999",
             std::regex_constants::format_first_only),
         gateway_env(), "config error: admin.listen: must not share server.listen's port 18999"},
        {"invalid JSON", "{\"server\": {\"listen\": }", gateway_env(),
         "config error: " + (dir / "invalid JSON.json").string() +
             ": invalid JSON at line 1, column 23"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            const auto file = dir / (c.name + ".json");
            write_text(file, c.text);
            auto r = check(file, c.env);
            BOOST_TEST(r.exit_code == 2);
            BOOST_TEST(r.err.starts_with(c.expected_line), r.err);
            BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, r.err);
            BOOST_TEST(r.out.empty());
        }
    }
    auto missing = check(dir / "absent.json");
    BOOST_TEST(missing.exit_code == 2);
    BOOST_TEST(missing.err.starts_with("config error: " + (dir / "absent.json").string() +
                                       ": cannot read"),
               missing.err);
    fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(runs_answers_probes_survives_sighup_and_stops_on_sigterm) {
    const auto dir = temp_dir("cli-run");
    write_text(dir / "gw.json", valid_config(R"(, "drain_seconds": 0)"));
    child_process p({gateway_binary, "--config", (dir / "gw.json").string()}, gateway_env());
    // The start-up log line names the ephemeral admin port.
    std::smatch m;
    const std::regex admin_re(R"re("admin":"127\.0\.0\.1:(\d+)")re");
    std::string out;
    for (int i = 0; i < 200 && !std::regex_search(out = p.out(), m, admin_re); ++i)
        std::this_thread::sleep_for(20ms);
    BOOST_REQUIRE_MESSAGE(!m.empty(), "no listening line: " << out << p.err());
    const tcp::endpoint admin(net::ip::make_address("127.0.0.1"),
                              static_cast<unsigned short>(std::stoi(m[1])));
    test_client c(admin);
    BOOST_TEST(c.request(http::verb::get, "/readyz").result_int() == 200);
    p.signal(SIGHUP);
    for (int i = 0; i < 100 && p.out().find("keys reloaded") == std::string::npos; ++i)
        std::this_thread::sleep_for(20ms);
    BOOST_TEST(p.out().find("keys reloaded") != std::string::npos);
    BOOST_TEST(!p.wait(0ms).has_value());
    BOOST_TEST(c.request(http::verb::get, "/healthz").result_int() == 200);
    p.signal(SIGTERM);
    auto status = p.wait(10s);
    BOOST_REQUIRE(status.has_value());
    BOOST_TEST(*status == 0);
    // Every stdout line is one JSON object with time, level and msg.
    std::istringstream lines(p.out());
    for (std::string line; std::getline(lines, line);) {
        auto v = boost::json::parse(line);
        BOOST_TEST(v.as_object().contains("time"));
        BOOST_TEST(v.as_object().contains("level"));
        BOOST_TEST(v.as_object().contains("msg"));
        BOOST_TEST(line.find("sk-test-never-leaks") == std::string::npos);
    }
    fs::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
