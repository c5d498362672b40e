// The admin API's inputs: what is accepted, and the sentence each refusal
// carries (it names the field, never the user's value).
#include "chatkit_gateway/api/admin_request.hpp"
#include "chatkit_gateway/api/admin_user_handlers.hpp"

#include <boost/test/unit_test.hpp>

using namespace ckg::api;

namespace {

ckg::config::auth_config issuers() {
    ckg::config::auth_config a;
    a.issuers.push_back({});
    a.issuers.back().issuer = "https://id.example.com/";
    return a;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(admin_requests)

BOOST_AUTO_TEST_CASE(revoke_bodies) {
    const auto auth = issuers();
    auto ok = parse_admin_body(
        R"({"issuer":"https://id.example.com/","user":"alice","block_seconds":3600})",
        admin_body_kind::revoke, auth);
    BOOST_REQUIRE(ok);
    BOOST_TEST(ok->user == "alice");
    BOOST_TEST(ok->block_seconds == 3600);
    ok = parse_admin_body(R"({"issuer":"https://id.example.com/","user":"alice"})",
                          admin_body_kind::revoke, auth);
    BOOST_REQUIRE(ok);
    BOOST_TEST(ok->block_seconds == 0);
    BOOST_TEST(parse_admin_body(
                   R"({"issuer":"https://id.example.com/","user":"a","block_seconds":31536000})",
                   admin_body_kind::revoke, auth)
                   .ok());

    const std::pair<const char*, const char*> refused[] = {
        {R"({"issuer":"https://other/","user":"a"})",
         "issuer is not one of the configured issuers (auth.issuers)"},
        {R"({"issuer":"https://id.example.com/","user":""})", "user must be a non-empty string"},
        {R"({"issuer":"https://id.example.com/"})", "user must be a non-empty string"},
        {R"({"issuer":"https://id.example.com/","user":"a","block_seconds":-1})",
         "block_seconds must be an integer from 0 to 31536000"},
        {R"({"issuer":"https://id.example.com/","user":"a","block_seconds":31536001})",
         "block_seconds must be an integer from 0 to 31536000"},
        {R"({"issuer":"https://id.example.com/","user":"a","block_seconds":1.5})",
         "block_seconds must be an integer from 0 to 31536000"},
        {R"({"issuer":"https://id.example.com/","user":"a","block_seconds":1e300})",
         "block_seconds must be an integer from 0 to 31536000"},
        {R"({"issuer":"https://id.example.com/","user":"a","block_seconds":-1e19})",
         "block_seconds must be an integer from 0 to 31536000"},
        {R"({"issuer":"https://id.example.com/","user":"a","block_seconds":"60"})",
         "block_seconds must be an integer from 0 to 31536000"},
        {R"({"issuer":"https://id.example.com/","user":"a","block_seconds":null})",
         "block_seconds must be an integer from 0 to 31536000"},
        {R"({"issuer":"https://id.example.com/","user":"a","user":"b"})", "user is repeated"},
        {R"({"issuer":"https://id.example.com/","user":"a","block_seconds":30,"block_seconds":0})",
         "block_seconds is repeated"},
        {R"({"issuer":"https://id.example.com/","user":"a","device":1})",
         "unknown field: the body takes issuer, user and block_seconds"},
        {R"({"issuer":"https://id.example.com/","user":7})", "user must be a string"},
        {R"({"issuer":)", "the body is not valid JSON (incomplete JSON)"},
        {R"({"issuer":"https://id.example.com/","user":"a"} x)",
         "the body is not valid JSON (extra data)"},
        {R"([])", "the body must be a JSON object"},
        // Nothing from the request is quoted back: a credential pasted into
        // the wrong place never reaches the answer or the log.
        {R"({"issuer":"https://id/sk-live-0123456789abcdef","user":"a"})",
         "issuer is not one of the configured issuers (auth.issuers)"},
        {R"({"issuer":"https://id.example.com/","user":"a","x sk-live-0123456789abcdef":1})",
         "unknown field: the body takes issuer, user and block_seconds"},
    };
    for (const auto& [body, message] : refused) {
        BOOST_TEST_CONTEXT(body) {
            auto r = parse_admin_body(body, admin_body_kind::revoke, auth);
            BOOST_REQUIRE(!r);
            BOOST_TEST((r.error().code == ckg::errc::invalid_request));
            BOOST_TEST(r.error().detail == message);
        }
    }
}

BOOST_AUTO_TEST_CASE(unblock_takes_no_block_seconds) {
    auto r =
        parse_admin_body(R"({"issuer":"https://id.example.com/","user":"a","block_seconds":5})",
                         admin_body_kind::unblock, issuers());
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().detail == "unknown field: the body takes issuer and user");
}

BOOST_AUTO_TEST_CASE(status_queries) {
    const auto auth = issuers();
    auto ok = parse_admin_query("issuer=https%3A%2F%2Fid.example.com%2F&user=al%20ice", auth);
    BOOST_REQUIRE(ok);
    BOOST_TEST(ok->user == "al ice");
    BOOST_TEST(parse_admin_query("issuer=https%3A%2F%2Fid.example.com%2F&user=a&x=1", auth)
                   .error()
                   .detail == "unknown query parameter: the query takes issuer and user");
    BOOST_TEST(parse_admin_query("issuer=https%3A%2F%2Fid.example.com%2F&user=a&user=b", auth)
                   .error()
                   .detail == "user is repeated");
    BOOST_TEST(parse_admin_query("user=a", auth).error().detail == "issuer is required");
    BOOST_TEST(parse_admin_query("issuer=%FFx&user=a", auth).error().detail ==
               "issuer must be valid UTF-8");
    BOOST_TEST(parse_admin_query("issuer=https%3A%2F%2Fid.example.com%2F&user=a&%FFx=1", auth)
                   .error()
                   .detail == "unknown query parameter: the query takes issuer and user");
    // Decoded bytes that are not UTF-8 would otherwise go into the JSON answer.
    BOOST_TEST(parse_admin_query("issuer=https%3A%2F%2Fid.example.com%2F&user=%FF%FE", auth)
                   .error()
                   .detail == "user must be valid UTF-8");
}

BOOST_AUTO_TEST_CASE(admin_token_comparison) {
    const std::string token(40, 'k');
    BOOST_TEST(admin_token_matches("Bearer " + token, token));
    BOOST_TEST(!admin_token_matches("Bearer " + token + "x", token));
    BOOST_TEST(!admin_token_matches("Bearer " + token.substr(1), token));
    BOOST_TEST(admin_token_matches("bearer " + token, token));  // the scheme is case-insensitive
    BOOST_TEST(!admin_token_matches("Basic " + token, token));
    BOOST_TEST(!admin_token_matches(token, token));
    BOOST_TEST(!admin_token_matches("Bearer ", token));
}

BOOST_AUTO_TEST_SUITE_END()
