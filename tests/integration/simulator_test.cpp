// The upstream simulator over real HTTPS: each endpoint's answers, the
// upstream's checks and error shape, pagination, and every injectable fault.
#include "test_client.hpp"
#include "test_server.hpp"

#include "simulator.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

using namespace ckg;
using namespace ckg::test;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

const std::string api_key = "sk-sim-test-key";

struct sim_fixture {
    simulator::simulator sim{{api_key, 0ms, {"alice", "bob"}}};
    test_server server{options(), sim.make_router(), test_tls_store()};
    test_client client{server.endpoint(), test_pki("ca.pem")};

    static http_server::server_options options() {
        http_server::server_options o;
        o.max_body_bytes = 1 << 20;
        o.public_headers = false;
        o.access_log = false;
        return o;
    }
    std::map<std::string, std::string> auth() const {
        return {{"Authorization", "Bearer " + api_key}, {"OpenAI-Beta", "chatkit_beta=v1"}};
    }
    response call(http::verb v, const std::string& target, const std::string& body = {}) {
        return client.request(v, target, body, auth());
    }
    void fault(const std::string& endpoint, const std::string& spec) {
        test_client c(server.endpoint(), test_pki("ca.pem"));
        BOOST_REQUIRE(c.request(http::verb::put, "/__sim/faults/" + endpoint, spec).result_int() ==
                      200);
    }
};

json::value body_of(const response& r) {
    return json::parse(r.body());
}

std::vector<std::string> ids_of(const json::value& list) {
    std::vector<std::string> ids;
    for (const auto& t : list.at("data").as_array()) ids.emplace_back(t.at("id").as_string());
    return ids;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(upstream_simulator, sim_fixture)

BOOST_AUTO_TEST_CASE(create_session_returns_a_realistic_chat_session) {
    auto r = call(http::verb::post, "/v1/chatkit/sessions",
                  R"({"user": "alice", "workflow": {"id": "wf_1", "state_variables": {"k": "v"}},
                      "expires_after": {"anchor": "created_at", "seconds": 120}})");
    BOOST_TEST(r.result_int() == 200);
    const auto s = body_of(r);
    BOOST_TEST(s.at("object").as_string() == "chatkit.session");
    BOOST_TEST(s.at("id").as_string().starts_with("cksess_"));
    BOOST_TEST(s.at("client_secret").as_string().size() > 20u);
    BOOST_TEST(s.at("status").as_string() == "active");
    BOOST_TEST(s.at("user").as_string() == "alice");
    BOOST_TEST(s.at("workflow").at("state_variables").at("k").as_string() == "v");
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    BOOST_TEST(std::abs(s.at("expires_at").as_int64() - (now + 120)) <= 2);
    auto again = body_of(call(http::verb::post, "/v1/chatkit/sessions",
                              R"({"user": "alice", "workflow": {"id": "wf_1"}})"));
    BOOST_TEST(again.at("client_secret") != s.at("client_secret"));
}

BOOST_AUTO_TEST_CASE(credentials_and_request_shape_are_checked) {
    auto wrong_key = client.request(
        http::verb::post, "/v1/chatkit/sessions", R"({"user":"a","workflow":{"id":"w"}})",
        {{"Authorization", "Bearer nope"}, {"OpenAI-Beta", "chatkit_beta=v1"}});
    BOOST_TEST(wrong_key.result_int() == 401);
    BOOST_TEST(body_of(wrong_key).at("error").at("code").as_string() == "invalid_api_key");
    BOOST_TEST(body_of(wrong_key).at("error").as_object().contains("type"));
    auto no_beta = client.request(http::verb::get, "/v1/chatkit/threads", {},
                                  {{"Authorization", "Bearer " + api_key}});
    BOOST_TEST(no_beta.result_int() == 400);
    for (const char* bad :
         {R"({"workflow": {"id": "w"}})", R"({"user": "", "workflow": {"id": "w"}})",
          R"({"user": "a"})", R"({"user": "a", "workflow": {}})",
          R"({"user": "a", "workflow": {"id": "w"}, "extra": 1})", R"(not json)"}) {
        BOOST_TEST_CONTEXT(bad) {
            auto r = call(http::verb::post, "/v1/chatkit/sessions", bad);
            BOOST_TEST(r.result_int() == 400);
            BOOST_TEST(body_of(r).at("error").as_object().contains("message"));
        }
    }
}

