#include "secret_scan.hpp"

#include <boost/json.hpp>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <regex>
#include <vector>

namespace ckg::test {
namespace {

std::mutex mutex;
std::vector<std::pair<observed_kind, std::string>> records;  // guarded by mutex

// Every secret the tests hand the service, by construction of the fixtures.
std::vector<std::string> known_secrets() {
    std::vector<std::string> secrets = {
        "sk-test",  // prefix of every "sk-test..." key used by the suites
        "sk-client-test",
        "sk-sim-test-key",
        "sk-browser-test",
        "hs-secret-for-tests-0123456789abcdef",
        "dev-hs256-secret-for-tests",
        "user-id-key-for-tests",
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",  // the test handle key
    };
    // For the check of the check: a string every run sees must be reported.
    if (const char* extra = std::getenv("CKG_SECRET_SCAN_EXTRA")) secrets.emplace_back(extra);
    std::ifstream in(std::string(CKG_TEST_TOKENS_DIR) + "/manifest.json");
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    boost::system::error_code ec;
    const auto manifest = boost::json::parse(text, ec);
    if (ec) return secrets;
    for (const auto& [name, token] : manifest.at("users").as_object())
        secrets.emplace_back(token.as_string());
    secrets.emplace_back(manifest.at("bench_rs256").as_string());
    for (const auto& c : manifest.at("cases").as_array()) {
        const std::string token(c.at("token").as_string());
        if (token.size() >= 40) secrets.push_back(token);
    }
    return secrets;
}

}  // namespace

void record_observed(observed_kind kind, std::string_view text) {
    std::lock_guard lock(mutex);
    records.emplace_back(kind, std::string(text));
}

std::function<void(std::string_view)> recording_log_sink() {
    return [](std::string_view line) { record_observed(observed_kind::log_line, line); };
}

std::size_t observed_count() {
    std::lock_guard lock(mutex);
    return records.size();
}

std::vector<std::string> find_leaks() {
    const auto secrets = known_secrets();
    // Not inside a longer base64url or JWT text: a PyJWT-minted token's
    // random signature holds "ek_" and 20 letters or digits about once in
    // 200 runs of a suite that mints six (openid_discovery).
    const std::regex client_secret("(?:^|[^A-Za-z0-9_.-])ek_[A-Za-z0-9]{20,}");
    std::vector<std::string> leaks;
    std::lock_guard lock(mutex);
    for (const auto& [kind, text] : records) {
        for (const auto& s : secrets)
            if (text.find(s) != std::string::npos)
                leaks.push_back("a secret (" + s.substr(0, 6) + "...) in: " + text.substr(0, 300));
        if (kind != observed_kind::response && std::regex_search(text, client_secret))
            leaks.push_back("a client secret in: " + text.substr(0, 300));
    }
    return leaks;
}

}  // namespace ckg::test
