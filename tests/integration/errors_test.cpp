// What a developer reads in a real gateway's error answers (docs/api.md,
// "Errors"): a 400 says what is wrong and names the one field, query
// parameter or path segment at fault; other statuses have their own sentence;
// no message ever holds a token, the API key or the upstream's error body.
#include "gateway_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace ckg;
using namespace ckg::test;
namespace json = boost::json;

namespace {

struct error_case {
    const char* name;
    http::verb method;
    std::string target;
    std::string body;
    unsigned status;
    const char* code;
    const char* message;  // the start of the message
    const char* param;    // "" when the body must carry no "param"
};

json::object error_of(const response& r) {
    return json::parse(r.body()).at("error").as_object();
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(error_messages, gateway_fixture)

BOOST_AUTO_TEST_CASE(each_400_says_what_is_wrong_and_names_the_parameter) {
    const std::string threads = "/v1/chatkit/threads";
    const error_case cases[] = {
        {"unknown field", http::verb::post, "/v1/chatkit/sessions", R"({"device": "ios"})", 400,
         "invalid_request", R"(unknown field "device")", "device"},
        {"a key pasted as a field", http::verb::post, "/v1/chatkit/sessions",
         R"({"sk-live-0123456789": 1})", 400, "invalid_request", R"(unknown field "[redacted]")",
         "[redacted]"},
        {"state variable not allowed", http::verb::post, "/v1/chatkit/sessions",
         R"({"state_variables": {"plan": "pro"}})", 400, "invalid_request",
         R"(state variable "plan" is not allowed for workflow "default")", "state_variables"},
        {"constant overridden", http::verb::post, "/v1/chatkit/sessions",
         R"({"state_variables": {"product": "x"}})", 400, "invalid_request",
         R"(state variable "product" is not allowed for workflow "default")", "state_variables"},
        {"unknown workflow", http::verb::post, "/v1/chatkit/sessions", R"({"workflow": "x"})", 400,
         "invalid_request", R"(workflow "x" is not configured)", "workflow"},
        {"not JSON", http::verb::post, "/v1/chatkit/sessions", "{", 400, "invalid_request",
         "the request body is not valid JSON", ""},
        {"limit", http::verb::get, threads + "?limit=500", "", 400, "invalid_request",
         "limit must be an integer from 1 to 100", "limit"},
        {"user", http::verb::get, threads + "?user=bob", "", 400, "invalid_request",
         R"(query parameter "user" is not allowed)", "user"},
        {"repeat", http::verb::get, threads + "?order=asc&order=asc", "", 400, "invalid_request",
         R"(query parameter "order" is given more than once)", "order"},
        {"items query", http::verb::get, threads + "/thr_1/items?after=%2E%2E", "", 400,
         "invalid_request", "after must be a thread id", "after"},
        {"thread id", http::verb::get, threads + "/a.b", "", 400, "invalid_request",
         "thread_id must be 1 to 128 characters", "thread_id"},
        {"thread id on delete", http::verb::delete_, threads + "/a%2Fb", "", 400, "invalid_request",
         "thread_id must be 1 to 128 characters", "thread_id"},
        {"no such thread", http::verb::get, threads + "/thr_missing", "", 404, "not_found",
         "Thread not found", ""},
        {"bad handle", http::verb::delete_, "/v1/chatkit/sessions/garbage", "", 404, "not_found",
         "Session handle not found", ""},
        {"unknown route", http::verb::get, "/v1/chatkit/nothing", "", 404, "not_found", "Not found",
         ""},
        {"method", http::verb::put, threads, "", 405, "method_not_allowed",
         "This method is not allowed", ""},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            const auto r = call(c.method, c.target, "alice", c.body);
            BOOST_TEST(r.result_int() == c.status);
            const auto e = error_of(r);
            BOOST_TEST(e.at("code").as_string() == c.code);
            const std::string message(e.at("message").as_string());
            BOOST_TEST(message.starts_with(c.message), message);
            if (*c.param)
                BOOST_TEST(e.at("param").as_string() == c.param);
            else
                BOOST_TEST(!e.contains("param"));
        }
    }
    BOOST_TEST(upstream_count("create_session") == 0);
}

BOOST_AUTO_TEST_CASE(token_failures_keep_their_reason_in_the_log) {
    const auto missing = call(http::verb::get, "/v1/chatkit/threads", "");
    BOOST_TEST(missing.result_int() == 401);
    BOOST_TEST(std::string(error_of(missing).at("message").as_string()).find("Authorization") !=
               std::string::npos);
    const auto bad_token = token("alice") + "x";
    const auto invalid = call(http::verb::get, "/v1/chatkit/threads", "", "",
                              {{"Authorization", "Bearer " + bad_token}});
    BOOST_TEST(invalid.result_int() == 401);
    const auto e = error_of(invalid);
    BOOST_TEST(e.at("code").as_string() == "invalid_token");
    const std::string message(e.at("message").as_string());
    BOOST_TEST(message.find("signature") == std::string::npos);  // the reason is logged only
    BOOST_TEST(invalid.body().find(bad_token) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(upstream_failures_never_echo_the_upstream) {
    fault("create_session", R"({"mode": "status", "status": 500})");
    const auto r = call(http::verb::post, "/v1/chatkit/sessions", "alice", "{}");
    BOOST_TEST(r.result_int() == 502);
    const std::string message(error_of(r).at("message").as_string());
    BOOST_TEST(message.starts_with("The ChatKit API returned an error"), message);
    BOOST_TEST(r.body().find(upstream_api_key) == std::string::npos);
    BOOST_TEST(r.body().find("cksess_") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
