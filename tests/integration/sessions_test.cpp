// POST/DELETE /v1/chatkit/sessions end to end: the real service in-process,
// the upstream simulator over HTTPS, tokens minted by PyJWT. Covers the
// upstream request shape, validation, 401/415/429, handles, replaces, every
// injectable upstream fault, and that no secret ever reaches a client or a log.
#include "gateway_fixture.hpp"
#include "test_files.hpp"

#include "chatkit_gateway/core/base64.hpp"
#include "chatkit_gateway/observability/redaction.hpp"
#include "chatkit_gateway/sessions/handle_sealer.hpp"

#include <boost/test/unit_test.hpp>

#include <thread>

using namespace ckg;
using namespace ckg::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const std::string sessions_path = "/v1/chatkit/sessions";

json::object body_of(const response& r) {
    return json::parse(r.body()).as_object();
}
std::string code_of(const response& r) {
    return std::string(body_of(r).at("error").at("code").as_string());
}

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The last upstream request the simulator recorded for `endpoint`.
json::object last_upstream(gateway_fixture& f, const std::string& endpoint) {
    const auto log = f.sim_requests();
    json::object last;
    for (const auto& e : log.at("recent").as_array())
        if (e.at("endpoint").as_string() == endpoint) last = e.as_object();
    return last;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(session_minting, gateway_fixture)

BOOST_AUTO_TEST_CASE(mint_sends_the_profile_and_returns_only_three_fields) {
    auto r = call(http::verb::post, sessions_path, "alice",
                  R"({"state_variables": {"locale": "fr", "count": 3, "beta": true}})");
    BOOST_REQUIRE(r.result_int() == 200);
    const auto b = body_of(r);
    BOOST_TEST(b.size() == 3u);
    BOOST_TEST(b.at("client_secret").as_string().starts_with("ek_"));
    BOOST_TEST(std::abs(b.at("expires_at").as_int64() - (now_s() + 300)) <= 3);
    BOOST_TEST(!b.at("session_handle").as_string().empty());
    BOOST_TEST(r.body().find("cksess_") == std::string::npos);
    BOOST_TEST(r[http::field::cache_control] == "no-store");

    const auto up = last_upstream(*this, "create_session");
    BOOST_TEST(up.at("authorization_ok").as_bool());
    const auto& h = up.at("headers").as_object();
    BOOST_TEST(h.at("OpenAI-Beta").as_string() == "chatkit_beta=v1");
    BOOST_TEST(h.at("OpenAI-Organization").as_string() == "org-test");
    BOOST_TEST(h.at("OpenAI-Project").as_string() == "proj-test");
    BOOST_TEST(h.at("Content-Type").as_string() == "application/json");
    const auto sent = json::parse(up.at("body").as_string());
    const auto expected = json::parse(R"({"user": "alice",
        "workflow": {"id": "wf_default", "version": "7",
                     "state_variables": {"product": "web", "customer_plan": "pro", "locale": "fr", "count": 3, "beta": true},
                     "tracing": {"enabled": false}},
        "chatkit_configuration": {"file_upload": {"enabled": false}},
        "expires_after": {"anchor": "created_at", "seconds": 300},
        "rate_limits": {"max_requests_per_1_minute": 12}})");
    BOOST_TEST(sent == expected, json::serialize(sent));
}

BOOST_AUTO_TEST_CASE(empty_body_and_minimal_profile) {
    auto r = call(http::verb::post, sessions_path, "bob", "");
    BOOST_TEST(r.result_int() == 200);
    BOOST_TEST(json::parse(last_upstream(*this, "create_session").at("body").as_string())
                   .at("workflow")
                   .at("id") == "wf_default");
    r = call(http::verb::post, sessions_path, "bob", R"({"workflow": "support"})");
    BOOST_TEST(r.result_int() == 200);
    const auto sent = json::parse(last_upstream(*this, "create_session").at("body").as_string());
    BOOST_TEST(sent == json::parse(R"({"user": "bob", "workflow": {"id": "wf_support"}})"),
               json::serialize(sent));
}

