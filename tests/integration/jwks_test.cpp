// jwks_url issuers against a real HTTPS JWKS endpoint: readiness waits for
// the first fetch (retried with backoff), an unknown kid triggers exactly one
// refetch however many requests meet it, and the min-refresh window holds.
// Discovery issuers against the same server's OpenID metadata: the issuer
// must match exactly, jwks_uri must be https://, keys rotate on SIGHUP.
#include "hostile_jwk.hpp"
#include "process.hpp"
#include "test_client.hpp"
#include "test_server.hpp"

#include "chatkit_gateway/auth/jwks_refresher.hpp"
#include "chatkit_gateway/config/config_loader.hpp"
#include "chatkit_gateway/http/error_response.hpp"
#include "chatkit_gateway/observability/metrics.hpp"
#include "chatkit_gateway/upstream/jwks_fetcher.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <fstream>
#include <future>
#include <thread>

using namespace ckg;
using namespace ckg::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const std::string tokens_dir = CKG_TEST_TOKENS_DIR;

json::value read_json(const std::string& path) {
    std::ifstream in(path);
    return json::parse(
        std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
}

// The PyJWT RSA JWKS, restricted to the given kids.
std::string jwks_with(const std::vector<std::string>& kids) {
    json::array keys;
    const auto all = read_json(tokens_dir + "/jwks_rsa.json");
    for (const auto& k : all.at("keys").as_array())
        if (std::find(kids.begin(), kids.end(), k.at("kid").as_string()) != kids.end())
            keys.push_back(k);
    return json::serialize(json::object{{"keys", keys}});
}

std::string token(const std::string& name) {
    const auto m = read_json(tokens_dir + "/manifest.json");
    for (const auto& c : m.at("cases").as_array())
        if (c.at("name").as_string() == name)
            return "Bearer " + std::string(c.at("token").as_string());
    throw std::runtime_error(name);
}

struct jwks_fixture {
    std::mutex mutex;
    std::string document = jwks_with({"rsa-1"});
    std::string rotated_document = jwks_with({"rsa-2"});
    std::string metadata;
    unsigned status = 200;
    std::atomic<int> hits{0}, metadata_hits{0};
    test_server jwks_server{options(), routes(), test_tls_store()};
    net::io_context ioc;
    net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
    std::vector<std::thread> threads;
    std::int64_t now = read_json(tokens_dir + "/manifest.json").at("now").as_int64();

    ~jwks_fixture() { stop_threads(); }
    static http_server::server_options options() {
        http_server::server_options o;
        o.access_log = false;
        return o;
    }
    // A GET route answering the current value of `field` (with `status` for
    // the JWKS document), counting its hits in `counter`.
    void add_document(http_server::router& r, const char* path, std::string jwks_fixture::*field,
                      std::atomic<int>& counter, bool with_status) {
        r.add(http::verb::get, path,
              [this, field, &counter, with_status](
                  http_server::request_context& ctx) -> net::awaitable<http_server::reply> {
                  ++counter;
                  std::lock_guard lock(mutex);
                  http_server::response res{
                      with_status ? static_cast<http::status>(status) : http::status::ok,
                      ctx.req.version()};
                  res.body() = this->*field;
                  res.prepare_payload();
                  co_return http_server::reply{std::move(res)};
              });
    }
    http_server::router routes() {
        http_server::router r;
        add_document(r, "/keys/jwks.json", &jwks_fixture::document, hits, true);
        add_document(r, "/keys/rotated.json", &jwks_fixture::rotated_document, hits, false);
        add_document(r, "/.well-known/openid-configuration", &jwks_fixture::metadata, metadata_hits,
                     false);
        return r;
    }
    std::string origin() const {
        return "https://127.0.0.1:" + std::to_string(jwks_server.endpoint().port());
    }
    void publish_metadata(const std::string& issuer, const std::string& jwks_uri) {
        std::lock_guard lock(mutex);
        metadata = json::serialize(
            json::object{{"issuer", issuer},
                         {"jwks_uri", jwks_uri},
                         {"id_token_signing_alg_values_supported", json::array{"RS256"}}});
    }
    config::gateway_config make_discovery_config(const std::string& issuer, int min_refresh = 30) {
        return load_issuer(R"({"issuer": ")" + issuer +
                           R"(", "discovery": true, "jwks_ca_file": ")" + test_pki("ca.pem") +
                           R"(", "jwks_min_refresh_seconds": )" + std::to_string(min_refresh) +
                           "}");
    }
    // An RS256 token from `issuer` signed by rsa-1 or rsa-2, minted now by PyJWT.
    std::string minted(const std::string& kid, const std::string& issuer) const {
        auto r = run_process(
            {"/usr/bin/python3", std::string(CKG_SOURCE_DIR) + "/tests/support/mint_token.py",
             tokens_dir + "/" + kid + ".key", kid, issuer, std::to_string(now)},
            {});
        BOOST_REQUIRE(r.exit_code == 0);
        while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
        return "Bearer " + r.out;
    }
    void serve(std::string doc, unsigned st = 200) {
        std::lock_guard lock(mutex);
        document = std::move(doc);
        status = st;
    }
    config::gateway_config make_config(int min_refresh) {
        return load_issuer(R"({"issuer": "https://rsa.test/", "audiences": ["chatkit-gateway"],
             "jwks_url": "https://127.0.0.1:)" +
                           std::to_string(jwks_server.endpoint().port()) + R"(/keys/jwks.json",
             "jwks_ca_file": ")" +
                           test_pki("ca.pem") + R"(", "jwks_min_refresh_seconds": )" +
                           std::to_string(min_refresh) + "}");
    }
    // A configuration whose only issuer is `issuer_json`.
    static config::gateway_config load_issuer(const std::string& issuer_json) {
        const std::string text = R"({"auth": {"issuers": [)" + issuer_json +
                                 R"(]}, "sessions": {"workflows": {"default": {"id": "wf"}}}})";
        return config::load_config_text(
            text, "test.json", [](const std::string& n) -> std::optional<std::string> {
                if (n == "OPENAI_API_KEY") return "sk";
                if (n == "CHATKIT_GATEWAY_HANDLE_KEY")
                    return "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
                return std::nullopt;
            });
    }
    // Stops the io thread when it goes. The refresher's coroutines on that
    // thread use the test case's configuration, authenticator and refresher
    // (a retry or a fetch may still be under way when the case ends): held
    // after those, it goes before them.
    struct io_thread {
        explicit io_thread(jwks_fixture* f) : fixture(f) {}
        io_thread(const io_thread&) = delete;
        jwks_fixture* fixture;
        ~io_thread() { fixture->stop_threads(); }
    };
    [[nodiscard]] io_thread run_threads() {
        // One thread: an https_client's context is run by one thread (io_pool's rule).
        threads.emplace_back([this] { ioc.run(); });
        return io_thread{this};
    }
    // An authenticator for `cfg` and its refresher, started, with the io
    // thread running; the thread stops first when it goes (see io_thread).
    struct refreshing {
        refreshing(jwks_fixture* f, const config::gateway_config& cfg)
            : authn(cfg.auth, cfg.users),
              refresher(f->ioc, authn, cfg.auth,
                        upstream::make_jwks_fetcher(f->ioc, cfg.auth, cfg.upstream)),
              io(start(f)) {}
        auth::authenticator authn;
        auth::jwks_refresher refresher;
        io_thread io;

    private:
        io_thread start(jwks_fixture* f) {
            refresher.start();
            return f->run_threads();
        }
    };
    void stop_threads() {
        work.reset();
        ioc.stop();
        for (auto& t : threads)
            if (t.joinable()) t.join();
    }
    bool wait_until(const std::function<bool()>& f, std::chrono::milliseconds limit) {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < end) {
            if (f()) return true;
            std::this_thread::sleep_for(20ms);
        }
        return f();
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(jwks_url_issuers, jwks_fixture)