// What the upstream schema forbids is refused in the upstream's error shape,
// naming the member at fault.
BOOST_AUTO_TEST_CASE(create_session_is_as_strict_as_the_upstream_schema) {
    struct refusal {
        const char* body;
        const char* param;
        const char* code;
    };
    const refusal cases[] = {
        {R"({"user": "a", "workflow": {"id": "w"}, "expires_after": {"anchor": "created_at", "seconds": 601}})",
         "expires_after.seconds", "integer_above_max_value"},
        {R"({"user": "a", "workflow": {"id": "w"}, "expires_after": {"anchor": "created_at", "seconds": 0}})",
         "expires_after.seconds", "integer_below_min_value"},
        {R"({"user": "a", "workflow": {"id": "w"}, "expires_after": {"seconds": 60}})",
         "expires_after.anchor", "missing_required_parameter"},
        {R"({"user": "a", "workflow": {"id": "w"}, "expires_after": {"anchor": "now", "seconds": 60}})",
         "expires_after.anchor", "invalid_value"},
        {R"({"user": "a", "workflow": {"id": "w", "stat_variables": {}}})",
         "workflow.stat_variables", "unknown_parameter"},
        {R"({"user": "a", "workflow": {"id": "w", "state_variables": {"k": null}}})",
         "workflow.state_variables.k", "invalid_type"},
        {R"({"user": "a", "workflow": {"id": 7}})", "workflow.id", "invalid_type"},
        {R"({"user": "", "workflow": {"id": "w"}})", "user", "string_below_min_length"},
        {R"({"user": "a", "workflow": {"id": "w"}, "rate_limits": {"max_requests_per_1_minute": 0}})",
         "rate_limits.max_requests_per_1_minute", "integer_below_min_value"},
        {R"({"user": "a", "workflow": {"id": "w"}, "chatkit_configuration": {"file_upload": {"max_file_size": 513}}})",
         "chatkit_configuration.file_upload.max_file_size", "integer_above_max_value"},
        {R"({"user": "a", "workflow": {"id": "w"}, "chatkit_configuration": {"history": {"enabeld": true}}})",
         "chatkit_configuration.history.enabeld", "unknown_parameter"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.body) {
            auto r = call(http::verb::post, "/v1/chatkit/sessions", c.body);
            BOOST_TEST(r.result_int() == 400);
            const auto error = body_of(r).at("error");
            BOOST_TEST(error.at("param") == json::value(c.param));
            BOOST_TEST(error.at("code") == json::value(c.code));
            BOOST_TEST(error.at("type") == json::value("invalid_request_error"));
            BOOST_TEST(error.at("message").as_string().find(c.param) != json::string::npos);
        }
    }
    std::string many = R"({"user": "a", "workflow": {"id": "w", "state_variables": {)";
    for (int i = 0; i < 65; ++i) many += (i ? ",\"v" : "\"v") + std::to_string(i) + "\": 1";
    auto r = call(http::verb::post, "/v1/chatkit/sessions", many + "}}}");
    BOOST_TEST(r.result_int() == 400);
    BOOST_TEST(body_of(r).at("error").at("code") == json::value("object_above_max_properties"));
}

BOOST_AUTO_TEST_CASE(requested_chatkit_configuration_is_reflected) {
    const auto s = body_of(call(
        http::verb::post, "/v1/chatkit/sessions",
        R"({"user": "a", "workflow": {"id": "w", "version": "3", "tracing": {"enabled": false}},
                                    "chatkit_configuration": {"file_upload": {"enabled": true, "max_files": 3},
                                                              "history": {"recent_threads": 5}},
                                    "rate_limits": {"max_requests_per_1_minute": 4}})"));
    BOOST_TEST(s.at("chatkit_configuration") == json::parse(R"({
        "automatic_thread_titling": {"enabled": true},
        "file_upload": {"enabled": true, "max_file_size": 512, "max_files": 3},
        "history": {"enabled": true, "recent_threads": 5}})"));
    BOOST_TEST(s.at("workflow") ==
               json::parse(R"({"id": "w", "version": "3", "state_variables": null,
                                                   "tracing": {"enabled": false}})"));
    BOOST_TEST(s.at("rate_limits").at("max_requests_per_1_minute").as_int64() == 4);
    BOOST_TEST(s.at("max_requests_per_1_minute").as_int64() == 4);
}

BOOST_AUTO_TEST_CASE(thread_items_cover_every_type_with_its_required_members) {
    const auto items =
        body_of(call(http::verb::get, "/v1/chatkit/threads/cthr_000001/items?order=asc"));
    std::vector<std::string> types;
    for (const auto& i : items.at("data").as_array()) types.emplace_back(i.at("type").as_string());
    BOOST_TEST(
        types == (std::vector<std::string>{"chatkit.user_message", "chatkit.assistant_message",
                                           "chatkit.client_tool_call", "chatkit.task",
                                           "chatkit.task_group", "chatkit.widget"}),
        boost::test_tools::per_element());
    const auto& user = items.at("data").at(0).as_object();
    BOOST_TEST(user.contains("attachments"));
    BOOST_TEST(user.contains("inference_options"));
    BOOST_TEST(items.at("data").at(1).at("content").at(0).as_object().contains("annotations"));
}