BOOST_AUTO_TEST_CASE(bad_bodies_are_400_and_never_reach_upstream) {
    const std::vector<std::string> bodies = {
        R"({"colour": "blue"})",
        R"({"workflow": "nope"})",
        R"({"workflow": "wf_default"})",
        R"({"workflow": 5})",
        R"({"state_variables": {"product": "x"}})",
        R"({"state_variables": {"customer_plan": "free"}})",
        R"({"state_variables": {"other": "x"}})",
        R"({"state_variables": {"locale": {"a": 1}}})",
        R"({"state_variables": {"locale": [1]}})",
        R"({"state_variables": {"locale": null}})",
        R"({"state_variables": {"locale": ")" + std::string(1025, 'x') + R"("}})",
        R"({"state_variables": {")" + std::string(65, 'k') + R"(": "x"}})",
        R"({"state_variables": []})",
        R"({"replaces": 5})",
        "{",
        "[1]",
        "\"x\"",
        "null"};
    for (const auto& b : bodies) {
        BOOST_TEST_CONTEXT(b.substr(0, 80)) {
            auto r = call(http::verb::post, sessions_path, "alice", b);
            BOOST_TEST(r.result_int() == 400);
            BOOST_TEST(code_of(r) == "invalid_request");
        }
    }
    BOOST_TEST(upstream_count("create_session") == 0);
}

BOOST_AUTO_TEST_CASE(media_type_rules) {
    BOOST_TEST(
        call(http::verb::post, sessions_path, "alice", "{}", {{"Content-Type", "text/plain"}})
            .result_int() == 415);
    BOOST_TEST(code_of(call(http::verb::post, sessions_path, "alice", "{}",
                            {{"Content-Type", "application/x-www-form-urlencoded"}})) ==
               "unsupported_media_type");
    BOOST_TEST(call(http::verb::post, sessions_path, "alice", "{}",
                    {{"Content-Type", "Application/JSON; charset=utf-8"}})
                   .result_int() == 200);
    BOOST_TEST(call(http::verb::post, sessions_path, "alice", "{}",
                    {{"Content-Type", "application/json\t;\tcharset=utf-8"}})
                   .result_int() == 200);
    // Two fields a proxy joined into one line: a list, no one media type.
    BOOST_TEST(call(http::verb::post, sessions_path, "alice", "{}",
                    {{"Content-Type", "application/json; charset=utf-8, text/plain"}})
                   .result_int() == 415);
    // The token is checked before the media type.
    BOOST_TEST(call(http::verb::post, sessions_path, "", "{}", {{"Content-Type", "text/plain"}})
                   .result_int() == 401);
    // Content-Type given twice (a singleton field, RFC 9110), however the
    // first reads: not a JSON body (before: only the first was read, 200).
    for (const auto* first : {"application/json", "text/plain"}) {
        http::request<http::string_body> twice{http::verb::post, sessions_path, 11};
        twice.set(http::field::host, "gateway");
        twice.set(http::field::authorization, "Bearer " + token("alice"));
        twice.insert(http::field::content_type, first);
        twice.insert(http::field::content_type, "application/json");
        twice.body() = "{}";
        twice.prepare_payload();
        auto c = client();
        const auto r = c.send(twice);
        BOOST_TEST(r.result_int() == 415, first);
        BOOST_TEST(code_of(r) == "unsupported_media_type");
    }
}