BOOST_AUTO_TEST_CASE(not_ready_until_the_first_fetch_succeeds) {
    serve("oops", 500);
    const auto cfg = make_config(30);
    refreshing r(this, cfg);
    BOOST_TEST(wait_until([&] { return hits.load() >= 1; }, 3s));
    BOOST_TEST(!r.authn.keys_loaded());
    serve(jwks_with({"rsa-1"}));
    // Retried with backoff (1 s, then 2 s ...) until it succeeds.
    BOOST_TEST(wait_until([&] { return r.authn.keys_loaded(); }, 5s));
    BOOST_TEST(hits.load() >= 2);
    BOOST_TEST(r.authn.authenticate(token("RS256 with kid"), true, "", now).user != nullptr);
}

// Both results' series of a fetched issuer are there, at 0, before its
// first fetch: an alert on failures sees a series from the start.
BOOST_AUTO_TEST_CASE(refresh_counters_start_at_zero) {
    serve("oops", 500);
    const auto cfg = make_config(30);
    const auto& issuer = cfg.auth.issuers.at(0).issuer;
    auth::authenticator authn(cfg.auth, cfg.users);
    auth::jwks_refresher refresher(ioc, authn, cfg.auth,
                                   upstream::make_jwks_fetcher(ioc, cfg.auth, cfg.upstream));
    observability::metrics m;
    refresher.set_metrics(&m);
    const auto series = [&](const std::string& result) {
        return "chatkit_gateway_jwks_refreshes_total{issuer=\"" + issuer + "\",result=\"" + result +
               "\"} ";
    };
    const auto before = m.render();
    BOOST_TEST(before.find(series("success") + "0\n") != std::string::npos, before);
    BOOST_TEST(before.find(series("failure") + "0\n") != std::string::npos);
    refresher.start();
    auto io = run_threads();
    BOOST_TEST(wait_until([&] { return hits.load() >= 1; }, 3s));
    BOOST_TEST(wait_until(
        [&] { return m.render().find(series("failure") + "1\n") != std::string::npos; }, 3s));
    BOOST_TEST(m.render().find(series("success") + "0\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unknown_kid_triggers_exactly_one_refetch) {
    const auto cfg = make_config(1);
    refreshing r(this, cfg);
    BOOST_REQUIRE(wait_until([&] { return r.authn.keys_loaded(); }, 3s));
    BOOST_TEST(hits.load() == 1);
    std::this_thread::sleep_for(1100ms);  // past the 1 s window the start-up fetch opened
    // The issuer rotates in a new key; 100 requests carrying its kid arrive at once.
    serve(jwks_with({"rsa-1", "rsa-2"}));
    const auto rotated = token("RS256 3072-bit key");
    std::vector<std::future<auth::authentication>> calls;
    for (int i = 0; i < 100; ++i)
        calls.push_back(
            net::co_spawn(ioc, r.refresher.authenticate(rotated, true, "", now), net::use_future));
    int ok = 0;
    for (auto& f : calls) {
        BOOST_REQUIRE(f.wait_for(10s) == std::future_status::ready);
        ok += f.get().status == auth::auth_status::ok;
    }
    BOOST_TEST(ok == 100);
    BOOST_TEST(hits.load() == 2);
    BOOST_TEST(r.refresher.fetch_count() == 2u);
}

BOOST_AUTO_TEST_CASE(the_min_refresh_window_bounds_refetches) {
    const auto cfg = make_config(30);
    refreshing r(this, cfg);
    BOOST_REQUIRE(wait_until([&] { return r.authn.keys_loaded(); }, 3s));
    // The start-up fetch opened the 30 s window: an unknown kid now fetches nothing.
    for (int i = 0; i < 5; ++i) {
        auto f = net::co_spawn(ioc, r.refresher.authenticate(token("unknown kid"), true, "", now),
                               net::use_future);
        BOOST_REQUIRE(f.wait_for(5s) == std::future_status::ready);
        auto r = f.get();
        BOOST_TEST((r.status == auth::auth_status::unknown_kid));
    }
    BOOST_TEST(hits.load() == 1);
    // Other failures never fetch at all.
    auto bad = net::co_spawn(
        ioc, r.refresher.authenticate(token("signed by a key not in the JWKS"), true, "", now),
        net::use_future);
    BOOST_TEST((bad.get().status == auth::auth_status::bad_signature));
    BOOST_TEST(hits.load() == 1);
}

// A hostile JWKS host publishes the issuer's real key and 99 more whose
// public exponents are 3,071 bits (OpenSSL takes that up to 3072-bit
// moduli): each check of a signature against one of those costs as much as
// making a signature. Tokens forged without a kid then cost the gateway
// half a second each, for anyone who sends them (before: 5 tokens took
// 2.7 s). Those keys are refused, a token meets at most 8 keys, and the
// real key still verifies.
BOOST_AUTO_TEST_CASE(a_hostile_jwks_cannot_make_forged_tokens_dear) {
    std::mt19937 rng(17);
    auto doc = json::parse(jwks_with({"rsa-1"})).as_object();
    for (int i = 0; i < 99; ++i)
        doc["keys"].as_array().push_back(rsa_jwk(3072, random_number(3071, true, rng), rng));
    serve(json::serialize(doc));
    const auto cfg = make_config(30);
    refreshing r(this, cfg);
    BOOST_REQUIRE(wait_until([&] { return r.authn.keys_loaded(); }, 3s));

    const auto forged = [&] {
        const json::object claims{{"iss", "https://rsa.test/"},
                                  {"aud", "chatkit-gateway"},
                                  {"sub", "mallory"},
                                  {"exp", now + 600}};
        return std::string("Bearer ")
            .append(base64url_encode(R"({"alg":"RS256","typ":"JWT"})"))
            .append(".")
            .append(base64url_encode(json::serialize(claims)))
            .append(".")
            // 384 bytes starting 0x01: below every 3072-bit modulus, so each
            // check runs in full.
            .append(base64url_encode(random_number(3065, false, rng)));
    };
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) {
        auto f =
            net::co_spawn(ioc, r.refresher.authenticate(forged(), true, "", now), net::use_future);
        BOOST_REQUIRE(f.wait_for(30s) == std::future_status::ready);
        BOOST_TEST((f.get().status == auth::auth_status::bad_signature));
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    BOOST_TEST(took.count() < 1000);
    auto real = net::co_spawn(ioc, r.refresher.authenticate(token("RS256 with kid"), true, "", now),
                              net::use_future);
    BOOST_TEST((real.get().status == auth::auth_status::ok));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(openid_discovery, jwks_fixture)

BOOST_AUTO_TEST_CASE(keys_come_from_the_metadata_jwks_uri) {
    // The issuer with a trailing "/": the metadata URL drops it, the issuer comparison keeps it.
    const auto issuer = origin() + "/";
    publish_metadata(issuer, origin() + "/keys/jwks.json");
    const auto cfg = make_discovery_config(issuer);
    auth::authenticator authn(cfg.auth, cfg.users);
    auth::jwks_refresher refresher(ioc, authn, cfg.auth,
                                   upstream::make_jwks_fetcher(ioc, cfg.auth, cfg.upstream));
    BOOST_TEST(!authn.keys_loaded());
    refresher.start();
    const auto io = run_threads();
    BOOST_REQUIRE(wait_until([&] { return authn.keys_loaded(); }, 3s));
    BOOST_TEST(metadata_hits.load() == 1);
    BOOST_TEST(hits.load() == 1);
    BOOST_TEST((authn.authenticate(minted("rsa-1", issuer), true, "", now).status ==
                auth::auth_status::ok));
    BOOST_TEST((authn.authenticate(minted("rsa-1", origin()), true, "", now).status ==
                auth::auth_status::unknown_issuer));
}

BOOST_AUTO_TEST_CASE(an_issuer_mismatch_keeps_the_gateway_not_ready_until_fixed) {
    const auto issuer = origin();
    publish_metadata(origin() + "/",
                     origin() + "/keys/jwks.json");  // not exactly the configured issuer
    const auto cfg = make_discovery_config(issuer);
    refreshing r(this, cfg);
    BOOST_TEST(wait_until([&] { return metadata_hits.load() >= 1; }, 3s));
    std::this_thread::sleep_for(300ms);
    BOOST_TEST(!r.authn.keys_loaded());
    BOOST_TEST(hits.load() == 0);  // the JWKS of a metadata document that failed is never fetched
    // Retried in the background with backoff: fixed metadata makes it ready.
    publish_metadata(issuer, origin() + "/keys/jwks.json");
    BOOST_TEST(wait_until([&] { return r.authn.keys_loaded(); }, 5s));
    BOOST_TEST((r.authn.authenticate(minted("rsa-1", issuer), true, "", now).status ==
                auth::auth_status::ok));
}

BOOST_AUTO_TEST_CASE(an_http_jwks_uri_is_never_fetched) {
    const auto issuer = origin();
    publish_metadata(issuer, "http://127.0.0.1:" + std::to_string(jwks_server.endpoint().port()) +
                                 "/keys/jwks.json");
    const auto cfg = make_discovery_config(issuer);
    refreshing r(this, cfg);
    BOOST_TEST(
        wait_until([&] { return metadata_hits.load() >= 2; }, 4s));  // retried, refused each time
    BOOST_TEST(!r.authn.keys_loaded());
    BOOST_TEST(hits.load() == 0);
    BOOST_TEST((r.authn.authenticate(minted("rsa-1", issuer), true, "", now).status ==
                auth::auth_status::unknown_kid));
}

BOOST_AUTO_TEST_CASE(rotation_through_refetch_and_through_sighup_rediscovery) {
    const auto issuer = origin();
    publish_metadata(issuer, origin() + "/keys/jwks.json");
    const auto cfg = make_discovery_config(issuer, 0);
    refreshing r(this, cfg);
    BOOST_REQUIRE(wait_until([&] { return r.authn.keys_loaded(); }, 3s));
    const auto old_token = minted("rsa-1", issuer), new_token = minted("rsa-2", issuer);
    BOOST_TEST((r.authn.authenticate(old_token, true, "", now).status == auth::auth_status::ok));
    // The issuer adds rsa-2 at the same jwks_uri: an unknown kid refetches it there.
    serve(jwks_with({"rsa-1", "rsa-2"}));
    auto f =
        net::co_spawn(ioc, r.refresher.authenticate(new_token, true, "", now), net::use_future);
    BOOST_REQUIRE(f.wait_for(5s) == std::future_status::ready);
    BOOST_TEST((f.get().status == auth::auth_status::ok));
    BOOST_TEST(metadata_hits.load() == 1);  // the metadata is not read again for a refetch
    // The metadata moves jwks_uri to a document without rsa-1; SIGHUP reads it again.
    publish_metadata(issuer, origin() + "/keys/rotated.json");
    r.refresher.rediscover();
    BOOST_TEST(wait_until(
        [&] {
            return r.authn.authenticate(old_token, true, "", now).status != auth::auth_status::ok;
        },
        3s));
    BOOST_TEST(metadata_hits.load() == 2);
    BOOST_TEST(
        (r.authn.authenticate(old_token, true, "", now).status == auth::auth_status::unknown_kid));
    BOOST_TEST((r.authn.authenticate(new_token, true, "", now).status == auth::auth_status::ok));
    // A rediscovery that fails keeps the keys it had.
    publish_metadata(origin() + "/elsewhere", origin() + "/keys/jwks.json");
    r.refresher.rediscover();
    BOOST_TEST(wait_until([&] { return metadata_hits.load() == 3; }, 3s));
    std::this_thread::sleep_for(200ms);
    BOOST_TEST((r.authn.authenticate(new_token, true, "", now).status == auth::auth_status::ok));
}

BOOST_AUTO_TEST_SUITE_END()
