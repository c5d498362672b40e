// The 400s a developer reads (docs/api.md, "Errors"): each says what is wrong
// and names the field, query parameter or path segment at fault; names from
// the request are quoted and bounded; values never appear.
#include "chatkit_gateway/api/session_request.hpp"
#include "chatkit_gateway/api/thread_scoping.hpp"
#include "chatkit_gateway/http/error_response.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

using namespace ckg;

namespace {

config::sessions_config sessions() {
    config::sessions_config s;
    config::workflow_profile p;
    p.id = "wf_1";
    p.state_variables = {{"tier", "gold"}};
    p.allowed_state_variables = {"locale"};
    s.workflows.emplace("default", p);
    s.workflows.emplace("support", p);
    return s;
}

struct expected_error {
    const char* input;
    const char* message;
    const char* param;  // "" when no single parameter is at fault
};

boost::json::object error_body(const http_server::api_error& e) {
    const auto res = http_server::make_error_response(e, 11);
    return boost::json::parse(res.body()).as_object().at("error").as_object();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(request_errors)

BOOST_AUTO_TEST_CASE(mint_bodies_say_what_is_wrong) {
    const auto s = sessions();
    const expected_error cases[] = {
        {R"({"device": "x"})", R"(unknown field "device")", "device"},
        {R"({"state_variables": {"plan": "pro"}})",
         R"(state variable "plan" is not allowed for workflow "default")", "state_variables"},
        {R"({"workflow": "support", "state_variables": {"tier": "x"}})",
         R"(state variable "tier" is not allowed for workflow "support")", "state_variables"},
        {R"({"state_variables": {"locale": {"a": 1}}})",
         R"(state variable "locale" must be a string, a boolean or a finite number)",
         "state_variables"},
        {R"({"state_variables": {"locale": 1e400}})",
         R"(state variable "locale" must be a string, a boolean or a finite number)",
         "state_variables"},
        {R"({"state_variables": []})", R"(field "state_variables" must be an object)",
         "state_variables"},
        {R"({"workflow": 7})", R"(field "workflow" must be a string)", "workflow"},
        {R"({"replaces": null})", R"(field "replaces" must be a string)", "replaces"},
        {R"({"workflow": "wf_1"})", R"(workflow "wf_1" is not configured)", "workflow"},
        {R"([1])", "the request body must be a JSON object", ""},
        {R"({"a":)", "the request body is not valid JSON", ""},
        {R"({"workflow": "default", "workflow": "support"})",
         R"(field "workflow" is given more than once)", "workflow"},
        {R"({"state_variables": {"locale": "fr", "locale": "de"}})",
         R"(field "state_variables.locale" is given more than once)", "state_variables"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.input) {
            const auto r = api::parse_mint_request(c.input, s);
            BOOST_TEST_REQUIRE(!r.ok());
            BOOST_TEST((r.error().code == errc::invalid_request));
            BOOST_TEST(r.error().message.starts_with(c.message), r.error().message);
            BOOST_TEST(r.error().param == c.param);
        }
    }
}

BOOST_AUTO_TEST_CASE(long_and_odd_names_are_bounded_and_values_never_shown) {
    const auto s = sessions();
    const std::string long_key(300, 'k');
    auto r = api::parse_mint_request(R"({")" + long_key + R"(": "sk-secret-value"})", s);
    BOOST_TEST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message == "unknown field \"" + std::string(64, 'k') + "\"");
    BOOST_TEST(r.error().param == std::string(64, 'k'));
    // A value is never echoed, whatever it holds.
    r = api::parse_mint_request(R"({"state_variables": {"locale": ["sk-secret-value"]}})", s);
    BOOST_TEST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.find("sk-secret") == std::string::npos);
    // Names outside ASCII are shown as they are.
    r = api::parse_mint_request("{\"de\\u00e9\": 1, \"x\": 2}", s);
    BOOST_TEST(r.error().message == "unknown field \"de\xC3\xA9\"");
}

