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
    for (int i = 0; i < 2000; ++i) m.record_auth_failure("reason_" + std::to_string(i));
    const auto text = m.render();
    const auto series = lines_starting(text, "chatkit_gateway_auth_failures_total{");
    BOOST_TEST(series <= 513u);
    BOOST_TEST(series >= 500u);
    BOOST_TEST(text.find(R"(chatkit_gateway_auth_failures_total{reason="other"} 1488)") !=
               std::string::npos);
    BOOST_TEST(text.find("reason_1999") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
