// What operators see: the Prometheus text on the admin listener (every
// series of docs/api.md, counted from real traffic through the service
// and the upstream simulator, labels bounded to route templates and reason
// names) and the JSON log lines of docs/operations.md.
#include "gateway_fixture.hpp"
#include "test_files.hpp"

#include "chatkit_gateway/observability/build_info.hpp"

#include <boost/test/unit_test.hpp>

#include <sstream>
#include <thread>

using namespace ckg;
using namespace ckg::test;
namespace json = boost::json;

namespace {

const std::string sessions_path = "/v1/chatkit/sessions";

// One sample line of the text format: `name{a="x",b="y"} value`.
struct sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

std::vector<sample> parse_samples(const std::string& text) {
    std::vector<sample> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        sample s;
        const auto brace = line.find('{');
        const auto space = line.rfind(' ');
        s.name = line.substr(0, std::min(brace, space));
        if (brace != std::string::npos) {
            const auto labels = line.substr(brace + 1, line.rfind('}') - brace - 1);
            std::size_t pos = 0;
            while (pos < labels.size()) {
                const auto eq = labels.find('=', pos);
                const auto end = labels.find('"', eq + 2);
                s.labels[labels.substr(pos, eq - pos)] = labels.substr(eq + 2, end - eq - 2);
                pos = end + 2;  // past `",`
            }
        }
        s.value = std::stod(line.substr(space + 1));
        out.push_back(std::move(s));
    }
    return out;
}

// The value of the sample with this name whose labels include `labels`;
// -1 when there is none.
double value_of(const std::vector<sample>& samples, const std::string& name,
                const std::map<std::string, std::string>& labels = {}) {
    for (const auto& s : samples) {
        if (s.name != name) continue;
        bool match = true;
        for (const auto& [k, v] : labels) match = match && s.labels.count(k) && s.labels.at(k) == v;
        if (match) return s.value;
    }
    return -1;
}