BOOST_AUTO_TEST_CASE(cancel_marks_the_session_cancelled) {
    const auto s = body_of(call(http::verb::post, "/v1/chatkit/sessions",
                                R"({"user": "bob", "workflow": {"id": "w"}})"));
    const std::string id(s.at("id").as_string());
    auto c = call(http::verb::post, "/v1/chatkit/sessions/" + id + "/cancel");
    BOOST_TEST(c.result_int() == 200);
    BOOST_TEST(body_of(c).at("status").as_string() == "cancelled");
    BOOST_TEST(call(http::verb::post, "/v1/chatkit/sessions/" + id + "/cancel").result_int() ==
               200);
    BOOST_TEST(call(http::verb::post, "/v1/chatkit/sessions/cksess_unknown/cancel").result_int() ==
               404);
}

// A long dev run or a benchmark mints millions of sessions: the store keeps
// the latest max_sessions and forgets the oldest.
BOOST_AUTO_TEST_CASE(the_session_store_keeps_only_the_latest_sessions) {
    using simulator::simulator_store;
    simulator_store store({"alice"});
    const auto body = json::parse(R"({"user": "bob", "workflow": {"id": "w"}})").as_object();
    const std::string first(store.create_session(body).at("id").as_string());
    std::string last;
    for (std::size_t i = 1; i < simulator_store::max_sessions + 5; ++i)
        last = std::string(store.create_session(body).at("id").as_string());
    BOOST_TEST(store.sessions().size() == simulator_store::max_sessions);
    BOOST_TEST(!store.cancel_session(first).has_value());
    BOOST_TEST(store.cancel_session(last).has_value());
}

BOOST_AUTO_TEST_CASE(threads_are_filtered_by_user_and_paginated) {
    const auto all = body_of(call(http::verb::get, "/v1/chatkit/threads?limit=100"));
    BOOST_TEST(all.at("data").as_array().size() == 6u);
    const auto alice = body_of(call(http::verb::get, "/v1/chatkit/threads?user=alice"));
    BOOST_TEST(ids_of(alice) ==
               (std::vector<std::string>{"cthr_000003", "cthr_000002", "cthr_000001"}));
    for (const auto& t : alice.at("data").as_array())
        BOOST_TEST(t.at("user").as_string() == "alice");
    const auto page1 =
        body_of(call(http::verb::get, "/v1/chatkit/threads?user=alice&limit=2&order=asc"));
    BOOST_TEST(ids_of(page1) == (std::vector<std::string>{"cthr_000001", "cthr_000002"}));
    BOOST_TEST(page1.at("has_more").as_bool());
    BOOST_TEST(page1.at("first_id").as_string() == "cthr_000001");
    BOOST_TEST(page1.at("last_id").as_string() == "cthr_000002");
    const auto page2 = body_of(call(
        http::verb::get, "/v1/chatkit/threads?user=alice&limit=2&order=asc&after=cthr_000002"));
    BOOST_TEST(ids_of(page2) == (std::vector<std::string>{"cthr_000003"}));
    BOOST_TEST(!page2.at("has_more").as_bool());
    const auto before =
        body_of(call(http::verb::get, "/v1/chatkit/threads?user=alice&before=cthr_000001"));
    BOOST_TEST(ids_of(before) == (std::vector<std::string>{"cthr_000003", "cthr_000002"}));
    const auto nobody = body_of(call(http::verb::get, "/v1/chatkit/threads?user=carol"));
    BOOST_TEST(nobody.at("data").as_array().empty());
    BOOST_TEST(nobody.at("first_id").is_null());
    const auto none = body_of(call(http::verb::get, "/v1/chatkit/threads?user=alice&limit=0"));
    BOOST_TEST(none.at("data").as_array().empty());
    BOOST_TEST(none.at("has_more").as_bool());
    for (const char* query :
         {"limit=-1", "limit=101", "limit=ten", "order=up", "colour=red", "user="}) {
        BOOST_TEST_CONTEXT(query) {
            BOOST_TEST(
                call(http::verb::get, std::string("/v1/chatkit/threads?") + query).result_int() ==
                400);
        }
    }
    BOOST_TEST(
        call(http::verb::get, "/v1/chatkit/threads/cthr_000001/items?user=alice").result_int() ==
        400);
}

