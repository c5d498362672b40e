// Verification cost per algorithm, on tokens and keys made by PyJWT
// (tests/support/make_tokens.py into $CKG_TOKENS_DIR): the full uncached
// check (parse, signature, claims) and the cached path a repeated token takes.
#include "chatkit_gateway/auth/authenticator.hpp"
#include "chatkit_gateway/auth/token_verifier.hpp"

#include <benchmark/benchmark.h>
#include <boost/json.hpp>

#include <cstdlib>
#include <fstream>
#include <map>

using namespace ckg;

namespace {

struct bench_data {
    std::int64_t now = 0;
    std::map<std::string, std::string> tokens;  // case name -> token
    config::auth_config auth;
    config::users_config users;
    std::unique_ptr<auth::authenticator> authn;
    std::vector<auth::issuer_entry> issuers;

    bench_data() {
        const char* dir_env = std::getenv("CKG_TOKENS_DIR");
        const std::string dir = dir_env ? dir_env : "build/test-tokens";
        std::ifstream in(dir + "/manifest.json");
        const std::string text((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
        const auto m = boost::json::parse(text);
        now = m.at("now").as_int64();
        for (const auto& c : m.at("cases").as_array())
            tokens[std::string(c.at("name").as_string())] = std::string(c.at("token").as_string());
        using a = config::jws_algorithm;
        auto issuer = [&](std::string iss, std::vector<a> algs) {
            config::issuer_config i;
            i.issuer = std::move(iss);
            i.algorithms = std::move(algs);
            return i;
        };
        auto rsa = issuer("https://rsa.test/",
                          {a::rs256, a::rs384, a::rs512, a::ps256, a::ps384, a::ps512});
        rsa.jwks_file = dir + "/jwks_rsa.json";
        rsa.audiences = {"chatkit-gateway", "other-app"};
        auto ec = issuer("https://ec.test/", {a::es256, a::es384});
        ec.jwks_file = dir + "/jwks_ec.json";
        auto ed = issuer("https://ed.test/", {a::eddsa});
        ed.public_key_file = dir + "/ed25519.pem";
        ed.user_claim = "email";
        auto hs = issuer("https://hs.test/", {a::hs256, a::hs384, a::hs512});
        hs.hmac_secret_env = "HS";
        hs.hmac_secret = secret(std::string(m.at("hs_secret").as_string()));
        auth.issuers = {rsa, ec, ed, hs};
        authn = std::make_unique<auth::authenticator>(auth, users);
        for (const auto& i : auth.issuers)
            issuers.push_back(
                {&i, std::make_shared<const auth::key_set>(std::move(*auth::load_local_keys(i)))});
    }
};

bench_data& data() {
    static bench_data d;
    return d;
}

void verify_uncached(benchmark::State& state, const char* case_name) {
    auto& d = data();
    const auto& token = d.tokens.at(case_name);
    for (auto _ : state) {
        auto r = auth::verify_token(token, d.issuers, d.now, std::chrono::seconds(60));
        if (!r) state.SkipWithError(std::string(auth::status_name(r.status)).c_str());
        benchmark::DoNotOptimize(r);
    }
}

void verify_cached(benchmark::State& state) {
    auto& d = data();
    const auto header = "Bearer " + d.tokens.at("RS256 with kid");
    for (auto _ : state) {
        auto r = d.authn->authenticate(header, true, "", d.now);
        if (!r) state.SkipWithError(std::string(auth::status_name(r.status)).c_str());
        benchmark::DoNotOptimize(r);
    }
}

}  // namespace

BENCHMARK_CAPTURE(verify_uncached, RS256, "RS256 with kid")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(verify_uncached, RS384, "RS384 with kid")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(verify_uncached, RS512, "RS512 with kid")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(verify_uncached, PS256, "PS256 with kid")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(verify_uncached, PS384, "PS384 with kid")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(verify_uncached, PS512, "PS512 with kid")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(verify_uncached, ES256, "ES256")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(verify_uncached, ES384, "ES384")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(verify_uncached, EdDSA, "EdDSA from a PEM key, email as user claim")
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(verify_uncached, HS256, "HS256")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(verify_uncached, HS384, "HS384")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(verify_uncached, HS512, "HS512")->Unit(benchmark::kMicrosecond);
BENCHMARK(verify_cached)->Unit(benchmark::kNanosecond);

BENCHMARK_MAIN();
