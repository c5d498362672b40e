// The metrics registry without any server: text format content, histogram
// buckets, scrape-time gauges, and the per-family series bound.
#include "chatkit_gateway/observability/metrics.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <sstream>

using ckg::observability::metrics;

namespace {

std::size_t lines_starting(const std::string& text, const std::string& prefix) {
    std::istringstream in(text);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) n += line.rfind(prefix, 0) == 0 ? 1 : 0;
    return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_rendering)

BOOST_AUTO_TEST_CASE(requests_render_as_counters_and_histograms) {
    metrics m;
    m.record_request(
        {"public", "/v1/chatkit/sessions", "POST", 200, std::chrono::microseconds(1800)});
    m.record_request(
        {"public", "/v1/chatkit/sessions", "POST", 200, std::chrono::microseconds(30000)});
    m.record_request(
        {"public", "/v1/chatkit/sessions", "POST", 429, std::chrono::microseconds(100)});
    const auto text = m.render();
    BOOST_TEST(text.find("# TYPE chatkit_gateway_http_requests_total counter") !=
               std::string::npos);
    BOOST_TEST(
        text.find(
            R"(chatkit_gateway_http_requests_total{listener="public",method="POST",route="/v1/chatkit/sessions",status="200"} 2)") !=
            std::string::npos,
        text);
    BOOST_TEST(text.find(R"(status="429"} 1)") != std::string::npos);
    // 1.8 ms falls in le=0.0025, 30 ms in le=0.05; +Inf counts all three.
    BOOST_TEST(
        text.find(
            R"(chatkit_gateway_http_request_duration_seconds_bucket{listener="public",route="/v1/chatkit/sessions",le="0.001"} 1)") !=
            std::string::npos,
        text);
    BOOST_TEST(text.find(R"(route="/v1/chatkit/sessions",le="0.0025"} 2)") != std::string::npos);
    BOOST_TEST(text.find(R"(route="/v1/chatkit/sessions",le="0.05"} 3)") != std::string::npos);
    BOOST_TEST(text.find(R"(route="/v1/chatkit/sessions",le="+Inf"} 3)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(upstream_calls_count_errors_by_kind_and_track_in_flight) {
    metrics m;
    m.upstream_started();
    m.upstream_started();
    BOOST_TEST(m.render().find("chatkit_gateway_upstream_in_flight 2") != std::string::npos);
    m.record_upstream({"create_session", 200, {}, std::chrono::microseconds(500)});
    m.record_upstream({"create_session", 0, "upstream_timeout", std::chrono::microseconds(500)});
    m.upstream_started();
    m.record_upstream({"get", 429, {}, std::chrono::microseconds(500)});
    const auto text = m.render();
    BOOST_TEST(text.find("chatkit_gateway_upstream_in_flight 0") != std::string::npos);
    BOOST_TEST(
        text.find(
            R"(chatkit_gateway_upstream_errors_total{kind="upstream_timeout",operation="create_session"} 1)") !=
            std::string::npos,
        text);
    BOOST_TEST(
        text.find(R"(chatkit_gateway_upstream_errors_total{kind="http_429",operation="get"} 1)") !=
        std::string::npos);
    BOOST_TEST(text.find(R"(kind="http_2)") == std::string::npos);  // a 2xx is not an error
    BOOST_TEST(
        text.find(
            R"(chatkit_gateway_upstream_request_duration_seconds_count{operation="create_session"} 2)") !=
        std::string::npos);
}

BOOST_AUTO_TEST_CASE(gauges_are_read_at_scrape_time) {
    metrics m;
    std::size_t open = 3;
    m.set_collector([&](metrics& self) {
        self.set_open_connections("public", open);
        self.set_upstream_pool(5, 2);
    });
    BOOST_TEST(m.render().find(R"(chatkit_gateway_open_connections{listener="public"} 3)") !=
               std::string::npos);
    open = 7;
    const auto text = m.render();
    BOOST_TEST(text.find(R"(chatkit_gateway_open_connections{listener="public"} 7)") !=
               std::string::npos);
    BOOST_TEST(text.find(R"(chatkit_gateway_upstream_connections{state="idle"} 2)") !=
               std::string::npos);
    m.record_jwks_refresh("https://id.example/", true);
    m.record_jwks_refresh("https://id.example/", false);
    BOOST_TEST(
        m.render().find(
            R"(chatkit_gateway_jwks_refreshes_total{issuer="https://id.example/",result="failure"} 1)") !=
        std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_family_never_grows_past_its_bound) {
    metrics m;
    for (int i = 0; i < 2000; ++i)
        m.record_jwks_refresh("https://issuer-" + std::to_string(i) + "/", true);
    const auto text = m.render();
    const auto series = lines_starting(text, "chatkit_gateway_jwks_refreshes_total{");
    BOOST_TEST(series <= 513u);
    BOOST_TEST(series >= 500u);
    BOOST_TEST(
        text.find(R"(chatkit_gateway_jwks_refreshes_total{issuer="other",result="other"} 1488)") !=
        std::string::npos);
    BOOST_TEST(text.find("issuer-1999") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(fixed_label_sets_are_exported_at_zero_from_the_start) {
    metrics m;
    const auto text = m.render();
    for (const char* op : {"create_session", "cancel_session", "get", "delete"}) {
        for (const char* kind :
             {"http_4xx", "http_429", "http_5xx", "malformed_reply", "upstream_unavailable",
              "upstream_timeout", "overloaded", "upstream_error"}) {
            const auto line = std::string(R"(chatkit_gateway_upstream_errors_total{kind=")") +
                              kind + R"(",operation=")" + op + R"("} 0)";
            BOOST_TEST(text.find(line) != std::string::npos, line);
        }
        BOOST_TEST(
            text.find(
                std::string(
                    R"(chatkit_gateway_upstream_request_duration_seconds_count{operation=")") +
                op + R"("} 0)") != std::string::npos);
    }
    for (const char* reason :
         {"missing_token", "not_bearer", "malformed", "unknown_issuer", "alg_not_allowed",
          "unknown_kid", "bad_signature", "missing_exp", "expired", "not_yet_valid",
          "issued_in_future", "wrong_audience", "missing_user_claim", "other"}) {
        const auto line =
            std::string(R"(chatkit_gateway_auth_failures_total{reason=")") + reason + R"("} 0)";
        BOOST_TEST(text.find(line) != std::string::npos, line);
    }
    BOOST_TEST(text.find("chatkit_gateway_rate_limit_rejections_total 0") != std::string::npos);
    BOOST_TEST(text.find(R"(chatkit_gateway_upstream_connections{state="busy"} 0)") !=
               std::string::npos);
    BOOST_TEST(text.find(R"(chatkit_gateway_upstream_connections{state="idle"} 0)") !=
               std::string::npos);
    BOOST_TEST(text.find("# TYPE chatkit_gateway_build_info gauge") != std::string::npos);
    BOOST_TEST(text.find(R"(chatkit_gateway_build_info{version=")") != std::string::npos);
    BOOST_TEST(text.find(R"("} 1)", text.find("chatkit_gateway_build_info{")) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_reasons_and_kinds_fold_into_the_catch_all) {
    metrics m;
    m.record_auth_failure("expired");
    m.record_auth_failure("something new");
    m.record_auth_failure("another");
    m.record_upstream({"get", 0, "internal_error", std::chrono::microseconds(1)});
    const auto text = m.render();
    BOOST_TEST(text.find(R"(chatkit_gateway_auth_failures_total{reason="expired"} 1)") !=
               std::string::npos);
    BOOST_TEST(text.find(R"(chatkit_gateway_auth_failures_total{reason="other"} 2)") !=
               std::string::npos);
    BOOST_TEST(text.find("something new") == std::string::npos);
    BOOST_TEST(
        text.find(
            R"(chatkit_gateway_upstream_errors_total{kind="upstream_error",operation="get"} 1)") !=
        std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_malformed_2xx_reply_is_an_upstream_error) {
    metrics m;
    m.record_upstream({"create_session", 200, {}, std::chrono::microseconds(1)});
    m.record_malformed_reply("create_session");
    m.record_upstream({"create_session", 200, {}, std::chrono::microseconds(1)});
    const auto text = m.render();
    BOOST_TEST(
        text.find(
            R"(chatkit_gateway_upstream_errors_total{kind="malformed_reply",operation="create_session"} 1)") !=
        std::string::npos);
    BOOST_TEST(
        text.find(
            R"(chatkit_gateway_upstream_request_duration_seconds_count{operation="create_session"} 2)") !=
        std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_pool_states_add_up_to_the_open_connections) {
    metrics m;
    m.set_upstream_pool(5, 2);
    auto text = m.render();
    BOOST_TEST(text.find(R"(chatkit_gateway_upstream_connections{state="busy"} 3)") !=
               std::string::npos);
    BOOST_TEST(text.find(R"(chatkit_gateway_upstream_connections{state="idle"} 2)") !=
               std::string::npos);
    BOOST_TEST(text.find(R"(state="open")") == std::string::npos);
    m.set_upstream_pool(1, 3);  // counted at two instants: never a negative busy count
    text = m.render();
    BOOST_TEST(text.find(R"(chatkit_gateway_upstream_connections{state="busy"} 0)") !=
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(process_series_come_from_proc) {
    metrics m;
    const auto text = m.render();
    for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                             "process_open_fds", "process_start_time_seconds"})
        BOOST_TEST(text.find(std::string("\n") + name + " ") != std::string::npos, name);
    BOOST_TEST(text.find("# TYPE process_cpu_seconds_total counter") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