BOOST_AUTO_TEST_CASE(missing_and_invalid_tokens_are_401) {
    auto missing = call(http::verb::post, sessions_path, "", "{}");
    BOOST_TEST(missing.result_int() == 401);
    BOOST_TEST(code_of(missing) == "missing_token");
    BOOST_TEST(missing[http::field::www_authenticate] == "Bearer");
    auto invalid = call(http::verb::post, sessions_path, "", "{}",
                        {{"Authorization", "Bearer " + token("alice") + "x"}});
    BOOST_TEST(invalid.result_int() == 401);
    BOOST_TEST(code_of(invalid) == "invalid_token");
    BOOST_TEST(invalid[http::field::www_authenticate] == "Bearer error=\"invalid_token\"");
    auto basic = call(http::verb::delete_, sessions_path + "/abc", "", "",
                      {{"Authorization", "Basic YTpi"}});
    BOOST_TEST(code_of(basic) == "invalid_token");
    BOOST_TEST(upstream_count("create_session") == 0);
    bool reason_logged = false;
    for (const auto& l : logs())
        reason_logged = reason_logged || l.find(R"("reason":"bad_signature")") != std::string::npos;
    BOOST_TEST(reason_logged);
}

BOOST_AUTO_TEST_CASE(the_mint_rate_limit_is_per_user) {
    for (int i = 0; i < 5; ++i)
        call(http::verb::post, sessions_path, "carol", R"({"bad": 1})");  // invalid: no token taken
    for (int i = 0; i < 5; ++i)
        BOOST_TEST(call(http::verb::post, sessions_path, "carol", "{}").result_int() == 200);
    auto limited = call(http::verb::post, sessions_path, "carol", "{}");
    BOOST_TEST(limited.result_int() == 429);
    BOOST_TEST(code_of(limited) == "rate_limited");
    BOOST_TEST(std::stoi(std::string(limited[http::field::retry_after])) >= 1);
    BOOST_TEST(call(http::verb::post, sessions_path, "dave", "{}").result_int() == 200);
    BOOST_TEST(upstream_count("create_session") == 6);
}