std::string token_case(const json::object& manifest, const std::string& name) {
    const json::array cases = manifest.at("cases").as_array();
    for (const auto& c : cases)
        if (c.at("name").as_string() == name) return std::string(c.at("token").as_string());
    throw std::runtime_error("no token case " + name);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(metrics_and_logs, gateway_fixture)

BOOST_AUTO_TEST_CASE(metrics_count_requests_failures_and_upstream_calls) {
    BOOST_TEST(call(http::verb::post, sessions_path, "alice", "{}").result_int() == 200);
    for (int i = 0; i < 6; ++i)
        call(http::verb::post, sessions_path, "bob", "{}");  // burst 5: the 6th is 429
    BOOST_TEST(call(http::verb::post, sessions_path, "", "{}").result_int() == 401);
    BOOST_TEST(call(http::verb::post, sessions_path, "", "{}", {{"Authorization", "Bearer x.y"}})
                   .result_int() == 401);
    BOOST_TEST(call(http::verb::post, sessions_path, "", "{}", {{"Authorization", "Basic abc"}})
                   .result_int() == 401);
    const auto expired = token_case(manifest, "expired beyond leeway");
    BOOST_TEST(
        call(http::verb::post, sessions_path, "", "{}", {{"Authorization", "Bearer " + expired}})
            .result_int() == 401);
    fault("create_session", R"({"mode": "status", "status": 500, "count": 1})");
    BOOST_TEST(call(http::verb::post, sessions_path, "carol", "{}").result_int() == 502);
    fault("create_session", R"({"mode": "hang", "hang_ms": 3000, "count": 1})");
    BOOST_TEST(call(http::verb::post, sessions_path, "dave", "{}").result_int() == 504);
    BOOST_TEST(call(http::verb::get, "/v1/chatkit/threads/cthr_secretpath", "alice").result_int() ==
               404);

    test_client admin(application->admin_endpoint());
    response res;
    std::vector<sample> s;
    const std::map<std::string, std::string> last = {{"route", "/v1/chatkit/threads/{thread_id}"},
                                                     {"status", "404"}};
    BOOST_TEST(eventually([&] {
        res = admin.request(http::verb::get, "/metrics");
        s = parse_samples(res.body());
        return value_of(s, "chatkit_gateway_http_requests_total", last) == 1;
    }));
    BOOST_REQUIRE(res.result_int() == 200);
    BOOST_TEST(res[http::field::content_type] == "text/plain; version=0.0.4; charset=utf-8");
    const std::string text = res.body();

    const std::string requests = "chatkit_gateway_http_requests_total";
    const std::map<std::string, std::string> mint = {
        {"listener", "public"}, {"route", sessions_path}, {"method", "POST"}};
    auto with = [](std::map<std::string, std::string> m, const std::string& k,
                   const std::string& v) {
        m[k] = v;
        return m;
    };
    BOOST_TEST(value_of(s, requests, with(mint, "status", "200")) == 6);
    BOOST_TEST(value_of(s, requests, with(mint, "status", "429")) == 1);
    BOOST_TEST(value_of(s, requests, with(mint, "status", "401")) == 4);
    BOOST_TEST(value_of(s, requests, with(mint, "status", "502")) == 1);
    BOOST_TEST(value_of(s, requests, with(mint, "status", "504")) == 1);
    // Route templates, never raw paths: a thread id never becomes a label.
    BOOST_TEST(value_of(s, requests,
                        {{"route", "/v1/chatkit/threads/{thread_id}"}, {"status", "404"}}) == 1);
    BOOST_TEST(text.find("cthr_secretpath") == std::string::npos);

    BOOST_TEST(value_of(s, "chatkit_gateway_http_request_duration_seconds_count",
                        {{"route", sessions_path}}) == 13);
    BOOST_TEST(value_of(s, "chatkit_gateway_http_request_duration_seconds_bucket",
                        {{"route", sessions_path}, {"le", "+Inf"}}) == 13);
    BOOST_TEST(value_of(s, "chatkit_gateway_rate_limit_rejections_total") == 1);
    for (const char* reason : {"missing_token", "malformed", "not_bearer", "expired"})
        BOOST_TEST(value_of(s, "chatkit_gateway_auth_failures_total", {{"reason", reason}}) == 1,
                   reason);

    // 6 minted, 1 answered 500, 1 timed out (no retry of a mint that may have arrived).
    BOOST_TEST(value_of(s, "chatkit_gateway_upstream_request_duration_seconds_count",
                        {{"operation", "create_session"}}) == 8);
    BOOST_TEST(value_of(s, "chatkit_gateway_upstream_errors_total",
                        {{"operation", "create_session"}, {"kind", "http_5xx"}}) == 1);
    BOOST_TEST(value_of(s, "chatkit_gateway_upstream_errors_total",
                        {{"operation", "create_session"}, {"kind", "upstream_timeout"}}) == 1);
    BOOST_TEST(value_of(s, "chatkit_gateway_upstream_errors_total",
                        {{"operation", "get"}, {"kind", "http_4xx"}}) == 1);
    BOOST_TEST(value_of(s, "chatkit_gateway_upstream_in_flight") == 0);
    // The pool's states partition it: idle (kept alive) and busy (none between calls).
    BOOST_TEST(value_of(s, "chatkit_gateway_upstream_connections", {{"state", "idle"}}) >= 1);
    BOOST_TEST(value_of(s, "chatkit_gateway_upstream_connections", {{"state", "busy"}}) == 0);
    BOOST_TEST(value_of(s, "chatkit_gateway_upstream_connections", {{"state", "open"}}) == -1);
    BOOST_TEST(value_of(s, "chatkit_gateway_open_connections", {{"listener", "admin"}}) ==
               1);  // this scrape
    BOOST_TEST(value_of(s, "chatkit_gateway_open_connections", {{"listener", "public"}}) >= 0);

    // Nothing secret in the exposition.
    for (const auto& secret : {upstream_api_key, token("alice"), token("bob"), expired})
        BOOST_TEST(text.find(secret) == std::string::npos);
    // Every family is under the service's prefix, but the standard process series.
    for (const auto& sm : s)
        BOOST_TEST(
            (sm.name.rfind("chatkit_gateway_", 0) == 0u || sm.name.rfind("process_", 0) == 0u),
            sm.name);
    // Fixed label sets are there from the start, at 0, and the process series are real.
    BOOST_TEST(value_of(s, "chatkit_gateway_upstream_errors_total",
                        {{"operation", "delete"}, {"kind", "overloaded"}}) == 0);
    BOOST_TEST(value_of(s, "chatkit_gateway_auth_failures_total", {{"reason", "unknown_kid"}}) ==
               0);
    BOOST_TEST(value_of(s, "chatkit_gateway_build_info",
                        {{"version", std::string(observability::build_version())}}) == 1);
    BOOST_TEST(value_of(s, "process_resident_memory_bytes") > 1e6);
    BOOST_TEST(value_of(s, "process_open_fds") > 3);
    BOOST_TEST(value_of(s, "process_cpu_seconds_total") > 0);
    BOOST_TEST(value_of(s, "process_start_time_seconds") > 1.7e9);
}

BOOST_AUTO_TEST_CASE(a_malformed_upstream_reply_counts_as_an_upstream_error) {
    test_client admin(application->admin_endpoint());
    const auto before = parse_samples(admin.request(http::verb::get, "/metrics").body());
    const std::map<std::string, std::string> malformed = {{"operation", "create_session"},
                                                          {"kind", "malformed_reply"}};
    BOOST_TEST(value_of(before, "chatkit_gateway_upstream_errors_total", malformed) ==
               0);  // there from the start
    fault("create_session", R"({"mode": "malformed", "count": 1})");
    BOOST_TEST(call(http::verb::post, sessions_path, "alice", "{}").result_int() == 502);
    BOOST_TEST(call(http::verb::post, sessions_path, "alice", "{}").result_int() == 200);
    const auto after = parse_samples(admin.request(http::verb::get, "/metrics").body());
    BOOST_TEST(value_of(after, "chatkit_gateway_upstream_errors_total", malformed) == 1);
    BOOST_TEST(value_of(after, "chatkit_gateway_upstream_request_duration_seconds_count",
                        {{"operation", "create_session"}}) == 2);
    // The thread proxy's reads count too; another user's thread is an answer, not a fault.
    const std::map<std::string, std::string> malformed_get = {{"operation", "get"},
                                                              {"kind", "malformed_reply"}};
    const auto gets_before =
        value_of(after, "chatkit_gateway_upstream_errors_total", malformed_get);
    fault("list_threads", R"({"mode": "malformed", "count": 1})");
    BOOST_TEST(call(http::verb::get, "/v1/chatkit/threads", "alice").result_int() == 502);
    BOOST_TEST(call(http::verb::get, "/v1/chatkit/threads", "alice").result_int() == 200);
    const std::string bobs = "cthr_000005";  // a seeded thread of bob's (the simulator's store)
    BOOST_TEST(call(http::verb::get, "/v1/chatkit/threads/" + bobs, "alice").result_int() == 404);
    const auto last = parse_samples(admin.request(http::verb::get, "/metrics").body());
    BOOST_TEST(value_of(last, "chatkit_gateway_upstream_errors_total", malformed_get) ==
               gets_before + 1);
}

// An unknown method is named "<unknown>" whether the request is routed (405)
// or refused before routing (400); a request whose request line was never
// read is "-".
BOOST_AUTO_TEST_CASE(unknown_methods_are_named_alike_routed_or_refused) {
    const auto send_raw = [&](const std::string& raw) {
        auto c = client();
        c.write_raw(raw);
        const auto res = c.read_response();
        return res ? res->result_int() : 0u;
    };
    BOOST_TEST(send_raw("FOO " + sessions_path + " HTTP/1.1\r\nHost: x\r\n\r\n") == 405u);
    BOOST_TEST(send_raw("FOO " + sessions_path +
                        " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\n\n") == 400u);
    BOOST_TEST(send_raw("GARBAGE\r\n\r\n") == 400u);
    test_client admin(application->admin_endpoint());
    const auto count = [&](const std::string& method, const std::string& status) {
        return value_of(parse_samples(admin.request(http::verb::get, "/metrics").body()),
                        "chatkit_gateway_http_requests_total",
                        {{"listener", "public"}, {"method", method}, {"status", status}});
    };
    BOOST_TEST(eventually([&] { return count("-", "400") >= 1; }));
    BOOST_TEST(count("<unknown>", "405") == 1);
    BOOST_TEST(count("<unknown>", "400") == 1);
}

BOOST_AUTO_TEST_CASE(access_lines_carry_the_spec_fields_and_no_secret) {
    const auto minted = call(http::verb::post, sessions_path, "alice", "{}",
                             {{"X-Request-Id", "trace0123456789abcdef"}});
    BOOST_REQUIRE(minted.result_int() == 200);
    const auto client_secret =
        std::string(json::parse(minted.body()).at("client_secret").as_string());
    call(http::verb::post, sessions_path, "", "{}");
    // Thread routes: the list, and one of alice's threads' items (two
    // upstream calls: the thread's retrieve, then its items).
    const auto listed = call(http::verb::get, "/v1/chatkit/threads", "alice");
    BOOST_REQUIRE(listed.result_int() == 200);
    const auto list = json::parse(listed.body());
    const auto& threads = list.at("data").as_array();
    BOOST_REQUIRE(!threads.empty());
    const std::string thread_id(threads.at(0).at("id").as_string());
    BOOST_REQUIRE(call(http::verb::get, "/v1/chatkit/threads/" + thread_id + "/items", "alice")
                      .result_int() == 200);
    // An access line is written after its reply: the last request's, the
    // item list's, is awaited.
    BOOST_TEST(eventually([&] {
        for (const auto& line : logs())
            if (line.find("/{thread_id}/items\"") != std::string::npos) return true;
        return false;
    }));

    json::object mint_line, refused_line, start_line;
    std::vector<json::object> thread_lines;
    for (const auto& text : logs()) {
        const auto v = json::parse(text);  // every line is one JSON object
        BOOST_REQUIRE(v.is_object());
        const auto& o = v.as_object();
        for (const char* k : {"time", "level", "msg"}) BOOST_TEST(o.contains(k), text);
        BOOST_TEST(text.find(client_secret) == std::string::npos);
        BOOST_TEST(text.find(token("alice")) == std::string::npos);
        BOOST_TEST(text.find(upstream_api_key) == std::string::npos);
        if (o.at("msg") == "listening") start_line = o;
        if (o.at("msg") != "request") continue;
        if (o.at("route").as_string().starts_with("/v1/chatkit/threads")) {
            thread_lines.push_back(o);
            continue;
        }
        if (o.at("status") == 200) mint_line = o;
        if (o.at("status") == 401) refused_line = o;
    }
    BOOST_TEST(start_line.contains("public"));
    BOOST_REQUIRE(!mint_line.empty());
    BOOST_TEST(mint_line.at("request_id") == "trace0123456789abcdef");
    BOOST_TEST(mint_line.at("method") == "POST");
    BOOST_TEST(mint_line.at("route").as_string() == sessions_path);
    BOOST_TEST(mint_line.at("level") == "info");
    BOOST_TEST(mint_line.at("upstream_status") == 200);
    for (const char* k : {"duration_ms", "upstream_ms", "user"})
        BOOST_TEST(mint_line.contains(k), k);
    BOOST_TEST(mint_line.at("user").as_string().size() == 16u);  // a hash, not "alice"
    BOOST_TEST(mint_line.at("user") != "alice");
    BOOST_REQUIRE(!refused_line.empty());
    BOOST_TEST(refused_line.at("error") == "missing_token");
    // Thread lines carry the upstream's status and latency too (SPEC'd for
    // every access line that made an upstream call).
    BOOST_REQUIRE(thread_lines.size() == 2u);
    for (const auto& line : thread_lines) {
        BOOST_TEST(line.at("status") == 200);
        BOOST_TEST(line.contains("upstream_status"), json::serialize(line));
        if (line.contains("upstream_status")) BOOST_TEST(line.at("upstream_status") == 200);
        for (const char* k : {"upstream_ms", "upstream_us", "user"})
            BOOST_TEST(line.contains(k), k);
    }
}

BOOST_AUTO_TEST_CASE(the_log_level_drops_lower_lines) {
    observability::logger::set_level(observability::log_level::warn);
    const auto before = logs().size();
    call(http::verb::post, sessions_path, "alice", "{}");
    observability::log_warn("a warning stays");
    std::vector<std::string> after;
    eventually([&] {
        after = logs();
        return after.size() > before;
    });
    std::this_thread::sleep_for(
        std::chrono::milliseconds(200));  // a dropped line would have come by now
    after = logs();
    observability::logger::set_level(observability::log_level::info);
    BOOST_REQUIRE(after.size() == before + 1);
    BOOST_TEST(after.back().find("\"level\":\"warn\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