// A state variable's name is at most 64 characters (the upstream's limit),
// however many bytes they take.
BOOST_AUTO_TEST_CASE(state_variable_names_are_counted_in_characters) {
    auto s = sessions();
    std::string e_acute_64;
    for (int i = 0; i < 64; ++i) e_acute_64 += "\xC3\xA9";  // 128 bytes
    s.workflows.at("default").allowed_state_variables.push_back(e_acute_64);
    auto r = api::parse_mint_request(R"({"state_variables": {")" + e_acute_64 + R"(": 1}})", s);
    BOOST_TEST(r.ok());
    r = api::parse_mint_request(R"({"state_variables": {")" + e_acute_64 + "\xC3\xA9" + R"(": 1}})",
                                s);
    BOOST_TEST_REQUIRE(!r.ok());
    BOOST_TEST(r.error().message.ends_with("is longer than 64 characters"), r.error().message);
    BOOST_TEST(r.error().param == "state_variables");
}

BOOST_AUTO_TEST_CASE(list_queries_say_what_is_wrong) {
    const expected_error cases[] = {
        {"limit=0", "limit must be an integer from 1 to 100", "limit"},
        {"limit=101", "limit must be an integer from 1 to 100", "limit"},
        {"limit=ten", "limit must be an integer from 1 to 100", "limit"},
        {"after=a%2Fb", "after must be a thread id", "after"},
        {"before=..", "before must be a thread id", "before"},
        {"order=up", R"(order must be "asc" or "desc")", "order"},
        {"user=bob", R"(query parameter "user" is not allowed)", "user"},
        {"limit=1&limit=2", R"(query parameter "limit" is given more than once)", "limit"},
        {"device=1", R"(unknown query parameter "device")", "device"},
        {"%FF=1", "unknown query parameter \"\xEF\xBF\xBD\"", "\xEF\xBF\xBD"},
        {"a=%zz", "the query string is not valid", ""},
        {"limit=1&", "the query has a parameter without a name", ""},
        {"&limit=1", "the query has a parameter without a name", ""},
        {"=5", "the query has a parameter without a name", ""},
        {"limit=1&&", "the query has a parameter without a name", ""},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.input) {
            const auto r = api::upstream_list_query(c.input, nullptr);
            BOOST_TEST_REQUIRE(!r.ok());
            BOOST_TEST(r.error().message.starts_with(c.message), r.error().message);
            BOOST_TEST(r.error().param == c.param);
        }
    }
}

BOOST_AUTO_TEST_CASE(error_bodies_carry_param_only_on_a_400) {
    auto body = error_body(http_server::api_error_of(invalid_request("limit bad", "limit")));
    BOOST_TEST(body.at("code").as_string() == "invalid_request");
    BOOST_TEST(body.at("message").as_string() == "limit bad");
    BOOST_TEST(body.at("param").as_string() == "limit");

    body = error_body(http_server::api_error_of(invalid_request("the body is not JSON")));
    BOOST_TEST(!body.contains("param"));

    http_server::api_error not_found{errc::not_found, "log only"};
    not_found.param = "thread_id";
    body = error_body(not_found);
    BOOST_TEST(!body.contains("param"));
    BOOST_TEST(body.at("message").as_string().size() > 20u);
    BOOST_TEST(std::string(body.at("message").as_string()).find("log only") == std::string::npos);

    // Every code has its own sentence, never the log detail.
    for (int c = static_cast<int>(errc::invalid_request);
         c <= static_cast<int>(errc::upstream_timeout); ++c) {
        BOOST_TEST_CONTEXT(errc_code(static_cast<errc>(c))) {
            body = error_body({static_cast<errc>(c), "secret detail"});
            const std::string message(body.at("message").as_string());
            BOOST_TEST(message.size() > 20u);
            BOOST_TEST(message.find("secret detail") == std::string::npos);
            BOOST_TEST(body.at("code").as_string() == errc_code(static_cast<errc>(c)));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