BOOST_AUTO_TEST_CASE(cancel_by_handle_only_for_its_owner) {
    const auto handle = std::string(body_of(call(http::verb::post, sessions_path, "alice", "{}"))
                                        .at("session_handle")
                                        .as_string());
    BOOST_TEST(call(http::verb::delete_, sessions_path + "/" + handle, "bob").result_int() == 404);
    std::string tampered = handle;
    tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
    BOOST_TEST(call(http::verb::delete_, sessions_path + "/" + tampered, "alice").result_int() ==
               404);
    BOOST_TEST(call(http::verb::delete_, sessions_path + "/garbage", "alice").result_int() == 404);
    // An expired handle sealed with the service's own key.
    sessions::handle_sealer sealer(
        secret(*base64_decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")));
    const auto expired = sealer.seal({"cksess_x", "alice", now_s() - 1});
    auto gone = call(http::verb::delete_, sessions_path + "/" + expired, "alice");
    BOOST_TEST(gone.result_int() == 404);
    BOOST_TEST(code_of(gone) == "not_found");
    BOOST_TEST(upstream_count("cancel_session") == 0);

    auto ok = call(http::verb::delete_, sessions_path + "/" + handle, "alice");
    BOOST_TEST(ok.result_int() == 200);
    BOOST_TEST(body_of(ok) == json::parse(R"({"cancelled": true})").as_object());
    BOOST_TEST(call(http::verb::delete_, sessions_path + "/" + handle, "alice").result_int() ==
               200);
    BOOST_TEST(upstream_count("cancel_session") == 2);
    fault("cancel_session", R"({"mode": "status", "status": 404, "count": 1})");
    BOOST_TEST(call(http::verb::delete_, sessions_path + "/" + handle, "alice").result_int() ==
               200);
}

// A user whose id is 3,000 bytes gets a handle of about 4,100 characters:
// it cancels, and `replaces` takes it (before: handles over 1,024
// characters were handed out, then refused as malformed).
BOOST_AUTO_TEST_CASE(a_long_user_ids_handle_cancels_and_replaces) {
    const auto mint = [&](const std::string& body) {
        auto r = call(http::verb::post, sessions_path, "long", body);
        BOOST_REQUIRE(r.result_int() == 200);
        return std::string(body_of(r).at("session_handle").as_string());
    };
    const auto first = mint("{}");
    BOOST_TEST(first.size() > 4000u);
    mint(R"({"replaces": ")" + first + R"("})");
    BOOST_TEST(eventually([&] { return upstream_count("cancel_session") == 1; }));
    auto ok = call(http::verb::delete_, sessions_path + "/" + mint("{}"), "long");
    BOOST_TEST(ok.result_int() == 200);
    BOOST_TEST(body_of(ok) == json::parse(R"({"cancelled": true})").as_object());
    BOOST_TEST(upstream_count("cancel_session") == 2);
}

BOOST_AUTO_TEST_CASE(replaces_cancels_the_old_session_after_answering) {
    const auto first = std::string(body_of(call(http::verb::post, sessions_path, "alice", "{}"))
                                       .at("session_handle")
                                       .as_string());
    auto second =
        call(http::verb::post, sessions_path, "alice", R"({"replaces": ")" + first + R"("})");
    BOOST_TEST(second.result_int() == 200);
    BOOST_TEST(eventually([&] { return upstream_count("cancel_session") == 1; }));
    const auto cancelled = last_upstream(*this, "cancel_session");
    BOOST_TEST(cancelled.at("target").as_string().ends_with("/cancel"));
    BOOST_TEST(cancelled.at("authorization_ok").as_bool());

    // Another user's, garbage and unknown-key handles are ignored: 200, nothing cancelled.
    const auto bobs = std::string(body_of(call(http::verb::post, sessions_path, "bob", "{}"))
                                      .at("session_handle")
                                      .as_string());
    BOOST_TEST(call(http::verb::post, sessions_path, "alice", R"({"replaces": ")" + bobs + R"("})")
                   .result_int() == 200);
    BOOST_TEST(call(http::verb::post, sessions_path, "alice", R"({"replaces": "nonsense"})")
                   .result_int() == 200);
    std::this_thread::sleep_for(200ms);
    BOOST_TEST(upstream_count("cancel_session") == 1);
    bool logged = false;
    for (const auto& l : logs())
        logged = logged || l.find(R"("replaces_ignored":"other_user")") != std::string::npos;
    BOOST_TEST(logged);
}

BOOST_AUTO_TEST_CASE(upstream_failures_map_to_the_spec_table) {
    struct row {
        std::string fault;
        unsigned status;
        std::string code;
        std::string retry_after;
    };
    const std::vector<row> rows = {
        {R"({"mode": "status", "status": 500, "count": 1})", 502, "upstream_error", ""},
        {R"({"mode": "status", "status": 400, "count": 1})", 502, "upstream_error", ""},
        {R"({"mode": "status", "status": 401, "count": 1})", 502, "upstream_error", ""},
        {R"({"mode": "status", "status": 429, "retry_after": 7, "count": 1})", 503,
         "upstream_unavailable", "7"},
        {R"({"mode": "status", "status": 503, "retry_after": 120, "count": 1})", 503,
         "upstream_unavailable", "60"},
        {R"({"mode": "status", "status": 503, "count": 1})", 503, "upstream_unavailable", "1"},
        {R"({"mode": "reset", "count": 1})", 503, "upstream_unavailable", "1"},
        {R"({"mode": "hang", "hang_ms": 3000, "count": 1})", 504, "upstream_timeout", ""},
        {R"({"mode": "malformed", "count": 1})", 502, "upstream_error", ""},
    };
    const std::string users[] = {"alice", "bob", "carol",
                                 "dave"};  // each mint takes a token of its user
    std::size_t n = 0;
    for (const auto& row : rows) {
        BOOST_TEST_CONTEXT(row.fault) {
            fault("create_session", row.fault);
            auto r = call(http::verb::post, sessions_path, users[n++ % 4], "{}");
            BOOST_TEST(r.result_int() == row.status);
            BOOST_TEST(code_of(r) == row.code);
            BOOST_TEST(std::string(r[http::field::retry_after]) == row.retry_after);
            BOOST_TEST(r.body().find("Injected") == std::string::npos);
        }
    }
    fault("create_session", R"({"mode": "delay", "delay_ms": 200, "count": 1})");
    BOOST_TEST(call(http::verb::post, sessions_path, "bob", "{}").result_int() == 200);
}

// The upstream's error text goes to the log only, and with the user's id
// (here the plain claim value) replaced by its hash.
BOOST_AUTO_TEST_CASE(an_upstream_error_quoting_the_user_is_logged_with_its_hash) {
    fault("create_session",
          R"({"mode": "status", "status": 400, "count": 1,
              "message": "Invalid 'user': 'alice' is suspended"})");
    const auto r = call(http::verb::post, sessions_path, "alice", "{}");
    BOOST_TEST(r.result_int() == 502);
    BOOST_TEST(r.body().find("suspended") == std::string::npos);
    const std::string hashed = "[user " + ckg::observability::user_hash("alice") + "]";
    // The access line is written as the answer goes out: wait for it.
    auto quoting = [&] {
        std::vector<std::string> found;
        for (const auto& line : logs())
            if (line.find("is suspended") != std::string::npos) found.push_back(line);
        return found;
    };
    BOOST_TEST(ckg::test::eventually([&] { return !quoting().empty(); }));
    std::size_t seen = 0;
    for (const auto& line : quoting()) {
        ++seen;
        BOOST_TEST(line.find("'alice'") == std::string::npos, line);
        BOOST_TEST(line.find(hashed) != std::string::npos, line);
    }
    BOOST_TEST(seen > 0u);
}

BOOST_AUTO_TEST_CASE(no_secret_reaches_a_client_or_a_log) {
    std::vector<std::string> seen;  // every response header and body
    std::vector<std::string> secrets = {upstream_api_key, token("alice"), token("bob")};
    auto record = [&](const response& r) {
        for (const auto& h : r)
            seen.push_back(std::string(h.name_string()) + ": " + std::string(h.value()));
        seen.push_back(r.body());
    };
    for (const char* f :
         {R"({"mode": "status", "status": 401, "count": 1})",
          R"({"mode": "status", "status": 500, "count": 1})", R"({"mode": "reset", "count": 1})",
          R"({"mode": "malformed", "count": 1})"}) {
        fault("create_session", f);
        record(call(http::verb::post, sessions_path, "alice", "{}"));
    }
    std::vector<std::string> client_secrets;
    for (const char* who : {"alice", "bob"}) {
        auto r =
            call(http::verb::post, sessions_path, who, R"({"state_variables": {"locale": "de"}})");
        record(r);
        client_secrets.emplace_back(body_of(r).at("client_secret").as_string());
        const std::string handle(body_of(r).at("session_handle").as_string());
        record(call(http::verb::delete_, sessions_path + "/" + handle, who));
        record(call(http::verb::post, sessions_path, who, R"({"replaces": ")" + handle + R"("})"));
    }
    record(call(http::verb::post, sessions_path, "", "{}",
                {{"Authorization", "Bearer " + token("alice") + "x"}}));
    record(call(http::verb::get, "/nope", "alice"));
    for (const auto& text : seen)
        for (const auto& s : secrets) BOOST_TEST(text.find(s) == std::string::npos);
    const auto lines = logs();
    BOOST_TEST(lines.size() > 10u);
    for (const auto& line : lines) {
        for (const auto& s : secrets) BOOST_TEST(line.find(s) == std::string::npos, line);
        for (const auto& s : client_secrets) BOOST_TEST(line.find(s) == std::string::npos, line);
        BOOST_TEST(line.find("cksess_") == std::string::npos, line);
    }
}

BOOST_AUTO_TEST_SUITE_END()