BOOST_AUTO_TEST_CASE(retrieve_items_and_delete) {
    auto t = call(http::verb::get, "/v1/chatkit/threads/cthr_000004");
    BOOST_TEST(t.result_int() == 200);
    BOOST_TEST(body_of(t).at("user").as_string() == "bob");
    auto items =
        body_of(call(http::verb::get, "/v1/chatkit/threads/cthr_000004/items?order=asc&limit=2"));
    BOOST_TEST(items.at("data").as_array().size() == 2u);
    BOOST_TEST(items.at("data").at(0).at("thread_id").as_string() == "cthr_000004");
    BOOST_TEST(items.at("has_more").as_bool());
    auto d = call(http::verb::delete_, "/v1/chatkit/threads/cthr_000004");
    BOOST_TEST(d.result_int() == 200);
    BOOST_TEST(
        body_of(d) ==
        json::parse(
            R"({"id": "cthr_000004", "deleted": true, "object": "chatkit.thread.deleted"})"));
    BOOST_TEST(call(http::verb::get, "/v1/chatkit/threads/cthr_000004").result_int() == 404);
    BOOST_TEST(call(http::verb::get, "/v1/chatkit/threads/cthr_000004/items").result_int() == 404);
    BOOST_TEST(call(http::verb::delete_, "/v1/chatkit/threads/cthr_000004").result_int() == 404);
}

BOOST_AUTO_TEST_CASE(status_fault_with_retry_after_then_recovers) {
    fault("create_session", R"({"mode": "status", "status": 429, "retry_after": 7, "count": 1})");
    auto r =
        call(http::verb::post, "/v1/chatkit/sessions", R"({"user": "a", "workflow": {"id": "w"}})");
    BOOST_TEST(r.result_int() == 429);
    BOOST_TEST(r[http::field::retry_after] == "7");
    BOOST_TEST(body_of(r).at("error").as_object().contains("type"));
    BOOST_TEST(
        call(http::verb::post, "/v1/chatkit/sessions", R"({"user": "a", "workflow": {"id": "w"}})")
            .result_int() == 200);
}

BOOST_AUTO_TEST_CASE(reset_fault_closes_without_a_reply) {
    fault("list_threads", R"({"mode": "reset", "count": 1})");
    test_client c(server.endpoint(), test_pki("ca.pem"));
    c.write_raw("GET /v1/chatkit/threads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + api_key +
                "\r\nOpenAI-Beta: chatkit_beta=v1\r\n\r\n");
    BOOST_TEST(!c.read_response().has_value());
    BOOST_TEST(call(http::verb::get, "/v1/chatkit/threads").result_int() == 200);
}

BOOST_AUTO_TEST_CASE(hang_fault_never_answers_in_time) {
    fault("retrieve_thread", R"({"mode": "hang", "hang_ms": 1500, "count": 1})");
    test_client c(server.endpoint(), test_pki("ca.pem"), 500ms);
    c.write_raw(
        "GET /v1/chatkit/threads/cthr_000001 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
        api_key + "\r\nOpenAI-Beta: chatkit_beta=v1\r\n\r\n");
    const auto started = std::chrono::steady_clock::now();
    BOOST_TEST(!c.read_response().has_value());
    BOOST_TEST(ms_since(started) >= 450);
}

BOOST_AUTO_TEST_CASE(malformed_fault_returns_broken_json) {
    fault("*", R"({"mode": "malformed", "count": 1})");
    auto r = call(http::verb::get, "/v1/chatkit/threads/cthr_000001");
    BOOST_TEST(r.result_int() == 200);
    boost::system::error_code ec;
    json::parse(r.body(), ec);
    BOOST_TEST(ec.failed());
}

BOOST_AUTO_TEST_CASE(delay_fault_adds_latency) {
    fault("list_items", R"({"mode": "delay", "delay_ms": 250, "count": 1})");
    const auto started = std::chrono::steady_clock::now();
    BOOST_TEST(call(http::verb::get, "/v1/chatkit/threads/cthr_000001/items").result_int() == 200);
    BOOST_TEST(ms_since(started) >= 250);
}

BOOST_AUTO_TEST_CASE(bad_fault_specs_are_refused_and_requests_are_counted) {
    test_client c(server.endpoint(), test_pki("ca.pem"));
    BOOST_TEST(
        c.request(http::verb::put, "/__sim/faults/x", R"({"mode": "explode"})").result_int() ==
        400);
    BOOST_TEST(c.request(http::verb::put, "/__sim/faults/x", R"({"mode": "status", "status": 42})")
                   .result_int() == 400);
    BOOST_TEST(c.request(http::verb::put, "/__sim/faults/x", R"({"mode": "status", "colour": 1})")
                   .result_int() == 400);
    call(http::verb::get, "/v1/chatkit/threads");
    call(http::verb::get, "/v1/chatkit/threads");
    const auto log = body_of(c.request(http::verb::get, "/__sim/requests"));
    BOOST_TEST(log.at("counts").at("list_threads").as_int64() == 2);
    const auto& last = log.at("recent").as_array().back();
    BOOST_TEST(last.at("authorization_ok").as_bool());
    BOOST_TEST(json::serialize(log).find(api_key) == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
